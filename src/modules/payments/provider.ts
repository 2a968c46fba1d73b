import type { PaymentProviderName } from '../../shared/domain';

/**
 * What the order and payment services ask of a payment provider. Only these calls exist, so
 * the contract's list (create, retrieve, capture, cancel a PaymentIntent; create a refund) is
 * the whole surface a provider must answer.
 */
export type ProviderName = PaymentProviderName;

/** A payment attempt as the provider reports it (amounts in cents). */
export interface ProviderIntent {
  id: string;
  /** The provider's own word: requires_payment_method, requires_capture, succeeded, canceled, … */
  status: string;
  amountCents: number;
  /** Authorized and not yet captured. */
  capturableCents: number;
  /** Captured. */
  receivedCents: number;
  currency: string;
  /** `metadata.orderId`: the order the intent was created for. */
  orderId: string | undefined;
  /** What a browser needs to collect the card (Stripe.js); null for the simulated provider. */
  clientSecret: string | null;
}

export interface ProviderRefund {
  id: string;
  status: string;
  amountCents: number;
}

/** A verified webhook event. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** The PaymentIntent the event is about, when it is about one. */
  intent: ProviderIntent | undefined;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** false: the buyer's confirm is taken as the payment (the simulated provider). */
  readonly verifiesPayments: boolean;
  /** Idempotent per order: asking twice for the same order returns the same intent. */
  createIntent(input: { orderId: string; amountCents: number; currency: string }): Promise<ProviderIntent>;
  retrieveIntent(id: string): Promise<ProviderIntent>;
  capture(id: string): Promise<ProviderIntent>;
  cancel(id: string): Promise<ProviderIntent>;
  /** Idempotent per intent: a retried refund never refunds twice. */
  refund(intentId: string): Promise<ProviderRefund>;
  /** Throws InvalidSignature when the payload was not signed by the provider. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): ProviderEvent;
}

/** The provider refused the request itself (not a network failure): retrying will not help. */
export class ProviderRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly statusCode: number | undefined,
  ) {
    super(message);
    this.name = 'ProviderRequestError';
  }
}

/** The provider could not be reached or failed on its side (after the SDK's own retries). */
export class ProviderUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailable';
  }
}

export class InvalidSignature extends Error {}

/** Authorized (waiting for capture) or captured, for at least `amountCents` in `currency`. */
export function coversAmount(intent: ProviderIntent, amountCents: number, currency: string): boolean {
  if (intent.amountCents !== amountCents || intent.currency !== currency) return false;
  if (intent.status === 'requires_capture') return intent.capturableCents >= amountCents;
  if (intent.status === 'succeeded') return intent.receivedCents >= amountCents;
  return false;
}
