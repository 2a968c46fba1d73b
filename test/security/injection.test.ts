/**
 * Injection through every query parameter and every path parameter: SQL metacharacters, LIKE
 * wildcards, Unicode look-alikes, NUL, very long strings, repeated and bracketed parameters.
 * Each must be answered 200 with correct results (empty or literal matches) or 400
 * VALIDATION_ERROR (404 for a path id that cannot name anything) — never 5xx — and the database
 * must be intact afterwards.
 */
import { unique, type EventBody } from '../helpers/factories';
import { expectErrorShape } from '../helpers/expect';
import {
  svc,
  admin,
  organizer,
  buyer,
  canary,
  tricky,
  canaryBefore,
  ownRows,
  TABLES,
  ownRowsNow,
  tableCounts,
  fold,
  okOrValidation,
  PAYLOADS,
  RAW_QUERIES,
  rawRequest,
  PATH_PAYLOADS,
  useInjectionSuite,
} from '../helpers/injection-suite';

useInjectionSuite();

describe('query parameters of GET /api/events/search', () => {
  describe.each(['q', 'ubicacion'])('%s (text search)', (param) => {
    it.each(PAYLOADS.map((p) => [JSON.stringify(p).slice(0, 60), p]))(
      '%s: 200 with literal matches only, or 400',
      async (_label, payload) => {
        const res = await svc
          .api()
          .get('/api/events/search')
          .query({ [param]: payload, limit: 100 });
        if (!okOrValidation(res, `${param}=${payload.slice(0, 40)}`)) return;
        const needle = fold(payload.trim());
        const text = (e: EventBody) => (param === 'q' ? [e.nombre, e.descripcion] : [e.ubicacion]);
        const matches = (e: EventBody) => text(e).some((h) => fold(h).includes(needle));
        for (const e of res.body.data as EventBody[]) {
          expect({ event: e.nombre, matches: matches(e) }).toEqual({ event: e.nombre, matches: true });
        }
        // Our two events are found exactly when they literally contain the text (when the whole
        // result fits on the page, so that absence means something).
        if (res.body.total <= res.body.limit) {
          const ids = (res.body.data as EventBody[]).map((e) => e.id);
          for (const e of [canary, tricky]) {
            expect({ event: e.nombre, found: ids.includes(e.id) }).toEqual({ event: e.nombre, found: matches(e) });
          }
        }
      },
    );
  });

  it.each<[string, string, () => string]>([
    ['q', "O'Brien", () => tricky.id],
    ['q', '"quoted"', () => tricky.id],
    ['q', 'back\\slash', () => tricky.id],
    ['q', '; DROP TABLE users; --', () => tricky.id],
    ['q', '100% real_deal', () => tricky.id],
    ['q', '[a-z]* $1', () => tricky.id],
    ['ubicacion', '50%_off', () => tricky.id],
    ['ubicacion', 'MALAGA 50%_OFF', () => tricky.id],
  ])('finds metacharacters literally: %s=%s', async (param, value, expected) => {
    const res = await svc
      .api()
      .get('/api/events/search')
      .query({ [param]: value, limit: 100 });
    expect(res.status).toBe(200);
    expect((res.body.data as EventBody[]).map((e) => e.id)).toContain(expected());
  });

  it.each<[string, string]>([
    ['q', '100%real'],
    ['q', 'Tricky_<tag>'],
    ['q', 'Tricky%<tag>'],
    ['q', "O''Brien"],
    ['q', 'back\\\\slash'],
    ['ubicacion', '50%%off'],
    ['ubicacion', '50_%off'],
    // Full-width look-alikes: the search folds them to ASCII, and they must still be literal.
    ['q', 'Tricky％<tag>'],
    ['q', 'Tricky＿<tag>'],
    ['ubicacion', 'M＿laga'],
    ['ubicacion', '50％off'],
  ])('does not treat %s=%s as a pattern: the near-miss finds nothing of ours', async (param, template) => {
    const tag = tricky.nombre.split(' ')[1]!;
    const value = template.replace('<tag>', tag);
    const res = await svc
      .api()
      .get('/api/events/search')
      .query({ [param]: value, limit: 100 });
    expect(res.status).toBe(200);
    expect((res.body.data as EventBody[]).map((e) => e.id)).not.toContain(tricky.id);
  });

  it.each(['fecha', 'disponible', 'page', 'limit'])(
    '%s: every payload is 200 with consistent results or 400',
    async (param) => {
      for (const payload of PAYLOADS) {
        const res = await svc
          .api()
          .get('/api/events/search')
          .query({ [param]: payload });
        if (!okOrValidation(res, `${param}=${payload.slice(0, 40)}`)) continue;
        const events = res.body.data as EventBody[];
        if (param === 'fecha') for (const e of events) expect(e.fecha.slice(0, 10)).toBe(payload);
        if (param === 'disponible') expect(['true', 'false']).toContain(payload);
        if (param === 'page') expect(String(res.body.page)).toBe(String(Number(payload)));
        if (param === 'limit') {
          expect(res.body.limit).toBeGreaterThanOrEqual(1);
          expect(res.body.limit).toBeLessThanOrEqual(100);
          expect(events.length).toBeLessThanOrEqual(res.body.limit);
        }
      }
    },
  );

  it.each(['q', 'ubicacion', 'fecha', 'disponible', 'page', 'limit'])(
    '%s: raw, malformed percent-encodings are 200 or 400, never 5xx',
    async (param) => {
      for (const raw of RAW_QUERIES) {
        const res = await svc.api().get(`/api/events/search?${param}=${raw}`);
        okOrValidation(res, `${param}=${raw}`);
      }
    },
  );

  it.each<[string, string]>([
    ['a repeated parameter', 'q=a&q=b'],
    ['a repeated page', 'page=1&page=2'],
    ['a bracketed array', 'q[]=a&q[]=b'],
    ['an indexed array', 'ubicacion[0]=a'],
    ['a NoSQL-style operator object', 'q[$ne]=x'],
    ['a nested object', 'disponible[a][b]=true'],
    ['a prototype key', '__proto__[q]=x'],
    ['a constructor key', 'constructor[prototype][q]=x'],
    ['an operator next to a real filter', `q=${encodeURIComponent('Canary')}&q[$ne]=zzz`],
  ])('%s (%s): 400, or 200 honouring only literal filters', async (_label, query) => {
    const res = await svc.api().get(`/api/events/search?${query}&limit=100`);
    if (!okOrValidation(res, query)) return;
    // Parameters the server does not understand may be ignored, but a plain text filter that
    // applies must match literally.
    const q = new URLSearchParams(query).getAll('q');
    if (q.length === 1) {
      for (const e of res.body.data as EventBody[]) expect(fold(`${e.nombre} ${e.descripcion}`)).toContain(fold(q[0]!));
    }
    // No parameter reached Object.prototype.
    expect(({} as Record<string, unknown>).q).toBeUndefined();
  });

  it('combines an injection in one filter with a real filter: still only literal matches (AND)', async () => {
    const res = await svc
      .api()
      .get('/api/events/search')
      .query({ ubicacion: 'Canary Hall', q: "' OR '1'='1", limit: 100 });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });
});

