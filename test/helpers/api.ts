/**
 * The typed test API client: one function per request the suites make again and again. Bodies are
 * typed with the server's own wire schemas (`src/modules/<area>/<area>.wire.ts`, via `z.infer`), so a
 * renamed or retyped wire field fails `npm run typecheck` in the tests that read it.
 *
 * Two kinds of helper: `postOrder`, `putConfirm`, … return the request as is (supertest, awaitable),
 * for tests that look at the status or the error; `reserve`, `confirm`, … insist on success and
 * return the typed body, for tests that only need the thing to exist.
 */
import type { SalesDto, StatsDto } from '../../src/modules/admin/admin.wire';
import type { EventDto } from '../../src/modules/events/events.wire';
import type { OrderDto } from '../../src/modules/orders/orders.wire';
import { unique, type TestUser } from './factories';
import { call } from './http';
import type { TestService } from './service';

export type { SalesDto, StatsDto, EventDto, OrderDto };

/** One line of an order request. */
export interface Line {
  categoriaId: string;
  cantidad: number;
}
export const line = (category: { id: string }, cantidad: number): Line => ({ categoriaId: category.id, cantidad });

const as = (user: TestUser | undefined) => (user ? user.auth : {});

function insist<T>(res: { status: number; body: any }, status: number, what: string): T {
  if (res.status !== status) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** POSTs `raw` as it is, declared as JSON: for malformed and oversized bodies. */
export const postRawJson = (svc: TestService, path: string, raw: string) =>
  svc.api().post(path).set('Content-Type', 'application/json').send(raw);

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

/** POST /api/orders as `user` (anonymous when undefined), optionally with an Idempotency-Key. */
export function postOrder(
  svc: TestService,
  user: TestUser | undefined,
  eventoId: string,
  tickets: unknown,
  opts: { key?: string } = {},
) {
  const req = svc.api().post('/api/orders').set(as(user));
  return (opts.key === undefined ? req : req.set('Idempotency-Key', opts.key)).send({ eventoId, tickets });
}

/**
 * POST /api/orders over plain fetch with any body, for bursts of truly parallel requests:
 * `{status, body}` whatever the answer.
 */
export const placeOrder = (svc: TestService, user: TestUser, body: unknown, headers: Record<string, string> = {}) =>
  call(svc.url, 'POST', '/api/orders', { token: user.token, body, headers });

/** Reserves `lines` for `user`, insisting on 201. */
export async function reserve(svc: TestService, user: TestUser, eventoId: string, lines: Line[]): Promise<OrderDto> {
  return insist<OrderDto>(await placeOrder(svc, user, { eventoId, tickets: lines }), 201, 'reserve');
}

/** One line of `cantidad` in the event's `category`-th category, insisting on 201. */
export const reserveOne = (svc: TestService, user: TestUser, event: EventDto, cantidad = 1, category = 0) =>
  reserve(svc, user, event.id, [line(event.categorias[category]!, cantidad)]);

/** The body of a confirm with the simulated provider: any method, a fresh transaction id. */
export const payment = (transactionId = unique('tx'), metodoPago = 'tarjeta') => ({ metodoPago, transactionId });

export const putConfirm = (svc: TestService, user: TestUser, orderId: string, body: object = payment()) =>
  svc.api().put(`/api/orders/${orderId}/confirm`).set(user.auth).send(body);
export const putCancel = (svc: TestService, user: TestUser, orderId: string) =>
  svc.api().put(`/api/orders/${orderId}/cancel`).set(user.auth).send();
export const getOrder = (svc: TestService, user: TestUser, orderId: string) =>
  svc.api().get(`/api/orders/${orderId}`).set(user.auth);

/** Confirms (pays) the order, insisting on 200. */
export async function confirm(
  svc: TestService,
  user: TestUser,
  orderId: string,
  body: object = payment(),
): Promise<OrderDto> {
  return insist<OrderDto>(await putConfirm(svc, user, orderId, body), 200, 'confirm');
}

/** Cancels the order, insisting on 200. */
export async function cancel(svc: TestService, user: TestUser, orderId: string): Promise<OrderDto> {
  return insist<OrderDto>(await putCancel(svc, user, orderId), 200, 'cancel');
}

/** The order as `user` sees it, insisting on 200. */
export async function orderOf(svc: TestService, user: TestUser, orderId: string): Promise<OrderDto> {
  return insist<OrderDto>(await getOrder(svc, user, orderId), 200, 'GET order');
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export const getEvent = (svc: TestService, id: string) => svc.api().get(`/api/events/${id}`);

/** The event as anyone sees it, insisting on 200. */
export async function eventOf(svc: TestService, id: string): Promise<EventDto> {
  return insist<EventDto>(await getEvent(svc, id), 200, 'GET event');
}

/** `disponible` of every category of the event, by category id, as a client sees it. */
export async function stockOf(svc: TestService, eventId: string): Promise<Record<string, number>> {
  const res = await getEvent(svc, eventId);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as EventDto).categorias.map((c) => [c.id, c.disponible]));
}

// ---------------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------------

export async function stats(svc: TestService, admin: TestUser): Promise<StatsDto> {
  const res = await svc.api().get('/api/admin/stats').set(admin.auth);
  expect(res.status).toBe(200);
  return res.body as StatsDto;
}

export async function sales(svc: TestService, user: TestUser, eventId: string): Promise<SalesDto> {
  const res = await svc.api().get(`/api/admin/events/${eventId}/sales`).set(user.auth);
  expect(res.status).toBe(200);
  return res.body as SalesDto;
}
