import { sql } from 'kysely';
import { createEvent, createUser, eventBody, type EventBody, type TestUser } from './helpers/factories';
import { confirm, eventOf, placeOrder, putCancel } from './helpers/api';
import { expectError } from './helpers/expect';
import { expectStockInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';

/** Per-buyer limits (maxPorComprador) and sales windows (ventaInicio / ventaFin), enforced in reserve_order(). */
let svc: TestService;
let organizer: TestUser;

beforeAll(async () => {
  svc = await startTestService({ DB_CONNECT_TIMEOUT_MS: '20000', EXPIRY_INTERVAL_MS: '60000' });
  organizer = await createUser(svc, 'ORGANIZADOR');
});
afterAll(() => svc.close());

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('maxPorComprador on the event', () => {
  it('is set on create, shown, changed and cleared on update, and validated', async () => {
    const limited = await createEvent(svc, organizer, { maxPorComprador: 4 });
    expect((await eventOf(svc, limited.id)).maxPorComprador).toBe(4);
    const open = await createEvent(svc, organizer);
    expect((await eventOf(svc, open.id)).maxPorComprador).toBeNull();

    const changed = await svc.api().put(`/api/events/${limited.id}`).set(organizer.auth).send({ maxPorComprador: 2 });
    expect(changed.status).toBe(200);
    expect(changed.body.maxPorComprador).toBe(2);
    const cleared = await svc
      .api()
      .put(`/api/events/${limited.id}`)
      .set(organizer.auth)
      .send({ maxPorComprador: null });
    expect(cleared.body.maxPorComprador).toBeNull();
    expect(
      (await svc.api().get('/api/events').query({ limit: 100 })).body.data.every((e: any) => 'maxPorComprador' in e),
    ).toBe(true);

    for (const bad of [0, -1, 2.5, '3']) {
      const res = await svc
        .api()
        .post('/api/events')
        .set(organizer.auth)
        .send(eventBody({ maxPorComprador: bad }));
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details[0].path).toBe('maxPorComprador');
    }
  });
});

