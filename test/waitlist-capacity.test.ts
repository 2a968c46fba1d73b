import { sql } from 'kysely';
import { waitlistEntries } from '../src/modules/waitlist/waitlist.wire';
import { createEvent, createUser, type TestUser } from './helpers/factories';
import { expectStockInvariants, expectTicketInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, eventually, request } from './helpers/sockets';

/**
 * An organizer raises a sold-out category's capacity while buyers wait: the new tickets go to the
 * waiting list first, in order, as freed tickets do; only what nobody waiting can use goes on sale.
 */
let svc: TestService;
let organizer: TestUser;
beforeAll(async () => {
  svc = await startTestService();
  organizer = await createUser(svc, 'ORGANIZADOR');
});
afterEach(() => closeAllSockets());
afterAll(() => svc.close());

const api = () => svc.api();

async function onSale(categoryId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT coalesce(sum(available), 0)::int AS n FROM category_stock WHERE category_id = ${categoryId}`.execute(
    svc.database.db,
  );
  return rows[0]!.n;
}

it('offers added tickets to the waiting list first, at the new price, and puts the rest on sale', async () => {
  const event = await createEvent(svc, organizer, { capacidadTotal: 100 }, [{ cantidadTotal: 2, precio: 10 }]);
  const categoryId = event.categorias[0]!.id;
  const [holder, first, second, outsider] = await Promise.all([1, 2, 3, 4].map(() => createUser(svc)));
  const order = { eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 2 }] };
  await api().post('/api/orders').set(holder!.auth).send(order).expect(201);
  const waitlist = `/api/events/${event.id}/categories/${categoryId}/waitlist`;
  await api().post(waitlist).set(first!.auth).send({ cantidad: 2 }).expect(201);
  await api().post(waitlist).set(second!.auth).send({ cantidad: 3 }).expect(201);

  const socket = await connect(svc.url, first!.token);
  expect(await request(socket, 'join:user', { userId: first!.id })).toEqual({ ok: true });
  const changes = collect(socket, 'order:status-change');

  // +4 tickets: the first entry (2) is served, the second (3) does not fit, 2 go on sale.
  await api()
    .put(`/api/events/${event.id}/categories/${categoryId}`)
    .set(organizer.auth)
    .send({ cantidadTotal: 6, precio: 12 })
    .expect(200);

  const [firstEntry] = waitlistEntries.parse((await api().get('/api/waitlist/mine').set(first!.auth)).body);
  expect(firstEntry).toMatchObject({ estado: 'OFERTADO', ordenId: expect.any(String) });
  const offered = await api().get(`/api/orders/${firstEntry!.ordenId}`).set(first!.auth).expect(200);
  expect(offered.body).toMatchObject({ estado: 'RESERVED', total: 24 });
  await eventually(() => changes.some((c) => c.orderId === firstEntry!.ordenId && c.nuevoEstado === 'RESERVED'));
  const [secondEntry] = waitlistEntries.parse((await api().get('/api/waitlist/mine').set(second!.auth)).body);
  expect(secondEntry).toMatchObject({ estado: 'EN_ESPERA' });

  expect(await onSale(categoryId)).toBe(2);
  const tooMany = { eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 3 }] };
  await api().post('/api/orders').set(outsider!.auth).send(tooMany).expect(409);
  await api().post('/api/orders').set(outsider!.auth).send(order).expect(201);
  await expectStockInvariants(svc.database.db, event.id);
  await expectTicketInvariants(svc.database.db, event.id);
});

it("serves an entry from everything on sale after a raise, not from one bucket's share of it", async () => {
  // 200 tickets: 8 buckets. Sold out by 19 holds of 10 and 2 of 5.
  const event = await createEvent(svc, organizer, { capacidadTotal: 1000 }, [{ cantidadTotal: 200 }]);
  const categoryId = event.categorias[0]!.id;
  const holders = await Promise.all(Array.from({ length: 21 }, () => createUser(svc)));
  const line = (cantidad: number) => ({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad }] });
  // One after the other: this test is about what the raise does, not about a rush.
  const held = [];
  for (const [i, h] of holders.entries()) {
    held.push(
      await api()
        .post('/api/orders')
        .set(h.auth)
        .send(line(i < 2 ? 5 : 10))
        .expect(201),
    );
  }
  const waiter = await createUser(svc);
  await api()
    .post(`/api/events/${event.id}/categories/${categoryId}/waitlist`)
    .set(waiter.auth)
    .send({ cantidad: 10 })
    .expect(201);
  // A hold of 5 expires: too few for the entry of 10, so they go back on sale.
  await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${held[0]!.body.id}`.execute(
    svc.database.db,
  );
  await svc.expiryJob.runOnce();
  expect(await onSale(categoryId)).toBe(5);

  // +5: 10 on sale in all, which the entry gets, whichever buckets the 5 were in.
  await api()
    .put(`/api/events/${event.id}/categories/${categoryId}`)
    .set(organizer.auth)
    .send({ cantidadTotal: 205 })
    .expect(200);
  const [entry] = waitlistEntries.parse((await api().get('/api/waitlist/mine').set(waiter.auth)).body);
  expect(entry).toMatchObject({ estado: 'OFERTADO', cantidad: 10 });
  expect(await onSale(categoryId)).toBe(0);
  await expectStockInvariants(svc.database.db, event.id);
});

it('spreads a raise over the buckets as before when nobody waits', async () => {
  const event = await createEvent(svc, organizer, { capacidadTotal: 1000 }, [{ cantidadTotal: 10 }]);
  const categoryId = event.categorias[0]!.id;
  await api()
    .put(`/api/events/${event.id}/categories/${categoryId}`)
    .set(organizer.auth)
    .send({ cantidadTotal: 500 })
    .expect(200);
  expect(await onSale(categoryId)).toBe(500);
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM category_stock WHERE category_id = ${categoryId} AND available > 0`.execute(
    svc.database.db,
  );
  expect(rows[0]!.n).toBeGreaterThan(1);
  await expectStockInvariants(svc.database.db, event.id);
});
