import Stripe from 'stripe';
import { orderHistoryResponse, orderResponse } from '../src/modules/orders/orders.wire';
import { paymentConfigResponse, paymentResponse, webhookResponse } from '../src/modules/payments/payments.wire';
import { FAKE_STRIPE_KEY, FAKE_WEBHOOK_SECRET, signStripePayload } from './helpers/fake-stripe';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectStockInvariants } from './helpers/invariants';
import {
  deliver,
  endHold,
  expectNoMoneyWithoutTickets,
  history,
  postWebhook,
  retryOwedCalls,
  startPayment,
  startStripeStack,
  type StripeStack,
} from './helpers/payments';
import { orderOf, payment, putConfirm, reserveOne } from './helpers/api';
import { eventually } from './helpers/wait';

let stack: StripeStack;
let admin: TestUser;
let organizer: TestUser;
let buyer: TestUser;
let event: EventBody;

beforeAll(async () => {
  stack = await startStripeStack();
  admin = await createUser(stack.svc, 'ADMIN');
  organizer = await createUser(stack.svc, 'ORGANIZADOR');
  buyer = await createUser(stack.svc);
  event = await createEvent(stack.svc, organizer, {}, [
    { precio: 19.99, cantidadTotal: 100 },
    { precio: 150, cantidadTotal: 100 },
  ]);
});
afterAll(() => stack.close());
afterEach(async () => {
  stack.fake.clearFailures();
  await expectStockInvariants(stack.svc.database.db, event.id);
  await expectNoMoneyWithoutTickets(stack);
});

describe('the fake Stripe answers the real SDK like Stripe', () => {
  const stripe = () => {
    const base = new URL(stack.fake.url);
    return new Stripe(FAKE_STRIPE_KEY, {
      host: base.hostname,
      port: base.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  };

  it('creates, retrieves, captures, cancels and refunds, replaying idempotency keys', async () => {
    const params = { amount: 1999, currency: 'eur', capture_method: 'manual' as const, metadata: { orderId: 'o-1' } };
    const created = await stripe().paymentIntents.create(params, { idempotencyKey: 'key-1' });
    expect(created).toMatchObject({
      object: 'payment_intent',
      amount: 1999,
      status: 'requires_payment_method',
      metadata: { orderId: 'o-1' },
    });
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    const replay = await stripe().paymentIntents.create(params, { idempotencyKey: 'key-1' });
    expect(replay.id).toBe(created.id);
    await expect(
      stripe().paymentIntents.create({ ...params, amount: 5 }, { idempotencyKey: 'key-1' }),
    ).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });

    await expect(stripe().paymentIntents.capture(created.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
      statusCode: 400,
    });
    stack.fake.authorize(created.id);
    expect((await stripe().paymentIntents.retrieve(created.id)).status).toBe('requires_capture');
    const captured = await stripe().paymentIntents.capture(created.id);
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 1999 });
    await expect(stripe().paymentIntents.cancel(created.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    const refund = await stripe().refunds.create({ payment_intent: created.id });
    expect(refund).toMatchObject({ object: 'refund', amount: 1999, status: 'succeeded', payment_intent: created.id });
    await expect(stripe().refunds.create({ payment_intent: created.id })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });

    const other = await stripe().paymentIntents.create({ ...params, amount: 100 });
    expect((await stripe().paymentIntents.cancel(other.id)).status).toBe('canceled');
    await expect(stripe().paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    await expect(
      new Stripe('sk_test_wrong', {
        host: '127.0.0.1',
        port: new URL(stack.fake.url).port,
        protocol: 'http',
      }).paymentIntents.retrieve(other.id),
    ).rejects.toMatchObject({ statusCode: 401 });
  });

  it('signs webhooks the way the SDK verifies them', () => {
    const intent = [...stack.fake.intents.values()][0]!;
    const signed = stack.fake.event('payment_intent.succeeded', intent);
    const verified = Stripe.webhooks.constructEvent(signed.payload, signed.signature, FAKE_WEBHOOK_SECRET);
    expect(verified).toMatchObject({
      id: signed.id,
      type: 'payment_intent.succeeded',
      data: { object: { id: intent.id } },
    });
    expect(() => Stripe.webhooks.constructEvent(signed.payload, signed.signature, 'whsec_other')).toThrow();
    expect(() => Stripe.webhooks.constructEvent(`${signed.payload} `, signed.signature, FAKE_WEBHOOK_SECRET)).toThrow();
    const sdkHeader = Stripe.webhooks.generateTestHeaderString({
      payload: signed.payload,
      secret: FAKE_WEBHOOK_SECRET,
      timestamp: 1_700_000_000,
    });
    expect(signStripePayload(signed.payload, FAKE_WEBHOOK_SECRET, 1_700_000_000)).toBe(sdkHeader);
  });
});

