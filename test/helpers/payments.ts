import { sql } from 'kysely';
import { FAKE_STRIPE_KEY, FAKE_WEBHOOK_SECRET, FakeStripe } from './fake-stripe';
import type { OrderHistoryDto } from '../../src/modules/orders/orders.wire';
import type { PaymentDto } from '../../src/modules/payments/payments.wire';
import type { TestUser } from './factories';
import { call } from './http';
import { startTestService, type TestService } from './service';

export interface StripeStack {
  svc: TestService;
  fake: FakeStripe;
  close(): Promise<void>;
}

/** The service with PAYMENT_PROVIDER=stripe, its SDK pointed at a fake Stripe on a random port. */
export async function startStripeStack(overrides: Record<string, string> = {}): Promise<StripeStack> {
  const fake = await new FakeStripe().start();
  const svc = await startTestService({
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: FAKE_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET,
    STRIPE_API_BASE: fake.url,
    ...overrides,
  });
  return {
    svc,
    fake,
    close: async () => {
      await svc.close();
      await fake.close();
    },
  };
}

export async function startPayment(svc: TestService, buyer: TestUser, orderId: string): Promise<PaymentDto> {
  const res = await call(svc.url, 'POST', `/api/orders/${orderId}/payment`, { token: buyer.token });
  if (res.status !== 201) throw new Error(`payment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as PaymentDto;
}

/** Posts a signed Stripe event about the intent (as it is now at the fake) to the webhook. */
export async function deliver(stack: StripeStack, type: string, intentId: string, eventId?: string) {
  const intent = stack.fake.intents.get(intentId);
  if (!intent) throw new Error(`no intent ${intentId}`);
  const event = stack.fake.event(type, intent, eventId);
  return postWebhook(stack.svc, event.payload, event.signature);
}

export async function postWebhook(svc: TestService, payload: string, signature: string | undefined) {
  const res = await fetch(`${svc.url}/api/payments/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Ends the hold now (by the database clock) without waiting for it. */
export async function endHold(svc: TestService, orderId: string): Promise<void> {
  await sql`UPDATE orders SET expires_at = clock_timestamp() - interval '1 second' WHERE id = ${orderId}`.execute(
    svc.database.db,
  );
}

/** Makes every owed provider call due now (skipping its backoff) and runs one retry round. */
export async function retryOwedCalls(svc: TestService): Promise<number> {
  await sql`UPDATE payments SET next_attempt_at = clock_timestamp() WHERE wanted IS NOT NULL`.execute(svc.database.db);
  return svc.services.payments.runDue();
}

export async function history(svc: TestService, admin: TestUser, orderId: string) {
  const res = await call(svc.url, 'GET', `/api/admin/orders/${orderId}/history`, { token: admin.token });
  if (res.status !== 200) throw new Error(`history failed: ${res.status}`);
  return res.body as OrderHistoryDto;
}

/**
 * Money is never kept without tickets: every authorized or captured (and not refunded) intent
 * at the fake belongs to a CONFIRMED order whose transactionId it is, or is still owed a release.
 */
export async function expectNoMoneyWithoutTickets(stack: StripeStack): Promise<void> {
  const { rows } = await sql<{ id: string; status: string; transaction_id: string | null }>`
    SELECT id, status, transaction_id FROM orders`.execute(stack.svc.database.db);
  const orders = new Map(rows.map((r) => [r.id, r]));
  const refunded = new Set([...stack.fake.refunds.values()].map((r) => r.payment_intent));
  for (const intent of stack.fake.intents.values()) {
    const holdsMoney =
      intent.status === 'requires_capture' || (intent.status === 'succeeded' && !refunded.has(intent.id));
    if (!holdsMoney) continue;
    const order = orders.get(intent.metadata.orderId ?? '');
    expect({ intent: intent.id, order: order?.status, paid: order?.transaction_id === intent.id }).toEqual({
      intent: intent.id,
      order: 'CONFIRMED',
      paid: true,
    });
  }
}
