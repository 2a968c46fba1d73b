import http from 'node:http';
import { createUser, eventBody, type TestUser } from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';

/**
 * POST /api/orders and POST /api/events/:id/checkins are answered without Express for plain JSON
 * requests, GET /api/events/:id for requests without a body (src/shared/http/hot-routes.ts). The same request with a query string goes through
 * Express's route; both must answer alike: status, body, and every header but the per-request
 * ones (Date, X-Request-Id, and Content-Length where the body holds fresh ids).
 */
let svc: TestService;
let buyer: TestUser;
let organizer: TestUser;
let handledByExpress = 0;

beforeAll(async () => {
  svc = await startTestService({ CORS_ORIGIN: 'https://tickets.example' });
  buyer = await createUser(svc, 'COMPRADOR');
  organizer = await createUser(svc, 'ORGANIZADOR');
  const app = svc.app as unknown as { handle: (...args: unknown[]) => unknown };
  const handle = app.handle.bind(app);
  app.handle = (...args: unknown[]) => {
    handledByExpress++;
    return handle(...args);
  };
});
afterAll(() => svc.close());

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with exactly these headers and body bytes. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(path, svc.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...(body === undefined || headers['transfer-encoding'] ? {} : { 'content-length': Buffer.byteLength(body) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The same request on the hot route and through Express (the query string sends it there). */
async function both(
  path: string,
  headers: Record<string, string>,
  body?: string,
  method = 'POST',
): Promise<[Answer, Answer]> {
  const before = handledByExpress;
  const hot = await send(method, path, headers, body);
  expect(handledByExpress).toBe(before); // answered without Express
  const viaExpress = await send(method, `${path}?via=express`, headers, body);
  expect(handledByExpress).toBe(before + 1);
  return [hot, viaExpress];
}

const json = (token?: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  origin: 'https://tickets.example',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});

function expectAlike(a: Answer, b: Answer, options: { freshIds?: boolean } = {}) {
  const strip = (h: http.IncomingHttpHeaders) => {
    const { date: _d, 'x-request-id': _r, 'content-length': length, ...rest } = h;
    return options.freshIds ? rest : { ...rest, 'content-length': length };
  };
  expect(a.status).toBe(b.status);
  expect(strip(a.headers)).toEqual(strip(b.headers));
  expect(a.headers['x-request-id']).toEqual(expect.any(String));
  expect(a.headers['content-security-policy']).toBeDefined();
  expect(a.headers['access-control-allow-origin']).toBe('https://tickets.example');
  if (!options.freshIds) expect(a.text).toBe(b.text);
}

async function newEvent(categories: Array<{ cantidadTotal: number }>) {
  const res = await send('POST', '/api/events', json(organizer.token), JSON.stringify(eventBody({}, categories)));
  expect(res.status).toBe(201);
  return JSON.parse(res.text) as { id: string; categorias: Array<{ id: string }> };
}

describe('POST /api/orders without Express', () => {
  it('reserves like the Express route: same status, headers and order shape', async () => {
    const event = await newEvent([{ cantidadTotal: 100 }]);
    const body = JSON.stringify({
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }],
    });
    const [hot, viaExpress] = await both('/api/orders', json(buyer.token), body);
    expectAlike(hot, viaExpress, { freshIds: true });
    expect(hot.status).toBe(201);
    const a = JSON.parse(hot.text);
    const b = JSON.parse(viaExpress.text);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    // Ids and times differ between two orders; everything else is the same.
    const fresh = (o: unknown) =>
      JSON.parse(JSON.stringify(o), (key, value) =>
        key === 'id' || (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) ? 0 : value,
      );
    expect(fresh(a)).toEqual(fresh(b));
    expect(a.id).not.toBe(b.id);
  });

  it('answers every refusal alike: sold out, validation, malformed JSON, authentication, Idempotency-Key', async () => {
    const event = await newEvent([{ cantidadTotal: 1 }]);
    const category = event.categorias[0]!.id;
    const order = (cantidad: number) =>
      JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: category, cantidad }] });
    const bought = await send('POST', '/api/orders', json(buyer.token), order(1));
    expect(bought.status).toBe(201);

    const cases: Array<[string, Record<string, string>, string, number]> = [
      ['sold out', json(buyer.token), order(1), 409],
      ['invalid quantity', json(buyer.token), order(0), 400],
      ['over the per-order maximum', json(buyer.token), order(1000), 400],
      ['malformed JSON', json(buyer.token), '{"eventoId": ', 400],
      ['JSON that is not an object', json(buyer.token), '"text"', 400],
      ['only whitespace', json(buyer.token), '   ', 400],
      ['no token', json(), order(1), 401],
      ['a forged token', json(`${buyer.token.slice(0, -4)}AAAA`), order(1), 401],
      ['a bad Idempotency-Key', json(buyer.token, { 'idempotency-key': 'with space' }), order(1), 400],
      ['an empty object', json(buyer.token), '{}', 400],
    ];
    for (const [name, headers, body, status] of cases) {
      const [hot, viaExpress] = await both('/api/orders', headers, body);
      expect({ name, status: hot.status }).toEqual({ name, status });
      expectAlike(hot, viaExpress);
      expect(JSON.parse(hot.text).error.code).toEqual(expect.any(String));
    }
  });

  it('replays an Idempotency-Key on both paths with the first answer', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const body = JSON.stringify({
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }],
    });
    const headers = json(buyer.token, { 'idempotency-key': `hot-${Date.now()}` });
    const first = await send('POST', '/api/orders', headers, body);
    expect(first.status).toBe(201);
    const [hot, viaExpress] = await both('/api/orders', headers, body);
    expectAlike(hot, viaExpress);
    expect(hot.text).toBe(first.text);
  });

  it('leaves to Express what it does not read itself: other content types, chunked bodies', async () => {
    const before = handledByExpress;
    const form = await send('POST', '/api/orders', { ...json(buyer.token), 'content-type': 'text/plain' }, '{}');
    expect(form.status).toBe(400);
    expect(handledByExpress).toBe(before + 1);
    const chunked = await send('POST', '/api/orders', { ...json(buyer.token), 'transfer-encoding': 'chunked' }, '{}');
    expect(chunked.status).toBe(400);
    expect(handledByExpress).toBe(before + 2);
  });

  it('labels the hot route in /metrics as Express does', async () => {
    const res = await send('GET', '/metrics', {});
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/orders\/",status="201"\} \d+/,
    );
  });
});

