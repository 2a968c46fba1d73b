import { sql } from 'kysely';
import {
  createEvent,
  createUser,
  unique,
  type CategoryBody,
  type CategorySpec,
  type EventBody,
  type OrderBody,
  type TestUser,
} from './helpers/factories';
import { confirm, getOrder, line, payment, postOrder, putCancel, putConfirm, reserve, stockOf } from './helpers/api';
import { startTestService, withService, type TestService } from './helpers/service';
import { eventually } from './helpers/wait';
import { expectError, expectValidationError, UUID, ISO_UTC, UNKNOWN_ID } from './helpers/expect';

let svc: TestService;
let organizer: TestUser;
let admin: TestUser;
let buyer: TestUser;
let otherBuyer: TestUser;

beforeAll(async () => {
  svc = await startTestService();
  [organizer, admin, buyer, otherBuyer] = await Promise.all([
    createUser(svc, 'ORGANIZADOR'),
    createUser(svc, 'ADMIN'),
    createUser(svc, 'COMPRADOR'),
    createUser(svc, 'COMPRADOR'),
  ]);
});
afterAll(() => svc.close());

const ORDER_KEYS = ['id', 'usuarioId', 'eventoId', 'estado', 'tickets', 'total', 'expiraEn', 'createdAt', 'updatedAt'];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** An event of `organizer` with the given categories (default: two of 100 tickets at 50). */
const newEvent = (categorias?: CategorySpec[], s: TestService = svc) => createEvent(s, organizer, {}, categorias);

async function orderRow(orderId: string) {
  return svc.database.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
}

