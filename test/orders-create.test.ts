import { unique, type CategoryBody, type EventBody, type OrderBody } from './helpers/factories';
import { getOrder, line, postOrder, reserve, stockOf } from './helpers/api';
import { withService } from './helpers/service';
import { expectError, expectValidationError, UUID, ISO_UTC, UNKNOWN_ID } from './helpers/expect';
import {
  svc,
  ORDER_KEYS,
  organizer,
  buyer,
  otherBuyer,
  newEvent,
  startEventInThePast,
  useOrdersSuite,
} from './helpers/orders-suite';

useOrdersSuite();

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
