import type { IncomingHttpHeaders } from 'node:http';
import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { paginationQuery } from '../../shared/http/schemas';
import { AppError } from '../../shared/errors';
import type { HotRoute, Step } from '../../shared/http/hot-routes';
import { parseBody, parseQuery, parseValue, validationDetails } from '../../shared/http/validate';
import { caller, requireAuth, signedIn } from '../auth/auth.middleware';
import type { AuthUser } from '../auth/tokens';
import type { OrderDto } from './orders.wire';
import type { Authenticator } from '../auth/authenticate';
import type { Metrics } from '../metrics/metrics';
import type { RateLimits } from '../onsale/rate-limits';
import { confirmOrderBody, createOrderBody, idempotencyKey } from './orders.schemas';
import type { OrderService } from './orders.service';
import type { PaymentService } from '../payments/payments.service';

export interface OrderRouteDeps {
  orders: OrderService;
  payments: PaymentService;
  auth: Authenticator;
  metrics: Metrics;
  limits: RateLimits;
}

/**
 * POST /api/orders once the caller is known: rate limit, validation, the reservation, its metric.
 * Shared by the Express route and the hot route (app.ts), so both answer alike: a new check of
 * this route (e.g. a virtual queue's `Queue-Token` header, read from `headers`) belongs here.
 */
export async function createOrder(
  deps: OrderRouteDeps,
  user: AuthUser,
  rawBody: unknown,
  headers: IncomingHttpHeaders,
): Promise<OrderDto> {
  const idempotencyHeader = headers['idempotency-key'] as string | undefined;
  // Checked in memory by the service; the database refuses a queued event without it.
  const queueToken = headers['queue-token'] as string | undefined;
  // Every attempt counts, valid or not: a script cannot probe faster by sending bad bodies.
  try {
    await deps.limits.order(user.id);
  } catch (error) {
    deps.metrics.reservations.inc({ outcome: 'RATE_LIMITED' });
    throw error;
  }
  const body = parseValue(createOrderBody, rawBody, 'body');
  let key: string | undefined;
  if (idempotencyHeader !== undefined) {
    const parsed = idempotencyKey.safeParse(idempotencyHeader);
    if (!parsed.success) {
      throw new AppError(
        'VALIDATION_ERROR',
        'Invalid Idempotency-Key header',
        validationDetails(parsed.error, 'headers'),
      );
    }
    key = parsed.data;
  }
  try {
    const { order, created } = await deps.orders.reserve(user, body, key, queueToken);
    deps.metrics.reservations.inc({ outcome: created ? 'created' : 'replayed' });
    // A replay answers exactly like the first request did.
    return order;
  } catch (error) {
    deps.metrics.reservations.inc({ outcome: error instanceof AppError ? error.code : 'error' });
    throw error;
  }
}

/** POST /api/orders without Express (see shared/http/hot-routes.ts); `steps` as in app.ts. */
export function createOrderHotRoute(deps: OrderRouteDeps, steps: Step[]): HotRoute {
  return {
    method: 'POST',
    match: (path) => (path === '/api/orders' ? [] : undefined),
    steps,
    handle: async (req, body) => {
      const user = await signedIn(deps.auth, req.headers.authorization);
      return {
        status: 201,
        body: await createOrder(deps, user, body, req.headers),
      };
    },
  };
}

export function orderRoutes(deps: OrderRouteDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.post('/', async (req, res) => {
    res.status(201).json(await createOrder(deps, caller(req), req.body ?? {}, req.headers));
  });

  router.get('/my-orders', async (req, res) => {
    const user = caller(req);
    res.json(await deps.orders.list({ userId: user.id }, parseQuery(paginationQuery, req)));
  });

  router.get('/:id', async (req, res) => {
    res.json(await deps.orders.get(caller(req), idParam(req, 'id', 'Order')));
  });

  router.put('/:id/confirm', async (req, res) => {
    const id = idParam(req, 'id', 'Order');
    res.json(await deps.orders.confirm(caller(req), id, parseBody(confirmOrderBody, req)));
  });

  router.post('/:id/payment', async (req, res) => {
    res.status(201).json(await deps.payments.start(caller(req), idParam(req, 'id', 'Order')));
  });

  router.put('/:id/cancel', async (req, res) => {
    res.json(await deps.orders.cancel(caller(req), idParam(req, 'id', 'Order')));
  });

  return router;
}