function historyOf(orderId: string) {
  return svc.database.db
    .selectFrom('order_status_history')
    .select(['from_status', 'to_status', 'actor_id'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
}

/** Moves the event's start into the past (events cannot be created there through the API). */
async function startEventInThePast(eventId: string) {
  await sql`UPDATE events SET starts_at = now() - interval '1 hour' WHERE id = ${eventId}`.execute(svc.database.db);
}

/** Makes a hold overdue by the database clock. */
async function makeOverdue(orderId: string, s: TestService = svc) {
  await sql`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = ${orderId}`.execute(s.database.db);
}

// ---------------------------------------------------------------------------------------------
// POST /api/orders
// ---------------------------------------------------------------------------------------------

describe('POST /api/orders', () => {
  it('answers 201 with the order in RESERVED, in the exact contract shape, without pago', async () => {
    const event = await newEvent([{ nombre: 'VIP', precio: 150, cantidadTotal: 50 }]);
    const vip = event.categorias[0]!;
    const res = await postOrder(svc, buyer, event.id, [line(vip, 2)]);

    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual([...ORDER_KEYS].sort());
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      usuarioId: buyer.id,
      eventoId: event.id,
      estado: 'RESERVED',
      tickets: [{ categoriaId: vip.id, nombre: 'VIP', cantidad: 2, precioUnitario: 150, subtotal: 300 }],
      total: 300,
      expiraEn: expect.stringMatching(ISO_UTC),
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(res.body).not.toHaveProperty('pago');
    expect(Object.keys(res.body.tickets[0]).sort()).toEqual(
      ['categoriaId', 'nombre', 'cantidad', 'precioUnitario', 'subtotal'].sort(),
    );
    // GET answers the same order.
    expect((await getOrder(svc, buyer, res.body.id)).body).toEqual(res.body);
  });

  it('holds the order for ORDER_RESERVATION_TIMEOUT_MINUTES (decimals accepted)', async () => {
    await withService({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.5' }, async (s) => {
      const event = await newEvent(undefined, s);
      const before = Date.now();
      const order = await reserve(s, buyer, event.id, [line(event.categorias[0]!, 1)]);
      const after = Date.now();
      const expiresAt = Date.parse(order.expiraEn);
      // 30 s hold; a generous window for clock granularity and request time.
      expect(expiresAt).toBeGreaterThanOrEqual(before + 30_000 - 3_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 30_000 + 3_000);
    });
  });

  it('uses the default hold of 10 minutes', async () => {
    const event = await newEvent();
    const before = Date.now();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    const after = Date.now();
    expect(Date.parse(order.expiraEn)).toBeGreaterThanOrEqual(before + 600_000 - 3_000);
    expect(Date.parse(order.expiraEn)).toBeLessThanOrEqual(after + 600_000 + 3_000);
  });

  it('takes the quantity out of the category disponible', async () => {
    const event = await newEvent([{ cantidadTotal: 40 }, { cantidadTotal: 30 }]);
    const [a, b] = [event.categorias[0]!, event.categorias[1]!];
    await reserve(svc, buyer, event.id, [line(a, 3)]);
    expect(await stockOf(svc, event.id)).toEqual({ [a.id]: 37, [b.id]: 30 });
  });

  it('reserves every line of a multi-line order', async () => {
    const event = await newEvent([
      { nombre: 'Platea', precio: 20, cantidadTotal: 40 },
      { nombre: 'Palco', precio: 75, cantidadTotal: 30 },
    ]);
    const [platea, palco] = [event.categorias[0]!, event.categorias[1]!];
    const order = await reserve(svc, buyer, event.id, [line(platea, 4), line(palco, 2)]);

    expect(order.tickets).toHaveLength(2);
    expect(order.tickets).toEqual(
      expect.arrayContaining([
        { categoriaId: platea.id, nombre: 'Platea', cantidad: 4, precioUnitario: 20, subtotal: 80 },
        { categoriaId: palco.id, nombre: 'Palco', cantidad: 2, precioUnitario: 75, subtotal: 150 },
      ]),
    );
    expect(order.total).toBe(230);
    expect(await stockOf(svc, event.id)).toEqual({ [platea.id]: 36, [palco.id]: 28 });
  });

  it('computes money without floating-point drift: 3 × 12.50 + 3 × 0.10 = 37.8', async () => {
    const event = await newEvent([
      { nombre: 'Normal', precio: 12.5, cantidadTotal: 10 },
      { nombre: 'Simbolica', precio: 0.1, cantidadTotal: 10 },
    ]);
    const [normal, simbolica] = [event.categorias[0]!, event.categorias[1]!];
    const res = await postOrder(svc, buyer, event.id, [line(normal, 3), line(simbolica, 3)]);

    expect(res.status).toBe(201);
    expect(res.body.total).toBe(37.8);
    const byId = Object.fromEntries((res.body as OrderBody).tickets.map((t) => [t.categoriaId, t]));
    expect(byId[normal.id]).toMatchObject({ precioUnitario: 12.5, subtotal: 37.5 });
    expect(byId[simbolica.id]).toMatchObject({ precioUnitario: 0.1, subtotal: 0.3 });
    expect(res.text).toContain('"total":37.8');
    expect(res.text).toContain('"subtotal":0.3');
  });

  it('lets a buyer order exactly MAX_TICKETS_PER_ORDER (10) tickets over several lines', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 6), line(event.categorias[1]!, 4)]);
    expect(order.estado).toBe('RESERVED');
  });

  it('lets any signed-in role buy (an organizer too)', async () => {
    const event = await newEvent();
    const res = await postOrder(svc, organizer, event.id, [line(event.categorias[0]!, 1)]);
    expect(res.status).toBe(201);
    expect(res.body.usuarioId).toBe(organizer.id);
  });

  describe('failures', () => {
    let event: EventBody;
    let cat: CategoryBody;
    beforeAll(async () => {
      event = await newEvent([{ cantidadTotal: 100 }, { cantidadTotal: 100 }]);
      cat = event.categorias[0]!;
    });

    it('requires a token: 401 UNAUTHORIZED', async () => {
      expectError(await postOrder(svc, undefined, event.id, [line(cat, 1)]), 401, 'UNAUTHORIZED');
    });

    it('answers 404 NOT_FOUND for an unknown event', async () => {
      expectError(await postOrder(svc, buyer, UNKNOWN_ID, [{ categoriaId: cat.id, cantidad: 1 }]), 404, 'NOT_FOUND');
    });

    it('rejects a category of another event with 400 VALIDATION_ERROR', async () => {
      const other = await newEvent();
      const res = await postOrder(svc, buyer, event.id, [line(other.categorias[0]!, 1)]);
      expectValidationError(res);
      expect(await stockOf(svc, other.id)).toEqual({ [other.categorias[0]!.id]: 100, [other.categorias[1]!.id]: 100 });
    });

    it('rejects an unknown category with 400 VALIDATION_ERROR', async () => {
      expectValidationError(await postOrder(svc, buyer, event.id, [{ categoriaId: UNKNOWN_ID, cantidad: 1 }]));
    });

    it('rejects the same category twice with 400 VALIDATION_ERROR', async () => {
      expectValidationError(await postOrder(svc, buyer, event.id, [line(cat, 1), line(cat, 2)]));
    });

    it.each<[string, unknown]>([
      ['0', 0],
      ['negative', -1],
      ['1.5', 1.5],
      ['a string', '2'],
      ['missing', undefined],
    ])('rejects a cantidad that is %s with 400 VALIDATION_ERROR', async (_label, cantidad) => {
      const res = await postOrder(svc, buyer, event.id, [{ categoriaId: cat.id, cantidad }]);
      expectValidationError(res);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('tickets.0.cantidad');
    });

    it('rejects an empty tickets list with 400 VALIDATION_ERROR', async () => {
      expectValidationError(await postOrder(svc, buyer, event.id, []));
    });

    it('rejects a body without eventoId or with a non-uuid eventoId', async () => {
      expectValidationError(
        await svc
          .api()
          .post('/api/orders')
          .set(buyer.auth)
          .send({ tickets: [line(cat, 1)] }),
      );
      expectValidationError(await postOrder(svc, buyer, 'not-a-uuid', [line(cat, 1)]));
    });

    it('rejects more than MAX_TICKETS_PER_ORDER (10) in one line or summed over lines', async () => {
      expectValidationError(await postOrder(svc, buyer, event.id, [line(cat, 11)]));
      expectValidationError(await postOrder(svc, buyer, event.id, [line(cat, 6), line(event.categorias[1]!, 5)]));
      expect(await stockOf(svc, event.id)).toEqual({ [cat.id]: 100, [event.categorias[1]!.id]: 100 });
    });

    it('honours a configured MAX_TICKETS_PER_ORDER', async () => {
      await withService({ MAX_TICKETS_PER_ORDER: '4' }, async (s) => {
        const ev = await newEvent(undefined, s);
        const [a, b] = [ev.categorias[0]!, ev.categorias[1]!];
        expectValidationError(await postOrder(s, buyer, ev.id, [line(a, 5)]));
        expectValidationError(await postOrder(s, buyer, ev.id, [line(a, 3), line(b, 2)]));
        expect(await stockOf(s, ev.id)).toEqual({ [a.id]: 100, [b.id]: 100 });
        expect((await postOrder(s, buyer, ev.id, [line(a, 2), line(b, 2)])).status).toBe(201);
      });
    });

    it('answers 409 INSUFFICIENT_STOCK with details when asking more than available, and takes nothing', async () => {
      const ev = await newEvent([{ cantidadTotal: 5 }]);
      const small = ev.categorias[0]!;
      const res = await postOrder(svc, buyer, ev.id, [line(small, 6)]);
      expectError(res, 409, 'INSUFFICIENT_STOCK');
      expect(res.body.error.details).toEqual([{ categoriaId: small.id, solicitadas: 6, disponibles: 5 }]);
      expect(await stockOf(svc, ev.id)).toEqual({ [small.id]: 5 });
    });

    it('reports what is left after earlier holds', async () => {
      const ev = await newEvent([{ cantidadTotal: 5 }]);
      const small = ev.categorias[0]!;
      await reserve(svc, otherBuyer, ev.id, [line(small, 4)]);
      const res = await postOrder(svc, buyer, ev.id, [line(small, 2)]);
      expectError(res, 409, 'INSUFFICIENT_STOCK');
      expect(res.body.error.details).toEqual([{ categoriaId: small.id, solicitadas: 2, disponibles: 1 }]);
      expect(await stockOf(svc, ev.id)).toEqual({ [small.id]: 1 });
    });

    it('reserves all lines or none: one line that does not fit leaves every category untouched', async () => {
      const ev = await newEvent([{ cantidadTotal: 100 }, { cantidadTotal: 2 }, { cantidadTotal: 100 }]);
      const [big, tiny, big2] = [ev.categorias[0]!, ev.categorias[1]!, ev.categorias[2]!];
      const res = await postOrder(svc, buyer, ev.id, [line(big, 3), line(tiny, 3), line(big2, 3)]);
      expectError(res, 409, 'INSUFFICIENT_STOCK');
      expect(res.body.error.details).toEqual([{ categoriaId: tiny.id, solicitadas: 3, disponibles: 2 }]);
      expect(await stockOf(svc, ev.id)).toEqual({ [big.id]: 100, [tiny.id]: 2, [big2.id]: 100 });
      const mine = await svc.database.db.selectFrom('orders').select('id').where('event_id', '=', ev.id).execute();
      expect(mine).toEqual([]);
    });

    it('answers 409 INVALID_STATE for an event that has already started, taking nothing', async () => {
      const ev = await newEvent();
      await startEventInThePast(ev.id);
      const res = await postOrder(svc, buyer, ev.id, [line(ev.categorias[0]!, 1)]);
      expectError(res, 409, 'INVALID_STATE');
      expect(await stockOf(svc, ev.id)).toEqual({ [ev.categorias[0]!.id]: 100, [ev.categorias[1]!.id]: 100 });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Idempotency-Key
// ---------------------------------------------------------------------------------------------

describe('Idempotency-Key on POST /api/orders', () => {
  it('replays the same 201 and body for the same key and body, reserving once', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const key = unique('key');
    const first = await postOrder(svc, buyer, event.id, [line(cat, 2)], { key });
    const again = await postOrder(svc, buyer, event.id, [line(cat, 2)], { key });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(98);
    const rows = await svc.database.db.selectFrom('orders').select('id').where('event_id', '=', event.id).execute();
    expect(rows).toEqual([{ id: first.body.id }]);
  });

  it('replays a multi-line order with exactly the same body, whatever the order of the lines', async () => {
    // Names sort the other way round from the request, so any re-sorting on replay shows up.
    const event = await newEvent([
      { nombre: 'Zona Z', precio: 10, cantidadTotal: 50 },
      { nombre: 'Anfiteatro', precio: 20, cantidadTotal: 50 },
    ]);
    const [z, a] = [event.categorias[0]!, event.categorias[1]!];
    const key = unique('key');
    const first = await postOrder(svc, buyer, event.id, [line(z, 1), line(a, 2)], { key });
    const again = await postOrder(svc, buyer, event.id, [line(z, 1), line(a, 2)], { key });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await stockOf(svc, event.id)).toEqual({ [z.id]: 49, [a.id]: 48 });
  });

  it('refuses the same key with a different body: 409 IDEMPOTENCY_KEY_REUSED, nothing reserved', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const key = unique('key');
    expect((await postOrder(svc, buyer, event.id, [line(cat, 2)], { key })).status).toBe(201);
    const res = await postOrder(svc, buyer, event.id, [line(cat, 3)], { key });
    expectError(res, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(98);
  });

  it('keeps keys per user: the same key by another user makes a new order', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const key = unique('key');
    const mine = await postOrder(svc, buyer, event.id, [line(cat, 2)], { key });
    const theirs = await postOrder(svc, otherBuyer, event.id, [line(cat, 2)], { key });

    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.usuarioId).toBe(otherBuyer.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(96);
  });

  it('reserves twice without a key', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const a = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const b = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expect(a.id).not.toBe(b.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(98);
  });

  it.each([
    ['300 characters', 'k'.repeat(300)],
    ['spaces', 'has spaces in it'],
  ])('rejects a key with %s: 400 VALIDATION_ERROR, nothing reserved', async (_label, key) => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    expectValidationError(await postOrder(svc, buyer, event.id, [line(cat, 1)], { key }));
    expect((await stockOf(svc, event.id))[cat.id]).toBe(100);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /api/orders/my-orders and /api/orders/:id
// ---------------------------------------------------------------------------------------------

describe('GET /api/orders/my-orders', () => {
  it("lists only the caller's orders, newest first, in the list shape, with pagination", async () => {
    const me = await createUser(svc, 'COMPRADOR');
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const o1 = await reserve(svc, me, event.id, [line(cat, 1)]);
    await reserve(svc, otherBuyer, event.id, [line(cat, 1)]);
    const o2 = await reserve(svc, me, event.id, [line(cat, 2)]);
    const o3 = await reserve(svc, me, event.id, [line(cat, 3)]);

    const all = await svc.api().get('/api/orders/my-orders').set(me.auth);
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(all.body).toMatchObject({ page: 1, limit: 20, total: 3 });
    expect((all.body.data as OrderBody[]).map((o) => o.id)).toEqual([o3.id, o2.id, o1.id]);
    expect(all.body.data[0]).toEqual(o3);

    const page2 = await svc.api().get('/api/orders/my-orders?page=2&limit=2').set(me.auth);
    expect(page2.status).toBe(200);
    expect(page2.body).toMatchObject({ page: 2, limit: 2, total: 3 });
    expect((page2.body.data as OrderBody[]).map((o) => o.id)).toEqual([o1.id]);

    const page1 = await svc.api().get('/api/orders/my-orders?page=1&limit=2').set(me.auth);
    expect((page1.body.data as OrderBody[]).map((o) => o.id)).toEqual([o3.id, o2.id]);
  });

  it('answers an empty list to a user without orders', async () => {
    const nobody = await createUser(svc, 'COMPRADOR');
    const res = await svc.api().get('/api/orders/my-orders').set(nobody.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('rejects a bad limit with 400 and requires a token', async () => {
    expectValidationError(await svc.api().get('/api/orders/my-orders?limit=101').set(buyer.auth));
    expectValidationError(await svc.api().get('/api/orders/my-orders?page=0').set(buyer.auth));
    expectError(await svc.api().get('/api/orders/my-orders'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/orders/:id', () => {
  let event: EventBody;
  let order: OrderBody;
  beforeAll(async () => {
    event = await newEvent();
    order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
  });

  it('answers the buyer 200 with the order', async () => {
    const res = await getOrder(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(order);
  });

  it('answers an ADMIN 200', async () => {
    const res = await getOrder(svc, admin, order.id);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(order.id);
  });

  it('answers another buyer 404, hiding that the order exists', async () => {
    expectError(await getOrder(svc, otherBuyer, order.id), 404, 'NOT_FOUND');
  });

  it("answers the event's organizer 404 too", async () => {
    expectError(await getOrder(svc, organizer, order.id), 404, 'NOT_FOUND');
  });

  it('answers 404 for an unknown id and for a non-uuid id', async () => {
    expectError(await getOrder(svc, buyer, UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await getOrder(svc, buyer, 'not-a-uuid'), 404, 'NOT_FOUND');
  });

  it('requires a token', async () => {
    expectError(await svc.api().get(`/api/orders/${order.id}`), 401, 'UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------------------------------------
// PUT /api/orders/:id/confirm
// ---------------------------------------------------------------------------------------------

describe('PUT /api/orders/:id/confirm', () => {
  let event: EventBody;
  let cat: CategoryBody;
  beforeAll(async () => {
    event = await newEvent([{ precio: 25, cantidadTotal: 200 }, { cantidadTotal: 100 }]);
    cat = event.categorias[0]!;
  });

  it('answers 200 with the order in CONFIRMED and its pago', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const transactionId = unique('tx');
    const before = Date.now();
    const res = await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...order,
      estado: 'CONFIRMED',
      pago: {
        metodoPago: 'tarjeta',
        transactionId,
        confirmadoEn: expect.stringMatching(ISO_UTC),
        proveedor: 'simulated',
      },
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(Date.parse(res.body.pago.confirmadoEn)).toBeGreaterThanOrEqual(before - 2_000);
    expect((await getOrder(svc, buyer, order.id)).body).toEqual(res.body);
    // Confirming keeps the tickets out of sale.
    expect((await stockOf(svc, event.id))[cat.id]).toBeLessThanOrEqual(198);
  });

  it('answers a repeated confirmation with the same transactionId 200, unchanged', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const transactionId = unique('tx');
    const first = await confirm(svc, buyer, order.id, payment(transactionId));
    const again = await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    expect(again.body.pago.confirmadoEn).toBe(first.pago!.confirmadoEn);
    expect(await historyOf(order.id)).toHaveLength(2);
  });

  it('refuses a repeated confirmation with another transactionId: 409 INVALID_STATE', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const first = await confirm(svc, buyer, order.id);
    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'INVALID_STATE',
    );
    expect((await getOrder(svc, buyer, order.id)).body.pago).toEqual(first.pago);
  });

  it('refuses a transactionId already used by another order: 409 DUPLICATE_TRANSACTION', async () => {
    const a = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const b = await reserve(svc, otherBuyer, event.id, [line(cat, 1)]);
    const transactionId = unique('tx');
    await confirm(svc, buyer, a.id, payment(transactionId));
    expectError(
      await putConfirm(svc, otherBuyer, b.id, { metodoPago: 'tarjeta', transactionId }),
      409,
      'DUPLICATE_TRANSACTION',
    );
    expect((await getOrder(svc, otherBuyer, b.id)).body.estado).toBe('RESERVED');
  });

  it('answers another buyer 404 and leaves the order alone', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(
      await putConfirm(svc, otherBuyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers an ADMIN who is not the buyer 403 FORBIDDEN', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(
      await putConfirm(svc, admin, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      403,
      'FORBIDDEN',
    );
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers 404 for unknown and non-uuid ids', async () => {
    expectError(
      await putConfirm(svc, buyer, UNKNOWN_ID, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await putConfirm(svc, buyer, 'nope', { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
  });

  it.each<[string, object, string]>([
    ['metodoPago is missing', { transactionId: 'tx-x' }, 'metodoPago'],
    ['transactionId is missing', { metodoPago: 'tarjeta' }, 'transactionId'],
    ['metodoPago is blank', { metodoPago: '   ', transactionId: 'tx-y' }, 'metodoPago'],
  ])('answers 400 VALIDATION_ERROR when %s', async (_label, body, path) => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const res = await putConfirm(svc, buyer, order.id, body);
    expectValidationError(res);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers 409 ORDER_EXPIRED after the expiry job expired the hold', async () => {
    const ev = await newEvent([{ cantidadTotal: 10 }]);
    const c = ev.categorias[0]!;
    const order = await reserve(svc, buyer, ev.id, [line(c, 3)]);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('EXPIRED');

    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'ORDER_EXPIRED',
    );
    expect((await getOrder(svc, buyer, order.id)).body.estado).toBe('EXPIRED');
    expect((await stockOf(svc, ev.id))[c.id]).toBe(10);
  });

  it('answers 409 ORDER_EXPIRED for an overdue hold even before the expiry job has run', async () => {
    await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (s) => {
      const ev = await newEvent(undefined, s);
      const order = await reserve(s, buyer, ev.id, [line(ev.categorias[0]!, 1)]);
      // Other services (this file's, other test files') share the database and run their own
      // expiry jobs. A KEY SHARE lock on the row makes their FOR UPDATE SKIP LOCKED pass it by,
      // while it blocks neither our UPDATE nor the confirmation's attempt.
      await s.database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('orders').select('id').where('id', '=', order.id).forKeyShare().execute();
        await makeOverdue(order.id, s);

        const res = await putConfirm(s, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') });
        expectError(res, 409, 'ORDER_EXPIRED');
        const row = await s.database.db
          .selectFrom('orders')
          .select('status')
          .where('id', '=', order.id)
          .executeTakeFirstOrThrow();
        expect(row.status).toBe('RESERVED');
      });
    });
  });

  it('answers 409 INVALID_STATE for a cancelled order', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'INVALID_STATE',
    );
    expect((await orderRow(order.id)).status).toBe('CANCELLED');
  });
});

// ---------------------------------------------------------------------------------------------
// PUT /api/orders/:id/cancel
// ---------------------------------------------------------------------------------------------

describe('PUT /api/orders/:id/cancel', () => {
  it('lets the buyer cancel a hold: 200 CANCELLED and the tickets go back on sale', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 4)]);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(16);

    const res = await putCancel(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...order, estado: 'CANCELLED', updatedAt: expect.stringMatching(ISO_UTC) });
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('returns every line of a multi-line order', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }, { cantidadTotal: 30 }]);
    const [a, b] = [event.categorias[0]!, event.categorias[1]!];
    const order = await reserve(svc, buyer, event.id, [line(a, 2), line(b, 5)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expect(await stockOf(svc, event.id)).toEqual({ [a.id]: 20, [b.id]: 30 });
  });

  it("lets an ADMIN cancel someone's order", async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const res = await putCancel(svc, admin, order.id);
    expect(res.status).toBe(200);
    expect(res.body.estado).toBe('CANCELLED');
    expect(res.body.usuarioId).toBe(buyer.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
    expect((await historyOf(order.id)).at(-1)).toEqual({
      from_status: 'RESERVED',
      to_status: 'CANCELLED',
      actor_id: admin.id,
    });
  });

  it('answers another buyer 404 and leaves the order alone', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    expectError(await putCancel(svc, otherBuyer, order.id), 404, 'NOT_FOUND');
    expect((await orderRow(order.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(18);
  });

  it('answers 404 for unknown and non-uuid ids', async () => {
    expectError(await putCancel(svc, buyer, UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await putCancel(svc, buyer, 'nope'), 404, 'NOT_FOUND');
  });

  it('cancels a CONFIRMED order and returns its tickets', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 3)]);
    await confirm(svc, buyer, order.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(17);

    const res = await putCancel(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body.estado).toBe('CANCELLED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('refuses a second cancellation with 409 INVALID_STATE and returns the tickets only once', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 5)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(await putCancel(svc, buyer, order.id), 409, 'INVALID_STATE');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('refuses to cancel once the event has started: 409 INVALID_STATE', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const held = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const bought = await reserve(svc, buyer, event.id, [line(cat, 3)]);
    await confirm(svc, buyer, bought.id);
    await startEventInThePast(event.id);

    expectError(await putCancel(svc, buyer, bought.id), 409, 'INVALID_STATE');
    expectError(await putCancel(svc, admin, held.id), 409, 'INVALID_STATE');
    expect((await orderRow(bought.id)).status).toBe('CONFIRMED');
    expect((await orderRow(held.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(15);
  });

  it('refuses to cancel an expired order: 409 INVALID_STATE', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expectError(await putCancel(svc, buyer, order.id), 409, 'INVALID_STATE');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });
});

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

describe('hold expiry', () => {
  it('expires an unpaid hold and puts its tickets back on sale soon after expiraEn', async () => {
    await withService({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.02', EXPIRY_INTERVAL_MS: '200' }, async (s) => {
      const event = await newEvent([{ cantidadTotal: 10 }], s);
      const cat = event.categorias[0]!;
      const order = await reserve(s, buyer, event.id, [line(cat, 4)]);
      expect(order.estado).toBe('RESERVED');
      expect((await stockOf(s, event.id))[cat.id]).toBe(6);

      // The contract allows 2 s after expiraEn; the bound below adds slack for slow machines.
      const deadline = Date.parse(order.expiraEn) + 2_000 + 3_000;
      await eventually(
        async () =>
          (await getOrder(s, buyer, order.id)).body.estado === 'EXPIRED' && (await stockOf(s, event.id))[cat.id] === 10,
        'the hold to expire and its tickets to return',
        deadline - Date.now(),
      );

      expect(await historyOf(order.id)).toEqual([
        { from_status: null, to_status: 'RESERVED', actor_id: buyer.id },
        { from_status: 'RESERVED', to_status: 'EXPIRED', actor_id: null },
      ]);
      expectError(
        await putConfirm(s, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
        409,
        'ORDER_EXPIRED',
      );
    });
  });

  it('does not expire a hold that is still live', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(8);
  });

  it('does not expire a confirmed order whose expiraEn has passed', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await confirm(svc, buyer, order.id);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('CONFIRMED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(8);
  });

  it('expires holds that ran out while the service was down as soon as it starts again', async () => {
    const { event, order } = await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (first) => {
      const ev = await newEvent([{ cantidadTotal: 10 }], first);
      return { event: ev, order: await reserve(first, buyer, ev.id, [line(ev.categorias[0]!, 3)]) };
    });
    const cat = event.categorias[0]!;
    await makeOverdue(order.id);

    await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (second) => {
      // With a 60 s interval, a run within a few seconds can only be the run on start.
      await eventually(
        async () => second.expiryJob.stats.runs >= 1,
        'the restarted service to run its expiry job',
        5_000,
      );
      await eventually(
        async () => (await orderRow(order.id)).status === 'EXPIRED',
        'the overdue hold to be expired',
        5_000,
      );
      expect((await stockOf(second, event.id))[cat.id]).toBe(10);
      expect((await getOrder(second, buyer, order.id)).body.estado).toBe('EXPIRED');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Status history
// ---------------------------------------------------------------------------------------------

describe('order_status_history', () => {
  it('records reserve → confirm → cancel with from, to and actor, in order', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    await confirm(svc, buyer, order.id);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);

    expect(await historyOf(order.id)).toEqual([
      { from_status: null, to_status: 'RESERVED', actor_id: buyer.id },
      { from_status: 'RESERVED', to_status: 'CONFIRMED', actor_id: buyer.id },
      { from_status: 'CONFIRMED', to_status: 'CANCELLED', actor_id: buyer.id },
    ]);
  });

  it('records nothing for refused transitions', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(409);
    expect((await putConfirm(svc, buyer, order.id, { metodoPago: 'x', transactionId: unique('tx') })).status).toBe(409);
    expect(await historyOf(order.id)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Deleting events and categories that have orders
// ---------------------------------------------------------------------------------------------

describe('deleting what orders reference', () => {
  const deleteEvent = (id: string) => svc.api().delete(`/api/events/${id}`).set(admin.auth);
  const deleteCategory = (eventId: string, catId: string) =>
    svc.api().delete(`/api/events/${eventId}/categories/${catId}`).set(organizer.auth);

  it('refuses to delete an event with a CONFIRMED order: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    await confirm(svc, buyer, order.id);
    expectError(await deleteEvent(event.id), 409, 'HAS_ORDERS');
    expect((await svc.api().get(`/api/events/${event.id}`)).status).toBe(200);
    expect((await getOrder(svc, buyer, order.id)).body.estado).toBe('CONFIRMED');
  });

  it('deletes an event whose orders are only held or cancelled: 204', async () => {
    const event = await newEvent();
    await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    const cancelled = await reserve(svc, otherBuyer, event.id, [line(event.categorias[1]!, 1)]);
    expect((await putCancel(svc, otherBuyer, cancelled.id)).status).toBe(200);

    const res = await deleteEvent(event.id);
    expect(res.status).toBe(204);
    expect((await svc.api().get(`/api/events/${event.id}`)).status).toBe(404);
  });

  it('refuses to delete a category referenced by a cancelled order: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(await deleteCategory(event.id, cat.id), 409, 'HAS_ORDERS');
    expect(Object.keys(await stockOf(svc, event.id))).toContain(cat.id);
  });

  it('refuses to delete a category with a live hold: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const cat = event.categorias[1]!;
    await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(await deleteCategory(event.id, cat.id), 409, 'HAS_ORDERS');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(99);
  });

  it('still deletes a category nobody ordered: 204', async () => {
    const event = await newEvent();
    const [ordered, untouched] = [event.categorias[0]!, event.categorias[1]!];
    await reserve(svc, buyer, event.id, [line(ordered, 1)]);
    expect((await deleteCategory(event.id, untouched.id)).status).toBe(204);
    expect(Object.keys(await stockOf(svc, event.id))).toEqual([ordered.id]);
  });
});