describe('per-buyer limit', () => {
  it('lets one buyer sending 40 parallel orders of 2 against a limit of 6 get exactly 3 of them', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 6 }, [{ cantidadTotal: 500 }]);
    const category = event.categorias[0]!;
    const buyer = await createUser(svc);
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 2 }] }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = responses.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(37);
    for (const r of refused) {
      expectError(r, 409, 'LIMIT_EXCEEDED');
      expect(r.body.error.details).toEqual({ maxPorComprador: 6, actuales: 6, solicitadas: 2 });
    }
    const [row] = await expectStockInvariants(svc.database.db, event.id);
    expect(row!.held).toBe(6);

    // Another buyer is not affected by the first one's limit.
    const other = await createUser(svc);
    expect(
      (await placeOrder(svc, other, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 6 }] }))
        .status,
    ).toBe(201);
  });

  it('counts live holds and confirmed tickets across categories and orders, not cancelled or overdue holds', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 4 }, [{ nombre: 'A' }, { nombre: 'B' }]);
    const [a, b] = event.categorias as [EventBody['categorias'][0], EventBody['categorias'][0]];
    const buyer = await createUser(svc);

    const first = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [
        { categoriaId: a.id, cantidad: 1 },
        { categoriaId: b.id, cantidad: 1 },
      ],
    });
    expect(first.status).toBe(201);
    await confirm(svc, buyer, first.body.id);
    const second = await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: b.id, cantidad: 2 }] });
    expect(second.status).toBe(201);

    const fifth = await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: a.id, cantidad: 1 }] });
    expectError(fifth, 409, 'LIMIT_EXCEEDED');
    expect(fifth.body.error.details).toEqual({ maxPorComprador: 4, actuales: 4, solicitadas: 1 });
    // Nothing of the refused order left the stock.
    await expectStockInvariants(svc.database.db, event.id);

    // A cancelled hold gives its room back.
    expect((await putCancel(svc, buyer, second.body.id)).status).toBe(200);
    const third = await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: a.id, cantidad: 2 }] });
    expect(third.status).toBe(201);
    expectError(
      await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: a.id, cantidad: 1 }] }),
      409,
      'LIMIT_EXCEEDED',
    );

    // A hold past its deadline (by the database clock) can no longer be confirmed: it stops counting.
    await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${third.body.id}`.execute(
      svc.database.db,
    );
    expect(
      (await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: b.id, cantidad: 2 }] })).status,
    ).toBe(201);
  });

  it('applies a limit lowered later to new orders only, and none once cleared', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 10 }, [{}]);
    const category = event.categorias[0]!;
    const buyer = await createUser(svc);
    expect(
      (await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 5 }] }))
        .status,
    ).toBe(201);
    await svc.api().put(`/api/events/${event.id}`).set(organizer.auth).send({ maxPorComprador: 3 }).expect(200);
    const refused = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: category.id, cantidad: 1 }],
    });
    expect(refused.body.error.details).toEqual({ maxPorComprador: 3, actuales: 5, solicitadas: 1 });
    await svc.api().put(`/api/events/${event.id}`).set(organizer.auth).send({ maxPorComprador: null }).expect(200);
    expect(
      (await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 10 }] }))
        .status,
    ).toBe(201);
  });

  it('keeps every buyer within the limit when many buyers each send parallel orders', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 3 }, [
      { nombre: 'A', cantidadTotal: 200 },
      { nombre: 'B', cantidadTotal: 200 },
    ]);
    const ids = event.categorias.map((c) => c.id);
    const buyers = await Promise.all(Array.from({ length: 8 }, () => createUser(svc)));
    await Promise.all(
      buyers.flatMap((buyer, i) =>
        Array.from({ length: 6 }, (_, j) =>
          placeOrder(svc, buyer, {
            eventoId: event.id,
            tickets: [{ categoriaId: ids[(i + j) % 2]!, cantidad: 1 + (j % 2) }],
          }),
        ),
      ),
    );
    const { rows } = await sql<{ user_id: string; tickets: number }>`
      SELECT o.user_id, sum(i.quantity)::int AS tickets FROM orders o JOIN order_items i ON i.order_id = o.id
      WHERE o.event_id = ${event.id} AND o.status = 'RESERVED' GROUP BY o.user_id`.execute(svc.database.db);
    expect(rows).toHaveLength(8);
    for (const r of rows) expect(r.tickets).toBeLessThanOrEqual(3);
    await expectStockInvariants(svc.database.db, event.id);
  });
});

describe('sales windows', () => {
  it('shows ventaInicio and ventaFin on the categories (null when unset) and validates them', async () => {
    const start = inMinutes(60);
    const end = inMinutes(120);
    const event = await createEvent(svc, organizer, {}, [{}]);
    const created = await svc
      .api()
      .post(`/api/events/${event.id}/categories`)
      .set(organizer.auth)
      .send({ nombre: 'Later', precio: 10, cantidadTotal: 10, ventaInicio: start, ventaFin: end });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ventaInicio: start, ventaFin: end });
    const shown = await eventOf(svc, event.id);
    expect(shown.categorias.map((c: any) => [c.ventaInicio, c.ventaFin])).toEqual([
      [null, null],
      [start, end],
    ]);
    expect((await svc.api().get(`/api/events/${event.id}/categories`)).body[1]).toMatchObject({ ventaInicio: start });

    const backwards = await svc
      .api()
      .post(`/api/events/${event.id}/categories`)
      .set(organizer.auth)
      .send({ nombre: 'Bad', precio: 10, cantidadTotal: 10, ventaInicio: end, ventaFin: start });
    expectError(backwards, 400, 'VALIDATION_ERROR');
    expectError(
      await svc
        .api()
        .post('/api/events')
        .set(organizer.auth)
        .send(eventBody({ categorias: [{ nombre: 'X', precio: 1, cantidadTotal: 1, ventaInicio: 'tomorrow' }] })),
      400,
      'VALIDATION_ERROR',
    );
    // Moving one bound past the other that is already stored is refused too.
    const catId = created.body.id as string;
    const patch = await svc
      .api()
      .put(`/api/events/${event.id}/categories/${catId}`)
      .set(organizer.auth)
      .send({ ventaFin: inMinutes(30) });
    expectError(patch, 400, 'VALIDATION_ERROR');
    const cleared = await svc
      .api()
      .put(`/api/events/${event.id}/categories/${catId}`)
      .set(organizer.auth)
      .send({ ventaInicio: null });
    expect(cleared.body).toMatchObject({ ventaInicio: null, ventaFin: end });
  });

  it('refuses a reservation before the opening with the opening time, and takes it once open', async () => {
    const opens = inMinutes(60);
    const event = await createEvent(svc, organizer, {}, []);
    const cat = await svc
      .api()
      .post(`/api/events/${event.id}/categories`)
      .set(organizer.auth)
      .send({ nombre: 'Soon', precio: 10, cantidadTotal: 10, ventaInicio: opens });
    const buyer = await createUser(svc);
    const early = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: cat.body.id, cantidad: 1 }],
    });
    expectError(early, 409, 'SALES_CLOSED');
    expect(early.body.error.details).toEqual([{ categoriaId: cat.body.id, ventaInicio: opens, ventaFin: null }]);
    expect(early.body.error.message).toContain(opens);
    await expectStockInvariants(svc.database.db, event.id);

    // The database clock decides: move the opening just behind it.
    await sql`UPDATE ticket_categories SET sales_start = now() - interval '1 millisecond' WHERE id = ${cat.body.id}`.execute(
      svc.database.db,
    );
    expect(
      (await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: cat.body.id, cantidad: 1 }] }))
        .status,
    ).toBe(201);
  });

  it('refuses a reservation after the closing, even of a category this instance saw sold out', async () => {
    const event = await createEvent(svc, organizer, {}, [{ nombre: 'Open', cantidadTotal: 2 }, { nombre: 'Other' }]);
    const [open, other] = event.categorias as [EventBody['categorias'][0], EventBody['categorias'][0]];
    const buyer = await createUser(svc);
    expect(
      (await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: open.id, cantidad: 2 }] })).status,
    ).toBe(201);
    // Sold out, and remembered as such for a moment.
    expectError(
      await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: open.id, cantidad: 1 }] }),
      409,
      'INSUFFICIENT_STOCK',
    );

    const closed = new Date(Date.now() - 1000).toISOString();
    await svc
      .api()
      .put(`/api/events/${event.id}/categories/${open.id}`)
      .set(organizer.auth)
      .send({ ventaFin: closed })
      .expect(200);
    const late = await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: open.id, cantidad: 1 }] });
    expectError(late, 409, 'SALES_CLOSED');
    expect(late.body.error.details).toEqual([{ categoriaId: open.id, ventaInicio: null, ventaFin: closed }]);

    // A whole order is refused when one of its lines is closed; nothing is taken from the others.
    const mixed = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [
        { categoriaId: other.id, cantidad: 1 },
        { categoriaId: open.id, cantidad: 1 },
      ],
    });
    expectError(mixed, 409, 'SALES_CLOSED');
    const [, otherRow] = await expectStockInvariants(svc.database.db, event.id);
    expect(otherRow!.available).toBe(100);
  });
});
