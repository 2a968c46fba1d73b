import { sql } from 'kysely';
import { AdmissionTokens } from '../src/modules/queue/admission-tokens';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { startTestService, TEST_JWT_SECRET, type TestService } from './helpers/service';

/**
 * What happens to waiting-list offers around them: a paid offer cancelled later, an event deleted
 * while an offer is open, and a queued event's list (only buyers the queue admitted may join).
 */
let svc: TestService;
let organizer: TestUser;
let admin: TestUser;
beforeAll(async () => {
  svc = await startTestService();
  [organizer, admin] = await Promise.all([createUser(svc, 'ORGANIZADOR'), createUser(svc, 'ADMIN')]);
});
afterAll(() => svc.close());

const api = () => svc.api();

/** A 1-ticket category, sold out to a holder, with `waiter` on its list; then the hold expires. */
async function offeredTo(waiter: TestUser, overrides: Record<string, unknown> = {}) {
  const event = await createEvent(svc, organizer, { capacidadTotal: 10, ...overrides }, [{ cantidadTotal: 1 }]);
  const categoryId = event.categorias[0]!.id;
  const holder = await createUser(svc);
  const held = await api()
    .post('/api/orders')
    .set(holder.auth)
    .send({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 1 }] })
    .expect(201);
  await api()
    .post(`/api/events/${event.id}/categories/${categoryId}/waitlist`)
    .set(waiter.auth)
    .send({ cantidad: 1 })
    .expect(201);
  await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${held.body.id}`.execute(
    svc.database.db,
  );
  await svc.expiryJob.runOnce();
  const [entry] = (await api().get('/api/waitlist/mine').set(waiter.auth).expect(200)).body;
  expect(entry).toMatchObject({ estado: 'OFERTADO', ordenId: expect.any(String) });
  return { event, categoryId, orderId: entry.ordenId as string, entryId: entry.id as string };
}

async function entryStatus(waiter: TestUser, entryId: string): Promise<string | undefined> {
  const entries = (await api().get('/api/waitlist/mine').set(waiter.auth).expect(200)).body as Array<{
    id: string;
    estado: string;
  }>;
  return entries.find((e) => e.id === entryId)?.estado;
}

it('an offer paid and then cancelled ends its entry (CANCELADO), and the event can still be deleted', async () => {
  const waiter = await createUser(svc);
  const { event, orderId, entryId } = await offeredTo(waiter);
  await api()
    .put(`/api/orders/${orderId}/confirm`)
    .set(waiter.auth)
    .send({ metodoPago: 'card', transactionId: `txn-${orderId}` })
    .expect(200);
  expect(await entryStatus(waiter, entryId)).toBe('OFERTADO');
  await api().put(`/api/orders/${orderId}/cancel`).set(waiter.auth).expect(200);
  expect(await entryStatus(waiter, entryId)).toBe('CANCELADO');
  await api().delete(`/api/events/${event.id}`).set(admin.auth).expect(204);
});

it('deletes an event while a waiting-list offer is open (its entry goes with it)', async () => {
  const waiter = await createUser(svc);
  const { event: withOffer, entryId } = await offeredTo(waiter);
  await api().delete(`/api/events/${withOffer.id}`).set(admin.auth).expect(204);
  expect(await entryStatus(waiter, entryId)).toBeUndefined();
  await api().get(`/api/events/${withOffer.id}`).expect(404);
});

it('tickets a release could not offer (the buyer was buying at that moment) reach the list on the next expiry run', async () => {
  const event = await createEvent(svc, organizer, { capacidadTotal: 10, maxPorComprador: 4 }, [{ cantidadTotal: 2 }]);
  const categoryId = event.categorias[0]!.id;
  const [holder, waiter] = await Promise.all([createUser(svc), createUser(svc)]);
  const held = await api()
    .post('/api/orders')
    .set(holder.auth)
    .send({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 2 }] })
    .expect(201);
  const joined = await api()
    .post(`/api/events/${event.id}/categories/${categoryId}/waitlist`)
    .set(waiter.auth)
    .send({ cantidad: 2 })
    .expect(201);

  // The waiter's per-event buyer lock is held, as by a purchase of theirs in flight.
  const buying = await svc.database.pool.connect();
  try {
    await buying.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [event.id, waiter.id]);
    await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${held.body.id}`.execute(
      svc.database.db,
    );
    await svc.expiryJob.runOnce();
    expect(await entryStatus(waiter, joined.body.id)).toBe('EN_ESPERA');
  } finally {
    await buying.query('SELECT pg_advisory_unlock_all()');
    buying.release();
  }
  await svc.expiryJob.runOnce();
  expect(await entryStatus(waiter, joined.body.id)).toBe('OFERTADO');
  const { rows } = await sql<{ n: number }>`
    SELECT coalesce(sum(available), 0)::int AS n FROM category_stock WHERE category_id = ${categoryId}`.execute(
    svc.database.db,
  );
  expect(rows[0]!.n).toBe(0);
});