describe('pagination parameters of GET /api/events and GET /api/orders/my-orders', () => {
  it.each<[string, string]>([
    ['/api/events', 'page'],
    ['/api/events', 'limit'],
    ['/api/orders/my-orders', 'page'],
    ['/api/orders/my-orders', 'limit'],
  ])('%s ?%s=: every payload is 200 with a sane page, or 400', async (path, param) => {
    for (const payload of PAYLOADS) {
      const res = await svc
        .api()
        .get(path)
        .set(buyer.auth)
        .query({ [param]: payload });
      if (!okOrValidation(res, `${path}?${param}=${payload.slice(0, 40)}`)) continue;
      expect(res.body.page).toBeGreaterThanOrEqual(1);
      expect(res.body.limit).toBeGreaterThanOrEqual(1);
      expect(res.body.limit).toBeLessThanOrEqual(100);
      if (path === '/api/orders/my-orders') {
        for (const o of res.body.data as { usuarioId: string }[]) expect(o.usuarioId).toBe(buyer.id);
      }
    }
    for (const raw of RAW_QUERIES)
      okOrValidation(await svc.api().get(`${path}?${param}=${raw}`).set(buyer.auth), `${param}=${raw}`);
  });

  it('my-orders with user filters smuggled in the query still lists only the caller’s orders', async () => {
    const res = await svc
      .api()
      .get(`/api/orders/my-orders?usuarioId=${admin.id}&usuarioId[$ne]=x&user_id=' OR '1'='1&limit=100`)
      .set(buyer.auth);
    if (!okOrValidation(res, 'my-orders smuggled')) return;
    for (const o of res.body.data as { usuarioId: string }[]) expect(o.usuarioId).toBe(buyer.id);
  });
});

