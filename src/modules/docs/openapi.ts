import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../shared/domain';
import { paginationQuery } from '../../shared/http/schemas';
import { loginBody, registerBody } from '../auth/auth.schemas';
import { categoryBody, categoryPatchBody } from '../categories/categories.schemas';
import { createEventBody, searchQuery, updateEventBody } from '../events/events.schemas';
import { adminOrdersQuery, confirmOrderBody, createOrderBody } from '../orders/orders.schemas';
import { TICKET_ENDPOINTS } from '../tickets/tickets.docs';
import { WAITLIST_ENDPOINTS } from '../waitlist/waitlist.docs';
import { QUEUE_ENDPOINTS } from '../queue/queue.docs';
import { realtimeDescription, realtimeEventSchemas } from './realtime-docs';
import { errorResponse } from '../../shared/http/wire';
import { sessionResponse, userResponse } from '../auth/auth.wire';
import { salesResponse, statsResponse } from '../admin/admin.wire';
import { categoryResponse } from '../categories/categories.wire';
import { eventPage, eventResponse } from '../events/events.wire';
import { healthResponse, readyResponse } from '../health/health.wire';
import { orderHistoryResponse, orderPage, orderResponse } from '../orders/orders.wire';
import { realtimeInfoResponse } from '../realtime/realtime.wire';
import { paymentConfigResponse, paymentResponse, webhookResponse } from '../payments/payments.wire';

const idParams = (...names: string[]) =>
  z.object(Object.fromEntries(names.map((n) => [n, z.uuid().describe('UUID (anything else is answered 404)')])));

export interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express notation (`/api/events/:id`); converted to OpenAPI's `{id}`. */
  path: string;
  tag: string;
  summary: string;
  /** Who may call it; absent: anyone, no token. */
  access?: string;
  params?: string[];
  query?: z.ZodObject;
  body?: z.ZodType;
  headers?: z.ZodObject;
  ok: { status: number; schema?: z.ZodType; description: string };
  errors?: ErrorCode[];
}

