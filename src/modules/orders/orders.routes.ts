import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { paginationQuery } from '../../shared/http/schemas';
import { AppError } from '../../shared/errors';
import { parseBody, parseQuery, validationDetails } from '../../shared/http/validate';
import { caller, requireAuth } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import type { Metrics } from '../metrics/metrics';
import type { RateLimits } from '../onsale/rate-limits';
import { confirmOrderBody, createOrderBody, idempotencyKey } from './orders.schemas';
import type { OrderService } from './orders.service';
import type { PaymentService } from '../payments/payments.service';

export function orderRoutes(deps: {
  orders: OrderService;
  payments: PaymentService;
  auth: Authenticator;
  metrics: Metrics;
  limits: RateLimits;
}): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.post('/', async (req, res) => {
    // Every attempt counts, valid or not: a script cannot probe faster by sending bad bodies.
    try {
      await deps.limits.order(caller(req).id);
    } catch (error) {
      deps.metrics.reservations.inc({ outcome: 'RATE_LIMITED' });
      throw error;
    }
    const body = parseBody(createOrderBody, req);
    const header = req.get('Idempotency-Key');
    let key: string | undefined;
    if (header !== undefined) {
      const parsed = idempotencyKey.safeParse(header);
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
      const { order, created } = await deps.orders.reserve(caller(req), body, key, req.get('Queue-Token'));
      deps.metrics.reservations.inc({ outcome: created ? 'created' : 'replayed' });
      // A replay answers exactly like the first request did.
      res.status(201).json(order);
    } catch (error) {
      deps.metrics.reservations.inc({ outcome: error instanceof AppError ? error.code : 'error' });
      throw error;
    }
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