describe('query parameters of GET /api/admin/orders', () => {
  it.each(['estado', 'eventoId', 'usuarioId', 'page', 'limit'])(
    '%s: every payload is 200 filtering literally, or 400',
    async (param) => {
      for (const payload of PAYLOADS) {
        const res = await svc
          .api()
          .get('/api/admin/orders')
          .set(admin.auth)
          .query({ [param]: payload, limit: param === 'limit' ? payload : 100 });
        if (!okOrValidation(res, `${param}=${payload.slice(0, 40)}`)) continue;
        const orders = res.body.data as { estado: string; eventoId: string; usuarioId: string }[];
        if (param === 'estado') for (const o of orders) expect(o.estado).toBe(payload);
        if (param === 'eventoId') for (const o of orders) expect(o.eventoId).toBe(payload.toLowerCase());
        if (param === 'usuarioId') for (const o of orders) expect(o.usuarioId).toBe(payload.toLowerCase());
      }
      for (const raw of RAW_QUERIES) {
        okOrValidation(await svc.api().get(`/api/admin/orders?${param}=${raw}`).set(admin.auth), `${param}=${raw}`);
      }
    },
  );

  it.each<[string, string]>([
    ['repeated estado', 'estado=RESERVED&estado=CONFIRMED'],
    ['bracketed estado', 'estado[]=RESERVED'],
    ['operator object on usuarioId', 'usuarioId[$ne]=00000000-0000-0000-0000-000000000000'],
    ['operator object on eventoId', 'eventoId[$gt]='],
    [
      'repeated usuarioId',
      'usuarioId=00000000-0000-4000-8000-000000000000&usuarioId=00000000-0000-4000-8000-000000000001',
    ],
  ])('%s (%s): 400, or 200 without widening the filter', async (_label, query) => {
    const res = await svc.api().get(`/api/admin/orders?${query}&limit=100`).set(admin.auth);
    if (!okOrValidation(res, query)) return;
    // A filter the server does not understand is ignored; it must never turn into "not equal".
    const total = res.body.total as number;
    const unfiltered = await svc.api().get('/api/admin/orders?limit=1').set(admin.auth);
    expect(total).toBeLessThanOrEqual(unfiltered.body.total);
  });

  it('an eventoId filter of the tricky event finds exactly its order', async () => {
    const res = await svc.api().get('/api/admin/orders').set(admin.auth).query({ eventoId: tricky.id.toUpperCase() });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.data[0].eventoId).toBe(tricky.id);
  });
});

