import express, { Router } from 'express';
import { AppError } from '../../shared/errors';
import type { PaymentService } from './payments.service';

/**
 * Mounted before the app's JSON parser: a webhook's signature covers the exact bytes Stripe sent,
 * so its body must reach the handler raw.
 */
export function paymentRoutes(deps: { payments: PaymentService }): Router {
  const router = Router();

  router.get('/config', (_req, res) => {
    res.json(deps.payments.settings());
  });

  router.post('/stripe/webhook', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    if (deps.payments.provider.name !== 'stripe') {
      throw new AppError('NOT_FOUND', 'Stripe payments are not enabled (PAYMENT_PROVIDER is not stripe)');
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await deps.payments.handleWebhook(body, req.get('Stripe-Signature'));
    res.json({ received: true });
  });

  return router;
}
