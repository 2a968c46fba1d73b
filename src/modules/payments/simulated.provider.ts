import type { PaymentProvider, ProviderIntent } from './provider';

/**
 * The development stand-in: no money moves, the buyer's confirm is the payment. Every call
 * answers at once as if the provider had done it.
 */
export class SimulatedProvider implements PaymentProvider {
  readonly name = 'simulated' as const;
  readonly verifiesPayments = false;

  constructor(private readonly currency: string) {}

  private intent(id: string, status: string, amountCents = 0, orderId?: string): ProviderIntent {
    const paid = status === 'succeeded' ? amountCents : 0;
    return {
      id,
      status,
      amountCents,
      capturableCents: 0,
      receivedCents: paid,
      currency: this.currency,
      orderId,
      clientSecret: null,
    };
  }

  async createIntent(input: { orderId: string; amountCents: number }): Promise<ProviderIntent> {
    return this.intent(`sim_${input.orderId}`, 'requires_confirmation', input.amountCents, input.orderId);
  }

  async retrieveIntent(id: string): Promise<ProviderIntent> {
    return this.intent(id, 'requires_confirmation');
  }

  async capture(id: string): Promise<ProviderIntent> {
    return this.intent(id, 'succeeded');
  }

  async cancel(id: string): Promise<ProviderIntent> {
    return this.intent(id, 'canceled');
  }

  async refund(intentId: string) {
    return { id: `sim_re_${intentId}`, status: 'succeeded', amountCents: 0 };
  }

  verifyWebhook(): never {
    throw new Error('the simulated provider has no webhooks');
  }
}