// ---------------------------------------------------------------------------------------------
describe('path parameters', () => {
  const routes: [string, string, (id: string) => string, string?][] = [
    ['GET', 'events/:id', (id) => `/api/events/${id}`],
    ['PUT', 'events/:id', (id) => `/api/events/${id}`, JSON.stringify({ nombre: 'pwned' })],
    ['DELETE', 'events/:id', (id) => `/api/events/${id}`],
    ['GET', 'events/:id/categories', (id) => `/api/events/${id}/categories`],
    [
      'POST',
      'events/:id/categories',
      (id) => `/api/events/${id}/categories`,
      JSON.stringify({ nombre: 'X', precio: 1, cantidadTotal: 1 }),
    ],
    [
      'PUT',
      'events/:id/categories/:catId (event id)',
      (id) => `/api/events/${id}/categories/${canary.categorias[0]!.id}`,
      JSON.stringify({ precio: 0 }),
    ],
    [
      'PUT',
      'events/:id/categories/:catId (category id)',
      (id) => `/api/events/${canary.id}/categories/${id}`,
      JSON.stringify({ precio: 0 }),
    ],
    [
      'DELETE',
      'events/:id/categories/:catId (event id)',
      (id) => `/api/events/${id}/categories/${canary.categorias[1]!.id}`,
    ],
    ['DELETE', 'events/:id/categories/:catId (category id)', (id) => `/api/events/${canary.id}/categories/${id}`],
    ['GET', 'orders/:id', (id) => `/api/orders/${id}`],
    [
      'PUT',
      'orders/:id/confirm',
      (id) => `/api/orders/${id}/confirm`,
      JSON.stringify({ metodoPago: 'x', transactionId: unique('tx') }),
    ],
    ['PUT', 'orders/:id/cancel', (id) => `/api/orders/${id}/cancel`],
    ['GET', 'admin/events/:id/sales', (id) => `/api/admin/events/${id}/sales`],
  ];

  it.each(routes.map(([method, label, path, body]) => [`${method} ${label}`, method, path, body] as const))(
    '%s: 404 (or 400) for every injected id, never 5xx, as ADMIN',
    async (_label, method, path, body) => {
      const failures: string[] = [];
      for (const payload of PATH_PAYLOADS) {
        const res = await rawRequest(method, path(payload), admin.auth, body);
        if (res.status !== 404 && res.status !== 400) {
          failures.push(`${method} ${path(payload).slice(0, 120)} → ${res.status} ${res.text.slice(0, 120)}`);
          continue;
        }
        if (!res.body?.error) {
          failures.push(
            `${method} ${path(payload).slice(0, 120)} → ${res.status} without the error envelope: ${res.text.slice(0, 120)}`,
          );
          continue;
        }
        expectErrorShape(res);
        expect([`${res.status}`, res.body.error.code]).toEqual([
          `${res.status}`,
          res.status === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR',
        ]);
      }
      expect(failures).toEqual([]);
    },
  );

  it('an upper-case or percent-encoded real id still names the same event (ids are compared as UUIDs, not text)', async () => {
    const upper = await rawRequest('GET', `/api/events/${canary.id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(canary.id);
    const encoded = await rawRequest('GET', `/api/events/${encodeURIComponent(canary.id).replace(/-/g, '%2D')}`);
    expect(encoded.status).toBe(200);
    expect(encoded.body.id).toBe(canary.id);
  });
});

describe('headers and stored text', () => {
  it('an Idempotency-Key full of SQL is just a key: replays the same order, reserves once', async () => {
    const key = "';DELETE/**/FROM/**/orders;--";
    const body = { eventoId: tricky.id, tickets: [{ categoriaId: tricky.categorias[1]!.id, cantidad: 1 }] };
    const first = await svc.api().post('/api/orders').set(buyer.auth).set('Idempotency-Key', key).send(body);
    const second = await svc.api().post('/api/orders').set(buyer.auth).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    const stored = await svc.database.db
      .selectFrom('orders')
      .select('idempotency_key')
      .where('id', '=', first.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.idempotency_key).toBe(key);
  });

  it.each(['clé-ünïcode', 'a\tb', 'x'.repeat(256)])('refuses the Idempotency-Key %j with 400', async (key) => {
    const res = await svc
      .api()
      .post('/api/orders')
      .set(buyer.auth)
      .set('Idempotency-Key', Buffer.from(key, 'utf8').toString('latin1'))
      .send({ eventoId: tricky.id, tickets: [{ categoriaId: tricky.categorias[1]!.id, cantidad: 1 }] });
    expect(res.status).toBe(400);
    expectErrorShape(res);
  });

  it('stores SQL in a transactionId literally and hands it back unchanged', async () => {
    const order = await svc
      .api()
      .post('/api/orders')
      .set(buyer.auth)
      .send({ eventoId: tricky.id, tickets: [{ categoriaId: tricky.categorias[0]!.id, cantidad: 1 }] });
    expect(order.status).toBe(201);
    const transactionId = `tx'); UPDATE orders SET status = 'CONFIRMED'; -- ${unique('t')}`;
    const res = await svc
      .api()
      .put(`/api/orders/${order.body.id}/confirm`)
      .set(buyer.auth)
      .send({ metodoPago: "card' --", transactionId });
    expect(res.status).toBe(200);
    expect(res.body.pago).toEqual(expect.objectContaining({ metodoPago: "card' --", transactionId }));
  });
});

describe('the database is intact afterwards', () => {
  it('every table is still there with at least the rows it had, and the canary reads exactly as before', async () => {
    // Every table still answers, and still has rows.
    const after = await tableCounts();
    for (const t of TABLES) expect({ table: t, hasRows: after[t]! > 0 }).toEqual({ table: t, hasRows: true });
    const res = await svc.api().get(`/api/events/${canary.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(canaryBefore);
    const row = await svc.database.db
      .selectFrom('events')
      .select(['name', 'organizer_id'])
      .where('id', '=', canary.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: canary.nombre, organizer_id: organizer.id });
    // This file's users, events, categories and the canary's stock are exactly as they were;
    // its orders are all still there (besides those this file made on purpose).
    const now = (await ownRowsNow()) as { orders: { id: string }[] } & Record<string, unknown>;
    const before = ownRows as typeof now;
    expect({ ...now, orders: undefined }).toEqual({ ...before, orders: undefined });
    expect(now.orders.map((o) => o.id)).toEqual(expect.arrayContaining(before.orders.map((o) => o.id)));
    // Logins still work: the users table was neither dropped nor rewritten.
    expect((await svc.api().get('/api/auth/profile').set(admin.auth)).status).toBe(200);
  });
});
