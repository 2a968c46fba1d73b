import type { Config } from '../../shared/config';
import type { PaymentProvider } from './provider';
import { SimulatedProvider } from './simulated.provider';
import { StripeProvider } from './stripe.provider';

/** The provider PAYMENT_PROVIDER names (the configuration already checked its settings). */
export function createPaymentProvider(settings: Config['payments']): PaymentProvider {
  if (settings.provider === 'stripe') return new StripeProvider(settings.stripe!);
  return new SimulatedProvider(settings.currency);
}
