import { z } from 'zod';
import { PAYMENT_PROVIDERS } from '../../shared/domain';

export const paymentResponse = z
  .object({
    proveedor: z.enum(PAYMENT_PROVIDERS),
    paymentId: z.string().describe('Send it as transactionId to PUT /api/orders/:id/confirm'),
    clientSecret: z.string().nullable().describe('For Stripe.js (confirmCardPayment); null with simulated'),
    importe: z.number().describe('The order total'),
    moneda: z.string().describe('ISO 4217, lower case (CURRENCY)'),
    estado: z.string().describe("The provider's state of the payment, e.g. requires_payment_method, requires_capture"),
  })
  .strict()
  .meta({ id: 'Payment' });
export type PaymentDto = z.infer<typeof paymentResponse>;

export const paymentConfigResponse = z
  .object({ proveedor: z.enum(PAYMENT_PROVIDERS), moneda: z.string() })
  .strict()
  .meta({ id: 'PaymentConfig' });
export type PaymentConfigDto = z.infer<typeof paymentConfigResponse>;

export const webhookResponse = z.object({ received: z.literal(true) }).strict();
