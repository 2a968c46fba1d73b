/**
 * A small stand-in for Stripe's API servers, for tests and for trying the service by hand: the
 * real `stripe` SDK talks to it through STRIPE_API_BASE. It answers the five calls the service
 * makes (create, retrieve, capture, cancel a PaymentIntent; create a refund) with Stripe's object
 * shapes, errors and idempotency-key replay, and signs webhook events the way Stripe does.
 *
 * Standalone: `npx tsx test/helpers/fake-stripe.ts --port 3399 [--forward-to URL]` (see README,
 * "Payments"). Then `POST /_fake/payment_intents/:id/authorize` plays the buyer entering a card
 * in Stripe.js, and with --forward-to the signed webhook goes to the service like `stripe listen`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_STRIPE_KEY = 'sk_test_fake_0123456789';
export const FAKE_WEBHOOK_SECRET = 'whsec_fake0123456789abcdef';

export interface FakeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  capture_method: string;
  client_secret: string;
  currency: string;
  metadata: Record<string, string>;
  status: string;
  created: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  livemode: false;
  latest_charge: string | null;
  payment_method: string | null;
  payment_method_types: string[];
}

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
}

const randomId = (prefix: string) => `${prefix}_${crypto.randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** The `Stripe-Signature` header for `payload`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`. */
export function signStripePayload(payload: string, secret = FAKE_WEBHOOK_SECRET, timestamp = now()): string {
  const v1 = crypto.createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** Stripe's form encoding, `metadata[orderId]=…` included, back into an object. */
function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const nested = /^(\w+)\[(\w+)\]$/.exec(key);
    if (nested) {
      const inner = (out[nested[1]!] ??= {}) as Record<string, string>;
      inner[nested[2]!] = value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; code?: string; message: string; param?: string },
  ) {
    super(body.message);
  }
}