describe('paying with PAYMENT_PROVIDER=stripe', () => {
  it('says which provider it uses', async () => {
    const res = await call(stack.svc.url, 'GET', '/api/payments/config');
    expect(res.body).toEqual({ proveedor: 'stripe', moneda: 'eur' });
    expect(paymentConfigResponse.safeParse(res.body).success).toBe(true);
  });

  it('creates one manual-capture intent per order, for the exact total in cents', async () => {
    const held = await reserveOne(stack.svc, buyer, event, 3); // 3 × 19.99 = 59.97: no float drift
    const payment = await startPayment(stack.svc, buyer, held.id);
    expect(paymentResponse.safeParse(payment).success).toBe(true);
    expect(payment).toMatchObject({
      proveedor: 'stripe',
      importe: 59.97,
      moneda: 'eur',
      estado: 'requires_payment_method',
    });
    expect(payment.clientSecret).toMatch(/_secret_/);
    expect(stack.fake.intents.get(payment.paymentId)).toMatchObject({
      amount: 5997,
      capture_method: 'manual',
      metadata: { orderId: held.id },
    });
    const again = await startPayment(stack.svc, buyer, held.id);
    expect(again.paymentId).toBe(payment.paymentId);
    expect([...stack.fake.intents.values()].filter((i) => i.metadata.orderId === held.id)).toHaveLength(1);

    const stranger = await createUser(stack.svc);
    expect(
      (await call(stack.svc.url, 'POST', `/api/orders/${held.id}/payment`, { token: stranger.token })).status,
    ).toBe(404);
    expect((await call(stack.svc.url, 'POST', `/api/orders/${held.id}/payment`, { token: admin.token })).status).toBe(
      403,
    );
    await call(stack.svc.url, 'PUT', `/api/orders/${held.id}/cancel`, { token: buyer.token });
    const late = await call(stack.svc.url, 'POST', `/api/orders/${held.id}/payment`, { token: buyer.token });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('INVALID_STATE');
    const expired = await reserveOne(stack.svc, buyer, event);
    await endHold(stack.svc, expired.id);
    expect(
      (await call(stack.svc.url, 'POST', `/api/orders/${expired.id}/payment`, { token: buyer.token })).body.error.code,
    ).toBe('ORDER_EXPIRED');
  });

  it('confirms from a signed webhook and captures only then', async () => {
    const held = await reserveOne(stack.svc, buyer, event, 2, 1);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    const res = await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId);
    expect(res).toEqual({ status: 200, body: { received: true } });
    expect(webhookResponse.safeParse(res.body).success).toBe(true);
    const confirmed = await orderOf(stack.svc, buyer, held.id);
    expect(confirmed.estado).toBe('CONFIRMED');
    expect(confirmed.pago).toMatchObject({ transactionId: paymentId, proveedor: 'stripe' });
    expect(orderResponse.safeParse(confirmed).success).toBe(true);
    expect(stack.fake.intents.get(paymentId)!.status).toBe('succeeded');

    // Stripe then sends payment_intent.succeeded: nothing more happens.
    const captures = stack.fake.calls.filter((c) => c.path.endsWith('/capture')).length;
    expect((await deliver(stack, 'payment_intent.succeeded', paymentId)).status).toBe(200);
    expect(stack.fake.calls.filter((c) => c.path.endsWith('/capture'))).toHaveLength(captures);
    // The buyer's own confirm afterwards answers the confirmed order.
    const buyerConfirm = await putConfirm(stack.svc, buyer, held.id, payment(paymentId, 'card'));
    expect(buyerConfirm.status).toBe(200);
    expect(buyerConfirm.body.estado).toBe('CONFIRMED');

    const h = await history(stack.svc, admin, held.id);
    expect(orderHistoryResponse.safeParse(h).success).toBe(true);
    expect(h.pagos).toEqual([
      expect.objectContaining({
        tipo: 'payment',
        proveedor: 'stripe',
        idProveedor: paymentId,
        importe: 300,
        estado: 'succeeded',
        pendiente: null,
      }),
    ]);
  });

  it('confirms from the buyer only when Stripe says the money is there', async () => {
    const held = await reserveOne(stack.svc, buyer, event);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);

    const madeUp = await putConfirm(stack.svc, buyer, held.id, payment('pi_made_up', 'card'));
    expect(madeUp.status).toBe(402);
    expect(madeUp.body.error.code).toBe('PAYMENT_REQUIRED');
    const unpaid = await putConfirm(stack.svc, buyer, held.id, payment(paymentId, 'card'));
    expect(unpaid.status).toBe(402);

    stack.fake.authorize(paymentId);
    const ok = await putConfirm(stack.svc, buyer, held.id, payment(paymentId, 'card'));
    expect(ok.status).toBe(200);
    expect(ok.body.estado).toBe('CONFIRMED');
    await eventually(() => expect(stack.fake.intents.get(paymentId)!.status).toBe('succeeded'));
    await eventually(async () => expect((await history(stack.svc, admin, held.id)).pagos[0]!.estado).toBe('succeeded'));
    expect((await putConfirm(stack.svc, buyer, held.id, payment(paymentId, 'card'))).status).toBe(200);
  });

  it("refuses another order's intent, and an intent for another amount (402)", async () => {
    const mine = await reserveOne(stack.svc, buyer, event);
    const theirs = await reserveOne(stack.svc, buyer, event, 2);
    const paidTheirs = await startPayment(stack.svc, buyer, theirs.id);
    stack.fake.authorize(paidTheirs.paymentId);
    expect((await putConfirm(stack.svc, buyer, mine.id, payment(paidTheirs.paymentId, 'card'))).status).toBe(402);

    const mineIntent = await startPayment(stack.svc, buyer, mine.id);
    stack.fake.intents.get(mineIntent.paymentId)!.amount = 1; // tampered with at the provider
    stack.fake.authorize(mineIntent.paymentId);
    expect((await putConfirm(stack.svc, buyer, mine.id, payment(mineIntent.paymentId, 'card'))).body.error.code).toBe(
      'PAYMENT_REQUIRED',
    );
    // The same intent as a webhook: not enough money, so it is released and the order stays held.
    expect((await deliver(stack, 'payment_intent.amount_capturable_updated', mineIntent.paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, mine.id)).estado).toBe('RESERVED');
    expect(stack.fake.intents.get(mineIntent.paymentId)!.status).toBe('canceled');
    expect((await history(stack.svc, admin, mine.id)).historial.at(-1)!.motivo).toMatch(/does not match the order/);

    expect((await deliver(stack, 'payment_intent.amount_capturable_updated', paidTheirs.paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, theirs.id)).estado).toBe('CONFIRMED');
  });

  it('verifies the signature on the raw body (400 INVALID_SIGNATURE)', async () => {
    const held = await reserveOne(stack.svc, buyer, event);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    const signed = stack.fake.event('payment_intent.amount_capturable_updated', stack.fake.intents.get(paymentId)!);
    const forged = signStripePayload(signed.payload, 'whsec_not_the_secret');
    for (const [payload, signature] of [
      [signed.payload, forged],
      [signed.payload, undefined],
      [signed.payload.replace('"livemode":false', '"livemode":false '), signed.signature], // one byte more
      [signed.payload, signStripePayload(signed.payload, FAKE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600)], // replayed
    ] as const) {
      const res = await postWebhook(stack.svc, payload, signature);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_SIGNATURE');
    }
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('RESERVED');
    expect((await postWebhook(stack.svc, signed.payload, signed.signature)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('CONFIRMED');
  });

  it('acts once per event id, and answers 200 to unknown orders and other event types', async () => {
    const held = await reserveOne(stack.svc, buyer, event);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    const signed = stack.fake.event('payment_intent.amount_capturable_updated', stack.fake.intents.get(paymentId)!);
    const twice = await Promise.all([1, 2, 3].map(() => postWebhook(stack.svc, signed.payload, signed.signature)));
    expect(twice.map((r) => r.status)).toEqual([200, 200, 200]);
    const h = await history(stack.svc, admin, held.id);
    expect(h.historial.filter((e) => e.hasta === 'CONFIRMED')).toHaveLength(1);

    const unknown = stack.fake.event('payment_intent.succeeded', {
      ...stack.fake.intents.get(paymentId)!,
      id: 'pi_unknown',
      metadata: { orderId: '00000000-0000-4000-8000-000000000000' },
    });
    expect((await postWebhook(stack.svc, unknown.payload, unknown.signature)).status).toBe(200);
    const noOrder = stack.fake.event('payment_intent.succeeded', {
      ...stack.fake.intents.get(paymentId)!,
      metadata: {},
    });
    expect((await postWebhook(stack.svc, noOrder.payload, noOrder.signature)).status).toBe(200);
    const other = stack.fake.event('charge.refunded', stack.fake.intents.get(paymentId)!);
    expect((await postWebhook(stack.svc, other.payload, other.signature)).status).toBe(200);
  });

  /** A buyer starts paying for 2 tickets of `ev`, and the hold runs out (expired) before the money arrives. */
  async function paymentAfterHoldExpired(ev: EventBody) {
    const order = await reserveOne(stack.svc, buyer, ev, 2);
    const { paymentId } = await startPayment(stack.svc, buyer, order.id);
    await endHold(stack.svc, order.id);
    await stack.svc.expiryJob.runOnce();
    return { order, paymentId };
  }

  /** The authorized late payment is refused: the order stays EXPIRED, the intent is cancelled, the history says `why`. */
  async function expectLatePaymentRefused(orderId: string, paymentId: string, why: RegExp) {
    stack.fake.authorize(paymentId);
    expect((await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, orderId)).estado).toBe('EXPIRED');
    expect(stack.fake.intents.get(paymentId)!.status).toBe('canceled');
    const h = await history(stack.svc, admin, orderId);
    expect(h.historial.at(-1)).toMatchObject({
      desde: 'EXPIRED',
      hasta: 'EXPIRED',
      motivo: expect.stringMatching(why),
    });
    return h;
  }

  it('honours a late payment while the tickets are still there', async () => {
    const { order: held, paymentId } = await paymentAfterHoldExpired(event);
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('EXPIRED');

    stack.fake.authorize(paymentId);
    expect((await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('CONFIRMED');
    expect(stack.fake.intents.get(paymentId)!.status).toBe('succeeded');
    const h = await history(stack.svc, admin, held.id);
    expect(h.historial.at(-1)).toMatchObject({
      desde: 'EXPIRED',
      hasta: 'CONFIRMED',
      motivo: expect.stringMatching(/late payment honoured/),
    });
  });

  it('refuses a late payment for sold-out tickets: order stays EXPIRED, intent cancelled, history says why', async () => {
    const small = await createEvent(stack.svc, organizer, {}, [{ cantidadTotal: 2 }]);
    const { order: late, paymentId } = await paymentAfterHoldExpired(small);
    const other = await createUser(stack.svc);
    const winner = await reserveOne(stack.svc, other, small, 1);
    await reserveOne(stack.svc, other, small, 1);

    const h = await expectLatePaymentRefused(late.id, paymentId, /refused.*no longer available.*cancelled/);
    expect(h.pagos[0]).toMatchObject({ estado: 'canceled', pendiente: null });
    await expectStockInvariants(stack.svc.database.db, small.id);

    // One ticket freed: still not enough for the 2 of the late order.
    await call(stack.svc.url, 'PUT', `/api/orders/${winner.id}/cancel`, { token: other.token });
    expect((await deliver(stack, 'payment_intent.succeeded', paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, late.id)).estado).toBe('EXPIRED');
    await expectStockInvariants(stack.svc.database.db, small.id);
  });

  it("refuses a late payment that would pass the event's per-buyer limit: intent cancelled, history says why", async () => {
    const limited = await createEvent(stack.svc, organizer, { maxPorComprador: 3 }, [{ cantidadTotal: 50 }]);
    const { order: late, paymentId } = await paymentAfterHoldExpired(limited);
    // The expired hold no longer counts, so the buyer could take 2 more; with the late 2 they would own 4.
    await reserveOne(stack.svc, buyer, limited, 2);

    await expectLatePaymentRefused(late.id, paymentId, /refused.*per-buyer limit.*cancelled/);
    await expectStockInvariants(stack.svc.database.db, limited.id);
  });

  it('refunds a late payment that was already captured when the tickets are gone', async () => {
    const small = await createEvent(stack.svc, organizer, {}, [{ cantidadTotal: 1 }]);
    const late = await reserveOne(stack.svc, buyer, small, 1);
    const { paymentId } = await startPayment(stack.svc, buyer, late.id);
    await call(stack.svc.url, 'PUT', `/api/orders/${late.id}/cancel`, { token: buyer.token });
    await reserveOne(stack.svc, await createUser(stack.svc), small, 1);
    const intent = stack.fake.authorize(paymentId);
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, amount_capturable: 0 });
    expect((await deliver(stack, 'payment_intent.succeeded', paymentId)).status).toBe(200);
    expect((await orderOf(stack.svc, buyer, late.id)).estado).toBe('CANCELLED');
    expect([...stack.fake.refunds.values()].map((r) => r.payment_intent)).toContain(paymentId);
    const h = await history(stack.svc, admin, late.id);
    expect(h.historial.at(-1)!.motivo).toMatch(/refunded/);
    expect(h.pagos.map((p) => [p.tipo, p.estado])).toEqual([
      ['payment', 'refunded'],
      ['refund', 'succeeded'],
    ]);
  });

  it('refunds a cancelled confirmed order after the cancel commits, retrying a failed refund call', async () => {
    const held = await reserveOne(stack.svc, buyer, event, 1, 1);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId);
    expect(stack.fake.intents.get(paymentId)!.status).toBe('succeeded');

    stack.fake.failNext('POST', /^\/v1\/refunds$/, 500, 1);
    const cancelled = await call(stack.svc.url, 'PUT', `/api/orders/${held.id}/cancel`, { token: buyer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.estado).toBe('CANCELLED');
    expect(cancelled.body.pago.reembolsadoEn).toBeUndefined();
    let h = await history(stack.svc, admin, held.id);
    expect(h.pagos[0]).toMatchObject({ pendiente: 'release', ultimoError: expect.any(String) });
    expect(
      stack.fake.refunds.size === 0 || ![...stack.fake.refunds.values()].some((r) => r.payment_intent === paymentId),
    ).toBe(true);

    expect(await retryOwedCalls(stack.svc)).toBeGreaterThanOrEqual(1);
    const refunded = await orderOf(stack.svc, buyer, held.id);
    expect(refunded.pago).toMatchObject({ proveedor: 'stripe', reembolsadoEn: expect.any(String) });
    h = await history(stack.svc, admin, held.id);
    expect(h.pagos).toEqual([
      expect.objectContaining({ tipo: 'payment', estado: 'refunded', pendiente: null, intentos: 2, ultimoError: null }),
      expect.objectContaining({ tipo: 'refund', estado: 'succeeded', importe: 150 }),
    ]);
    expect([...stack.fake.refunds.values()].filter((r) => r.payment_intent === paymentId)).toHaveLength(1);
  });

  it('cancels the authorization instead when a confirmed order is cancelled before its capture', async () => {
    const held = await reserveOne(stack.svc, buyer, event);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    stack.fake.failNext('POST', /\/capture$/, 500, 1);
    await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId);
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('CONFIRMED');
    expect(stack.fake.intents.get(paymentId)!.status).toBe('requires_capture');
    await call(stack.svc.url, 'PUT', `/api/orders/${held.id}/cancel`, { token: buyer.token });
    await retryOwedCalls(stack.svc);
    expect(stack.fake.intents.get(paymentId)!.status).toBe('canceled');
    expect((await orderOf(stack.svc, buyer, held.id)).pago?.reembolsadoEn).toEqual(expect.any(String));
  });

  it('retries a capture that failed after the confirmation committed', async () => {
    const held = await reserveOne(stack.svc, buyer, event);
    const { paymentId } = await startPayment(stack.svc, buyer, held.id);
    stack.fake.authorize(paymentId);
    stack.fake.failNext('POST', /\/capture$/, 503, 1);
    await deliver(stack, 'payment_intent.amount_capturable_updated', paymentId);
    expect((await orderOf(stack.svc, buyer, held.id)).estado).toBe('CONFIRMED');
    expect((await history(stack.svc, admin, held.id)).pagos[0]).toMatchObject({
      pendiente: 'capture',
      ultimoError: expect.any(String),
    });
    await retryOwedCalls(stack.svc);
    expect(stack.fake.intents.get(paymentId)!.status).toBe('succeeded');
    expect((await history(stack.svc, admin, held.id)).pagos[0]).toMatchObject({ pendiente: null, estado: 'succeeded' });
  });
});
