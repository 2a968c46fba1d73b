import { ConfigError, loadConfig } from '../src/shared/config';
import { orderHistoryResponse, orderResponse } from '../src/modules/orders/orders.wire';
import { paymentResponse } from '../src/modules/payments/payments.wire';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { history, postWebhook } from './helpers/payments';
import { reserveOne } from './helpers/api';
import { startTestService, type TestService } from './helpers/service';

const strong = 'k3Jx9-Qp2Lm8Zr4Tw7Vb1Nc6Yh5Gd0Fs_aE';

describe('payment configuration', () => {
  it('defaults to simulated payments in eur outside production', () => {
    expect(loadConfig({}).payments).toEqual({ provider: 'simulated', currency: 'eur' });
    expect(loadConfig({ CURRENCY: 'USD' }).payments.currency).toBe('usd');
  });

  it('refuses simulated payments in production unless ALLOW_SIMULATED_PAYMENTS=true, naming it', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: strong,
      TICKET_SIGNING_SECRET: strong,
      TRUST_PROXY: 'false',
      METRICS_TOKEN: 'metrics-token-0123456789',
    };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/ALLOW_SIMULATED_PAYMENTS=true/);
    expect(() => loadConfig({ ...production, PAYMENT_PROVIDER: 'simulated' })).toThrow(/PAYMENT_PROVIDER/);
    expect(loadConfig({ ...production, ALLOW_SIMULATED_PAYMENTS: 'true' }).payments.provider).toBe('simulated');
  });

  it('requires both Stripe secrets with PAYMENT_PROVIDER=stripe, and checks every payment variable', () => {
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow(
      /STRIPE_SECRET_KEY: is required[\s\S]*STRIPE_WEBHOOK_SECRET: is required/,
    );
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_1' })).toThrow(
      /STRIPE_WEBHOOK_SECRET/,
    );
    const stripe = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: strong,
      TICKET_SIGNING_SECRET: strong,
      TRUST_PROXY: 'false',
      METRICS_TOKEN: 'metrics-token-0123456789',
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_live_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
    });
    expect(stripe.payments).toEqual({
      provider: 'stripe',
      currency: 'eur',
      stripe: { secretKey: 'sk_live_abc', webhookSecret: 'whsec_abc', apiBase: undefined },
    });
    for (const [name, value] of [
      ['PAYMENT_PROVIDER', 'paypal'],
      ['ALLOW_SIMULATED_PAYMENTS', 'yes'],
      ['STRIPE_SECRET_KEY', 'pk_test_public'],
      ['STRIPE_WEBHOOK_SECRET', 'secret'],
      ['STRIPE_API_BASE', 'ftp://x'],
      ['CURRENCY', 'euro'],
    ]) {
      expect(() => loadConfig({ [name!]: value })).toThrow(new RegExp(`${name}:`));
    }
  });
});

describe('simulated payments (the default)', () => {
  let svc: TestService;
  let admin: TestUser;
  let buyer: TestUser;
  let event: EventBody;

  beforeAll(async () => {
    svc = await startTestService();
    admin = await createUser(svc, 'ADMIN');
    buyer = await createUser(svc);
    event = await createEvent(svc, await createUser(svc, 'ORGANIZADOR'), {}, [{ precio: 10.1 }]);
  });
  afterAll(() => svc.close());

  it('keeps the buyer-confirm flow, with a payment to start and the provider on the order', async () => {
    expect((await call(svc.url, 'GET', '/api/payments/config')).body).toEqual({
      proveedor: 'simulated',
      moneda: 'eur',
    });
    const order = await reserveOne(svc, buyer, event, 3);
    const payment = await call(svc.url, 'POST', `/api/orders/${order.id}/payment`, { token: buyer.token });
    expect(payment.status).toBe(201);
    expect(paymentResponse.safeParse(payment.body).success).toBe(true);
    expect(payment.body).toMatchObject({ proveedor: 'simulated', clientSecret: null, importe: 30.3, moneda: 'eur' });
    const repeat = await call(svc.url, 'POST', `/api/orders/${order.id}/payment`, { token: buyer.token });
    expect(repeat.body.paymentId).toBe(payment.body.paymentId);

    // Any transactionId is accepted, as before.
    const confirmed = await call(svc.url, 'PUT', `/api/orders/${order.id}/confirm`, {
      token: buyer.token,
      body: { metodoPago: 'tarjeta', transactionId: `txn-${order.id}` },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.pago).toEqual({
      metodoPago: 'tarjeta',
      transactionId: `txn-${order.id}`,
      confirmadoEn: expect.any(String),
      proveedor: 'simulated',
    });
    expect(orderResponse.safeParse(confirmed.body).success).toBe(true);
  });

  it('refunds a cancelled confirmed order at once, and shows payment and refund to ADMIN', async () => {
    const order = await reserveOne(svc, buyer, event, 2);
    await call(svc.url, 'PUT', `/api/orders/${order.id}/confirm`, {
      token: buyer.token,
      body: { metodoPago: 'card', transactionId: `sim-${order.id}` },
    });
    const cancelled = await call(svc.url, 'PUT', `/api/orders/${order.id}/cancel`, { token: buyer.token });
    expect(cancelled.body.estado).toBe('CANCELLED');
    expect(cancelled.body.pago.reembolsadoEn).toEqual(expect.any(String));
    const h = await history(svc, admin, order.id);
    expect(orderHistoryResponse.safeParse(h).success).toBe(true);
    expect(h.pagos.map((p) => [p.tipo, p.proveedor, p.importe, p.estado])).toEqual([
      ['payment', 'simulated', 20.2, 'refunded'],
      ['refund', 'simulated', 20.2, 'succeeded'],
    ]);

    // A hold cancelled before payment has nothing to refund.
    const unpaid = await reserveOne(svc, buyer, event);
    const cancelledHold = await call(svc.url, 'PUT', `/api/orders/${unpaid.id}/cancel`, { token: buyer.token });
    expect(cancelledHold.body.pago).toBeUndefined();
    expect((await history(svc, admin, unpaid.id)).pagos).toEqual([]);
  });

  it('has no Stripe webhook', async () => {
    const res = await postWebhook(svc, '{"id":"evt_1"}', 't=1,v1=00');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