describe('POST /api/events/:id/checkins without Express', () => {
  it('admits, refuses a re-scan and a forged code, and 404s a malformed id, as the Express route does', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const reserved = await send(
      'POST',
      '/api/orders',
      json(buyer.token),
      JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }] }),
    );
    const orderId = JSON.parse(reserved.text).id as string;
    const confirmed = await send(
      'PUT',
      `/api/orders/${orderId}/confirm`,
      json(buyer.token),
      JSON.stringify({ metodoPago: 'card', transactionId: `tx-${orderId}` }),
    );
    expect(confirmed.status).toBe(200);
    const ticketsAnswer = await new Promise<string>((resolve, reject) =>
      http
        .get(new URL(`/api/orders/${orderId}/tickets`, svc.url), { headers: json(buyer.token) }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject),
    );
    const [first, second] = JSON.parse(ticketsAnswer) as Array<{ codigo: string }>;
    const path = `/api/events/${event.id}/checkins`;
    const door = json(organizer.token);

    const hot = await send('POST', path, door, JSON.stringify({ codigo: first!.codigo, puerta: 'A' }));
    const viaExpress = await send(
      'POST',
      `${path}?via=express`,
      door,
      JSON.stringify({ codigo: second!.codigo, puerta: 'A' }),
    );
    expect(hot.status).toBe(200);
    expectAlike(hot, viaExpress, { freshIds: true });
    expect(JSON.parse(hot.text).resultado).toBe('ADMITIDO');

    // Re-scans of the first ticket, on both paths: the same 409 with the first admission.
    const [again, againViaExpress] = await both(path, door, JSON.stringify({ codigo: first!.codigo, puerta: 'B' }));
    expect(again.status).toBe(409);
    expectAlike(again, againViaExpress);
    expect(JSON.parse(again.text).error.details.puerta).toBe('A');

    const forged = `${first!.codigo.slice(0, -4)}AAAA`;
    const [f1, f2] = await both(path, door, JSON.stringify({ codigo: forged }));
    expect(f1.status).toBe(404);
    expectAlike(f1, f2);

    const [b1, b2] = await both(path, json(buyer.token), JSON.stringify({ codigo: first!.codigo }));
    expect(b1.status).toBe(403);
    expectAlike(b1, b2);

    const [m1, m2] = await both(`/api/events/${'-'.repeat(36)}/checkins`, door, JSON.stringify({ codigo: forged }));
    expect(m1.status).toBe(404);
    expectAlike(m1, m2);
  });
});

describe('GET /api/events/:id without Express', () => {
  it('answers an event, an unknown id and a malformed id as the Express route does', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const origin = { origin: 'https://tickets.example' };
    for (const [id, status] of [
      [event.id, 200],
      [event.id.toUpperCase(), 200],
      ['0b7c3b44-64a2-4f6e-9f57-3d3e0b0c9d11', 404],
      ['0b7c3b4464a24f6e9f573d3e0b0c9d11----', 404], // hex and dashes, not a UUID
    ] as const) {
      const [hot, viaExpress] = await both(`/api/events/${id}`, origin, undefined, 'GET');
      expect({ id, status: hot.status }).toEqual({ id, status });
      expectAlike(hot, viaExpress);
    }
    const [hot] = await both(`/api/events/${event.id}`, origin, undefined, 'GET');
    expect(JSON.parse(hot.text)).toMatchObject({ id: event.id, categorias: [{ id: event.categorias[0]!.id }] });
  });

  it('leaves the search, encoded or malformed ids, other paths, HEAD and a GET with a body to Express', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const cases: Array<[string, string, Record<string, string>, string | undefined, number]> = [
      ['GET', '/api/events/search', {}, undefined, 200],
      ['GET', `/api/events/${event.id.replace(/-/g, '%2D')}`, {}, undefined, 200],
      ['GET', '/api/events/not-an-id', {}, undefined, 404],
      ['GET', `/api/events/${event.id}/`, {}, undefined, 200],
      ['GET', `/api/events/${event.id}/categories`, {}, undefined, 200],
      ['HEAD', `/api/events/${event.id}`, {}, undefined, 200],
      ['GET', `/api/events/${event.id}`, { 'content-type': 'application/json' }, '{}', 200],
    ];
    for (const [method, path, headers, body, status] of cases) {
      const before = handledByExpress;
      const answer = await send(method, path, headers, body);
      expect({ method, path, status: answer.status, express: handledByExpress - before }).toEqual({
        method,
        path,
        status,
        express: 1,
      });
    }
  });

  it('labels the hot route in /metrics as Express does', async () => {
    const res = await send('GET', '/metrics', {});
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/events\/:id",status="200"\} \d+/,
    );
  });
});