/** Every route the API serves. The docs test fails when the app has a route missing here. */
export const ENDPOINTS: Endpoint[] = [
  {
    method: 'get',
    path: '/health',
    tag: 'Operations',
    summary: 'Liveness: the process answers',
    ok: { status: 200, schema: healthResponse, description: 'Alive' },
  },
  {
    method: 'get',
    path: '/ready',
    tag: 'Operations',
    summary: 'Readiness: the database is reachable',
    ok: { status: 200, schema: readyResponse, description: 'Ready' },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics (text exposition format); with METRICS_TOKEN set, send it as a bearer token',
    ok: { status: 200, description: 'Metrics' },
    errors: ['UNAUTHORIZED'],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'Operations',
    summary: 'This OpenAPI 3.1 document (browsable at /api/docs)',
    ok: { status: 200, description: 'The document' },
  },
  {
    method: 'get',
    path: '/api/realtime',
    tag: 'Real time',
    summary: 'Where to connect Socket.IO',
    ok: { status: 200, schema: realtimeInfoResponse, description: 'Socket.IO location' },
  },

  {
    method: 'post',
    path: '/api/auth/register',
    tag: 'Auth',
    summary: 'Create an account (COMPRADOR by default, or ORGANIZADOR)',
    body: registerBody,
    ok: { status: 201, schema: sessionResponse, description: 'Account created' },
    errors: ['VALIDATION_ERROR', 'FORBIDDEN', 'EMAIL_TAKEN', 'RATE_LIMITED'],
  },
  {
    method: 'post',
    path: '/api/auth/login',
    tag: 'Auth',
    summary: 'Sign in',
    body: loginBody,
    ok: { status: 200, schema: sessionResponse, description: 'Signed in' },
    errors: ['VALIDATION_ERROR', 'INVALID_CREDENTIALS', 'RATE_LIMITED'],
  },
  {
    method: 'get',
    path: '/api/auth/profile',
    tag: 'Auth',
    summary: 'The signed-in user',
    access: 'signed in',
    ok: { status: 200, schema: userResponse, description: 'Profile' },
    errors: ['UNAUTHORIZED'],
  },

  {
    method: 'get',
    path: '/api/events',
    tag: 'Events',
    summary: 'Events, soonest first',
    query: paginationQuery,
    ok: { status: 200, schema: eventPage, description: 'A page of events' },
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/api/events/search',
    tag: 'Events',
    summary: 'Search events (filters combine with AND)',
    query: searchQuery,
    ok: { status: 200, schema: eventPage, description: 'A page of matching events' },
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/api/events/:id',
    tag: 'Events',
    summary: 'One event with its categories',
    params: ['id'],
    ok: { status: 200, schema: eventResponse, description: 'The event' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/events',
    tag: 'Events',
    summary: 'Create an event (categories optional)',
    access: 'ORGANIZADOR, ADMIN',
    body: createEventBody,
    ok: { status: 201, schema: eventResponse, description: 'Created' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'CAPACITY_EXCEEDED'],
  },
  {
    method: 'put',
    path: '/api/events/:id',
    tag: 'Events',
    summary: 'Partial update of the event fields',
    access: 'its organizer, ADMIN',
    params: ['id'],
    body: updateEventBody,
    ok: { status: 200, schema: eventResponse, description: 'Updated' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CAPACITY_EXCEEDED'],
  },
  {
    method: 'delete',
    path: '/api/events/:id',
    tag: 'Events',
    summary: 'Delete an event without confirmed orders',
    access: 'ADMIN',
    params: ['id'],
    ok: { status: 204, description: 'Deleted' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'HAS_ORDERS'],
  },

  {
    method: 'get',
    path: '/api/events/:id/categories',
    tag: 'Ticket categories',
    summary: 'Categories of an event',
    params: ['id'],
    ok: { status: 200, schema: z.array(categoryResponse), description: 'The categories' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/events/:id/categories',
    tag: 'Ticket categories',
    summary: 'Add a category',
    access: 'the event organizer, ADMIN',
    params: ['id'],
    body: categoryBody,
    ok: { status: 201, schema: categoryResponse, description: 'Created' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CAPACITY_EXCEEDED'],
  },
  {
    method: 'put',
    path: '/api/events/:id/categories/:catId',
    tag: 'Ticket categories',
    summary:
      'Partial update of a category (cantidadTotal never below sold + held). Tickets added while buyers wait on its waiting list are offered to them first, in order, like freed tickets',
    access: 'the event organizer, ADMIN',
    params: ['id', 'catId'],
    body: categoryPatchBody,
    ok: { status: 200, schema: categoryResponse, description: 'Updated' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CAPACITY_EXCEEDED'],
  },
  {
    method: 'delete',
    path: '/api/events/:id/categories/:catId',
    tag: 'Ticket categories',
    summary: 'Delete a category no order references',
    access: 'the event organizer, ADMIN',
    params: ['id', 'catId'],
    ok: { status: 204, description: 'Deleted' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'HAS_ORDERS'],
  },

  {
    method: 'post',
    path: '/api/orders',
    tag: 'Orders',
    summary: 'Reserve tickets: every line or none',
    access: 'signed in',
    body: createOrderBody,
    headers: z.object({
      'Idempotency-Key': z
        .string()
        .optional()
        .describe(
          'Retries with the same key (same user, same body) return the same order; another body → 409 IDEMPOTENCY_KEY_REUSED',
        ),
      'Queue-Token': z
        .string()
        .optional()
        .describe(
          'For an event with colaVirtual: the admission token from queue:admitted (or POST /api/events/{id}/queue), of this buyer and event and unexpired; without one 403 QUEUE_REQUIRED',
        ),
    }),
    ok: {
      status: 201,
      schema: orderResponse,
      description: 'Reserved (also the replay of an earlier request with the same Idempotency-Key)',
    },
    errors: [
      'VALIDATION_ERROR',
      'UNAUTHORIZED',
      'NOT_FOUND',
      'INSUFFICIENT_STOCK',
      'INVALID_STATE',
      'IDEMPOTENCY_KEY_REUSED',
      'LIMIT_EXCEEDED',
      'SALES_CLOSED',
      'QUEUE_REQUIRED',
      'RATE_LIMITED',
      'SERVICE_UNAVAILABLE',
    ],
  },
  {
    method: 'get',
    path: '/api/orders/my-orders',
    tag: 'Orders',
    summary: "The caller's orders, newest first",
    access: 'signed in',
    query: paginationQuery,
    ok: { status: 200, schema: orderPage, description: 'A page of orders' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED'],
  },
  {
    method: 'get',
    path: '/api/orders/:id',
    tag: 'Orders',
    summary: 'One order (others’ orders are 404)',
    access: 'its buyer, ADMIN',
    params: ['id'],
    ok: { status: 200, schema: orderResponse, description: 'The order' },
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/orders/:id/payment',
    tag: 'Payments',
    access: 'its buyer',
    params: ['id'],
    summary:
      'Start paying a live hold: the payment intent of this order at the provider (created once; a repeat returns the same one)',
    ok: {
      status: 201,
      schema: paymentResponse,
      description: 'The payment to complete (with stripe: in the browser with Stripe.js and clientSecret)',
    },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'ORDER_EXPIRED', 'INVALID_STATE', 'SERVICE_UNAVAILABLE'],
  },
  {
    method: 'put',
    path: '/api/orders/:id/confirm',
    tag: 'Orders',
    access: 'its buyer',
    params: ['id'],
    body: confirmOrderBody,
    summary:
      'Confirm payment of a live hold (repeating with the same transactionId is a no-op). With PAYMENT_PROVIDER=stripe, transactionId must be the paymentId from POST /api/orders/:id/payment, and the provider must report it authorized or paid for the full amount and currency (else 402)',
    ok: { status: 200, schema: orderResponse, description: 'Confirmed' },
    errors: [
      'VALIDATION_ERROR',
      'UNAUTHORIZED',
      'PAYMENT_REQUIRED',
      'FORBIDDEN',
      'NOT_FOUND',
      'ORDER_EXPIRED',
      'INVALID_STATE',
      'DUPLICATE_TRANSACTION',
      'SERVICE_UNAVAILABLE',
    ],
  },
  {
    method: 'get',
    path: '/api/payments/config',
    tag: 'Payments',
    summary: 'Which payment provider this service uses, and its currency',
    ok: { status: 200, schema: paymentConfigResponse, description: 'Payment settings' },
  },
  {
    method: 'post',
    path: '/api/payments/stripe/webhook',
    tag: 'Payments',
    summary:
      'Stripe webhook endpoint (called by Stripe, signed with STRIPE_WEBHOOK_SECRET; no bearer token). The raw body is verified against the Stripe-Signature header; each event id acts once. payment_intent.amount_capturable_updated and payment_intent.succeeded confirm a live hold; after the hold ended the tickets are taken again if still there (late payment honoured), else the payment is cancelled or refunded. Other events, repeats and unknown orders are answered 200 and ignored. 404 when PAYMENT_PROVIDER is not stripe',
    ok: { status: 200, schema: webhookResponse, description: 'Handled (or nothing to do)' },
    errors: ['INVALID_SIGNATURE', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE'],
  },
  {
    method: 'put',
    path: '/api/orders/:id/cancel',
    tag: 'Orders',
    summary:
      'Cancel a held or confirmed order before the event starts; tickets go back on sale; a confirmed order is refunded (pago.reembolsadoEn once done)',
    access: 'its buyer, ADMIN',
    params: ['id'],
    ok: { status: 200, schema: orderResponse, description: 'Cancelled' },
    errors: ['UNAUTHORIZED', 'NOT_FOUND', 'INVALID_STATE'],
  },

  {
    method: 'get',
    path: '/api/admin/orders',
    tag: 'Admin',
    summary: 'All orders, newest first, with filters',
    access: 'ADMIN',
    query: adminOrdersQuery,
    ok: { status: 200, schema: orderPage, description: 'A page of orders' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN'],
  },
  {
    method: 'get',
    path: '/api/admin/orders/:id/history',
    tag: 'Admin',
    summary: 'Every state change of an order: who, when, from, to, why',
    access: 'ADMIN',
    params: ['id'],
    ok: { status: 200, schema: orderHistoryResponse, description: 'The history, oldest first' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/admin/stats',
    tag: 'Admin',
    summary: 'Platform totals',
    access: 'ADMIN',
    ok: { status: 200, schema: statsResponse, description: 'Statistics' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  {
    method: 'get',
    path: '/api/admin/events/:id/sales',
    tag: 'Admin',
    summary: 'Sales of one event per category',
    access: 'ADMIN, the event organizer',
    params: ['id'],
    ok: { status: 200, schema: salesResponse, description: 'Sales' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },

  ...TICKET_ENDPOINTS,
  ...WAITLIST_ENDPOINTS,
  ...QUEUE_ENDPOINTS,
];

export const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function errorResponses(codes: ErrorCode[], authenticated: boolean) {
  const all = new Set<ErrorCode>([...codes, 'INTERNAL']);
  if (authenticated) all.add('UNAUTHORIZED');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      { description: list.join(', '), content: { 'application/json': { schema: errorResponse } } },
    ]),
  );
}

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const e of ENDPOINTS) {
    const authenticated = e.access !== undefined;
    const route: RouteConfig = {
      method: e.method,
      path: toOpenApiPath(e.path),
      tags: [e.tag],
      summary: e.summary,
      description: e.access ? `Who: ${e.access}.` : 'Who: anyone.',
      security: authenticated ? [{ bearerAuth: [] }] : [],
      request: {
        ...(e.params ? { params: idParams(...e.params) } : {}),
        ...(e.query ? { query: e.query } : {}),
        ...(e.headers ? { headers: e.headers } : {}),
        ...(e.body ? { body: { required: true, content: { 'application/json': { schema: e.body } } } } : {}),
      },
      responses: {
        [e.ok.status]: {
          description: e.ok.description,
          ...(e.ok.schema ? { content: { 'application/json': { schema: e.ok.schema } } } : {}),
        },
        ...errorResponses(e.errors ?? [], authenticated),
      },
    };
    registry.registerPath(route);
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Real-time ticketing API',
      version: '1.0.0',
      description: realtimeDescription,
    },
    tags: [{ name: 'Real time', description: 'Socket.IO events: see the description above and `x-socketio`.' }],
  });
  return { ...document, 'x-socketio': realtimeEventSchemas() };
}
