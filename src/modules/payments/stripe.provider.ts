import Stripe from 'stripe';
import {
  InvalidSignature,
  ProviderRequestError,
  ProviderUnavailable,
  type PaymentProvider,
  type ProviderIntent,
} from './provider';

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Another base URL for the API (a local stripe-mock or test double); unset: Stripe's own. */
  apiBase: string | undefined;
}

type Intent = Stripe.PaymentIntent;

function toIntent(pi: Intent): ProviderIntent {
  return {
    id: pi.id,
    status: pi.status,
    amountCents: pi.amount,
    capturableCents: pi.amount_capturable ?? 0,
    receivedCents: pi.amount_received ?? 0,
    currency: pi.currency,
    orderId: pi.metadata?.orderId,
    clientSecret: pi.client_secret ?? null,
  };
}

/**
 * Stripe through its official SDK. Network failures and 5xx are retried by the SDK (with the
 * same idempotency key); what is left is either a refusal (ProviderRequestError) or an outage
 * the caller records and retries later.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  readonly verifiesPayments = true;
  private readonly stripe: Stripe;

  constructor(private readonly settings: StripeSettings) {
    const base = settings.apiBase ? new URL(settings.apiBase) : undefined;
    this.stripe = new Stripe(settings.secretKey, {
      maxNetworkRetries: 2,
      timeout: 15_000,
      telemetry: false,
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? '80' : '443'),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeCardError) {
        throw new ProviderRequestError(error.message, error.code, error.statusCode);
      }
      // Outages, and our own misconfiguration (a wrong key): never the client's fault.
      throw new ProviderUnavailable(`Stripe: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }

  async createIntent(input: { orderId: string; amountCents: number; currency: string }): Promise<ProviderIntent> {
    const pi = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: input.amountCents,
          currency: input.currency,
          capture_method: 'manual',
          metadata: { orderId: input.orderId },
        },
        // One intent per order, however often the buyer asks.
        { idempotencyKey: input.orderId },
      ),
    );
    return toIntent(pi);
  }

  async retrieveIntent(id: string): Promise<ProviderIntent> {
    return toIntent(await this.call(() => this.stripe.paymentIntents.retrieve(id)));
  }

  async capture(id: string): Promise<ProviderIntent> {
    return toIntent(
      await this.call(() => this.stripe.paymentIntents.capture(id, {}, { idempotencyKey: `capture-${id}` })),
    );
  }

  async cancel(id: string): Promise<ProviderIntent> {
    return toIntent(
      await this.call(() => this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey: `cancel-${id}` })),
    );
  }

  async refund(intentId: string) {
    const refund = await this.call(() =>
      this.stripe.refunds.create({ payment_intent: intentId }, { idempotencyKey: `refund-${intentId}` }),
    );
    return { id: refund.id, status: refund.status ?? 'pending', amountCents: refund.amount };
  }

  verifyWebhook(rawBody: Buffer, signature: string | undefined) {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature ?? '', this.settings.webhookSecret);
    } catch {
      throw new InvalidSignature('The Stripe-Signature header does not verify this payload');
    }
    const object = (event.data as { object?: { object?: string } }).object;
    return {
      id: event.id,
      type: event.type,
      intent: object?.object === 'payment_intent' ? toIntent(object as Intent) : undefined,
    };
  }
}