describe('a queued event (colaVirtual)', () => {
  const tokens = new AdmissionTokens(TEST_JWT_SECRET);
  const admit = (buyer: TestUser, event: EventBody) =>
    tokens.sign({
      turnId: '00000000-0000-4000-8000-000000000000',
      userId: buyer.id,
      eventId: event.id,
      expiresAt: new Date(Date.now() + 60_000),
    });

  it('lets only a buyer the queue admitted join a waiting list: it is no way past the queue', async () => {
    const event = await createEvent(svc, organizer, { capacidadTotal: 10, colaVirtual: true }, [{ cantidadTotal: 1 }]);
    const categoryId = event.categorias[0]!.id;
    const holder = await createUser(svc);
    await api()
      .post('/api/orders')
      .set(holder.auth)
      .set('Queue-Token', admit(holder, event))
      .send({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 1 }] })
      .expect(201);

    const [script, admitted] = await Promise.all([createUser(svc), createUser(svc)]);
    const path = `/api/events/${event.id}/categories/${categoryId}/waitlist`;
    const refused = await api().post(path).set(script.auth).send({ cantidad: 1 }).expect(403);
    expect(refused.body.error.code).toBe('QUEUE_REQUIRED');
    // Someone else's admission does not count.
    await api()
      .post(path)
      .set(script.auth)
      .set('Queue-Token', admit(admitted, event))
      .send({ cantidad: 1 })
      .expect(403);
    await api()
      .post(path)
      .set(admitted.auth)
      .set('Queue-Token', admit(admitted, event))
      .send({ cantidad: 1 })
      .expect(201);
  });

  it('a buyer without a token hears QUEUE_REQUIRED, not "sold out", even once the service remembers it sold out', async () => {
    const event = await createEvent(svc, organizer, { capacidadTotal: 10, colaVirtual: true }, [{ cantidadTotal: 1 }]);
    const order = { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] };
    const [first, second, script] = await Promise.all([createUser(svc), createUser(svc), createUser(svc)]);
    await api().post('/api/orders').set(first.auth).set('Queue-Token', admit(first, event)).send(order).expect(201);
    // An admitted buyer finds it sold out: the service now remembers that.
    const soldOut = await api()
      .post('/api/orders')
      .set(second.auth)
      .set('Queue-Token', admit(second, event))
      .send(order);
    expect(soldOut.body.error.code).toBe('INSUFFICIENT_STOCK');
    const again = await api().post('/api/orders').set(second.auth).set('Queue-Token', admit(second, event)).send(order);
    expect(again.body.error.code).toBe('INSUFFICIENT_STOCK');
    const refused = await api().post('/api/orders').set(script.auth).send(order).expect(403);
    expect(refused.body.error.code).toBe('QUEUE_REQUIRED');
  });
});