const missing = (id: string, param = 'intent') =>
  new StripeHttpError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such payment_intent: '${id}'`,
  });
const unexpectedState = (intent: FakeIntent, action: string) =>
  new StripeHttpError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message: `This PaymentIntent could not be ${action} because it has a status of ${intent.status}.`,
  });

export class FakeStripe {
  readonly intents = new Map<string, FakeIntent>();
  readonly refunds = new Map<string, Record<string, unknown>>();
  /** Every API call received, for assertions (method, path). */
  readonly calls: { method: string; path: string }[] = [];
  private readonly idempotent = new Map<string, { params: string; status: number; body: unknown }>();
  private failures: Failure[] = [];
  private server: http.Server | undefined;
  url = '';

  constructor(private readonly options: { secretKey?: string; webhookSecret?: string; forwardTo?: string } = {}) {}

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` calls matching `method path` answer `status` (Stripe's error shape). */
  failNext(method: string, path: RegExp, status = 500, times = 1): void {
    this.failures.push({ method, path, status, remaining: times });
  }

  clearFailures(): void {
    this.failures = [];
  }

  /** The buyer completed the card step (Stripe.js): the money is authorized, waiting for capture. */
  authorize(id: string): FakeIntent {
    const intent = this.intents.get(id);
    if (!intent) throw new Error(`no intent ${id}`);
    intent.status = intent.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
    intent.payment_method = randomId('pm');
    if (intent.status === 'requires_capture') intent.amount_capturable = intent.amount;
    else intent.amount_received = intent.amount;
    return intent;
  }

  /** A webhook event about `intent` as Stripe sends it: the JSON body and its Stripe-Signature. */
  event(type: string, intent: FakeIntent, id = randomId('evt')): { id: string; payload: string; signature: string } {
    const payload = JSON.stringify({
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: now(),
      type,
      data: { object: structuredClone(intent) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    });
    return { id, payload, signature: signStripePayload(payload, this.options.webhookSecret ?? FAKE_WEBHOOK_SECRET) };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': randomId('req'), ...headers });
      res.end(JSON.stringify(payload));
    };

    if (path.startsWith('/_fake/')) return this.control(method, path, send);

    this.calls.push({ method, path });
    if (req.headers.authorization !== `Bearer ${this.options.secretKey ?? FAKE_STRIPE_KEY}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const failure = this.failures.find((f) => f.method === method && f.path.test(path) && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      // Asked not to retry, so a test sees the failure at once instead of after the SDK's backoff.
      return send(
        failure.status,
        { error: { type: 'api_error', message: 'Injected failure' } },
        { 'stripe-should-retry': 'false' },
      );
    }

    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' && method === 'POST' ? `${path}|${key}` : undefined;
    if (idempotencyKey) {
      const earlier = this.idempotent.get(idempotencyKey);
      if (earlier) {
        if (earlier.params !== body) {
          return send(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            },
          });
        }
        return send(earlier.status, earlier.body, { 'idempotent-replayed': 'true', 'idempotency-key': String(key) });
      }
    }

    let status = 200;
    let result: unknown;
    try {
      result = this.route(method, path, parseForm(body));
    } catch (error) {
      if (!(error instanceof StripeHttpError)) throw error;
      status = error.status;
      result = { error: error.body };
    }
    // Stripe replays errors too, except 5xx (the request may be retried).
    if (idempotencyKey && status < 500) this.idempotent.set(idempotencyKey, { params: body, status, body: result });
    send(status, result, typeof key === 'string' ? { 'idempotency-key': key } : {});
  }

  private route(method: string, path: string, params: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/v1/payment_intents') return this.create(params);
    if (method === 'POST' && path === '/v1/refunds') return this.refund(params);
    const match = /^\/v1\/payment_intents\/([^/]+)(?:\/(capture|cancel))?$/.exec(path);
    if (match) {
      const intent = this.intents.get(match[1]!);
      if (!intent) throw missing(match[1]!);
      if (method === 'GET' && !match[2]) return intent;
      if (method === 'POST' && match[2] === 'capture') {
        if (intent.status !== 'requires_capture') throw unexpectedState(intent, 'captured');
        intent.amount_received = intent.amount_capturable;
        intent.amount_capturable = 0;
        intent.status = 'succeeded';
        intent.latest_charge = randomId('ch');
        return intent;
      }
      if (method === 'POST' && match[2] === 'cancel') {
        if (intent.status === 'succeeded' || intent.status === 'canceled') throw unexpectedState(intent, 'canceled');
        intent.status = 'canceled';
        intent.amount_capturable = 0;
        intent.canceled_at = now();
        intent.cancellation_reason = typeof params.cancellation_reason === 'string' ? params.cancellation_reason : null;
        return intent;
      }
    }
    throw new StripeHttpError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  }

  private create(params: Record<string, unknown>): FakeIntent {
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount < 1) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid_integer',
        param: 'amount',
        message: 'Invalid integer',
      });
    }
    if (typeof params.currency !== 'string' || !/^[a-z]{3}$/.test(params.currency)) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'parameter_missing',
        param: 'currency',
        message: 'Missing required param: currency.',
      });
    }
    const id = randomId('pi');
    const intent: FakeIntent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      capture_method: params.capture_method === 'manual' ? 'manual' : 'automatic',
      client_secret: `${id}_secret_${crypto.randomBytes(12).toString('hex')}`,
      currency: params.currency,
      metadata: (params.metadata as Record<string, string>) ?? {},
      status: 'requires_payment_method',
      created: now(),
      canceled_at: null,
      cancellation_reason: null,
      livemode: false,
      latest_charge: null,
      payment_method: null,
      payment_method_types: ['card'],
    };
    this.intents.set(id, intent);
    return intent;
  }

  private refund(params: Record<string, unknown>) {
    const id = String(params.payment_intent ?? '');
    const intent = this.intents.get(id);
    if (!intent) throw missing(id, 'payment_intent');
    const refunded = [...this.refunds.values()]
      .filter((r) => r.payment_intent === id)
      .reduce((s, r) => s + Number(r.amount), 0);
    const amount = params.amount === undefined ? intent.amount_received - refunded : Number(params.amount);
    if (intent.status !== 'succeeded' || amount <= 0 || refunded + amount > intent.amount_received) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: intent.status === 'succeeded' ? 'charge_already_refunded' : 'charge_not_captured',
        message:
          intent.status === 'succeeded'
            ? `Charge ${intent.latest_charge} has already been refunded.`
            : 'This PaymentIntent has not been captured.',
      });
    }
    const refund = {
      id: randomId('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      payment_intent: id,
      charge: intent.latest_charge,
      status: 'succeeded',
      reason: null,
      metadata: {},
      created: now(),
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }

  /** Test controls, not Stripe's API. */
  private async control(method: string, path: string, send: (status: number, body: unknown) => void): Promise<void> {
    const match = /^\/_fake\/payment_intents\/([^/]+)\/authorize$/.exec(path);
    if (method === 'POST' && match && this.intents.has(match[1]!)) {
      const intent = this.authorize(match[1]!);
      const event = this.event('payment_intent.amount_capturable_updated', intent);
      let delivered: unknown = null;
      if (this.options.forwardTo) {
        const res = await fetch(this.options.forwardTo, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
          body: event.payload,
        });
        delivered = { status: res.status, body: await res.text() };
      }
      return send(200, {
        intent,
        event: { id: event.id, signature: event.signature, payload: event.payload },
        delivered,
      });
    }
    if (method === 'GET' && path === '/_fake/state') {
      return send(200, { intents: [...this.intents.values()], refunds: [...this.refunds.values()] });
    }
    send(404, { error: { message: 'unknown fake control' } });
  }
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const fake = new FakeStripe({
    secretKey: arg('secret-key'),
    webhookSecret: arg('webhook-secret'),
    forwardTo: arg('forward-to'),
  });
  void fake.start(Number(arg('port') ?? 3399)).then(() => {
    process.stdout.write(
      `fake Stripe on ${fake.url} (key ${arg('secret-key') ?? FAKE_STRIPE_KEY}, webhook secret ${arg('webhook-secret') ?? FAKE_WEBHOOK_SECRET})\n`,
    );
  });
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
