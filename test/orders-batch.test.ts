import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { OrderRepository, type NewOrder, type ReservationResult } from '../src/modules/orders/orders.repository';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { placeOrder } from './helpers/api';
import { call } from './helpers/http';
import { expectStockInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';

/**
 * Purchases in batches: `reserve_orders()` (migrations/0015) against the real database, and the
 * service sending the purchases that queue for a connection in batches.
 */
let svc: TestService;
let repo: OrderRepository;
let organizer: TestUser;
let buyers: TestUser[];

beforeAll(async () => {
  svc = await startTestService({ EXPIRY_INTERVAL_MS: '60000', DB_LOCK_TIMEOUT_MS: '5000' });
  repo = new OrderRepository(svc.database.db, svc.database.pool);
  organizer = await createUser(svc, 'ORGANIZADOR');
  buyers = await Promise.all(Array.from({ length: 6 }, () => createUser(svc)));
});
afterAll(() => svc.close());

const plain = (
  buyer: TestUser,
  eventId: string,
  categoryId: string,
  quantity: number,
  extra: Partial<NewOrder> = {},
) => ({
  userId: buyer.id,
  eventId,
  lines: [{ categoryId, quantity }],
  holdMs: 600_000,
  queueAdmitted: false,
  ...extra,
});

async function available(categoryId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT coalesce(sum(available), 0)::int AS n FROM category_stock WHERE category_id = ${categoryId}`.execute(
    svc.database.db,
  );
  return rows[0]!.n;
}

async function ordersOf(buyer: TestUser, eventId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM orders WHERE user_id = ${buyer.id} AND event_id = ${eventId}`.execute(
    svc.database.db,
  );
  return rows[0]!.n;
}

function createdOrder(result: ReservationResult | undefined) {
  if (!result?.ok) throw new Error(`no order: ${JSON.stringify(result)}`);
  return result.order;
}

const served = (results: Array<ReservationResult | undefined>) =>
  results.map((r) => (r === undefined ? 'alone' : r.ok ? 'created' : r.reason));

describe('reserve_orders(): one statement for the plain orders of a batch', () => {
  it('creates each plain order with its own price, total and line, and sends every other order back to reserve_order()', async () => {
    const event = await createEvent(svc, organizer, {}, [
      { nombre: 'Open', precio: 30, cantidadTotal: 100 },
      { nombre: 'Later', cantidadTotal: 100 },
    ]);
    const [open, later] = event.categorias as [EventBody['categorias'][0], EventBody['categorias'][0]];
    const other = await createEvent(svc, organizer);
    const queued = await createEvent(svc, organizer, { colaVirtual: true }, [{ nombre: 'Q', cantidadTotal: 10 }]);
    const started = await createEvent(svc, organizer, {}, [{ nombre: 'S', cantidadTotal: 10 }]);
    await sql`UPDATE ticket_categories SET sales_start = now() + interval '1 hour' WHERE id = ${later.id}`.execute(
      svc.database.db,
    );
    await sql`UPDATE events SET starts_at = now() - interval '1 minute' WHERE id = ${started.id}`.execute(
      svc.database.db,
    );
    const [a, b, c] = buyers as [TestUser, TestUser, TestUser];

    const results = await repo.reserveMany([
      plain(a, event.id, open.id, 2),
      plain(a, event.id, other.categorias[0]!.id, 1), // a category of another event
      plain(b, event.id, later.id, 1), // sales not open yet
      plain(b, randomUUID(), open.id, 1), // no such event
      plain(c, queued.id, queued.categorias[0]!.id, 1), // queued event, no admission
      plain(c, queued.id, queued.categorias[0]!.id, 1, { queueAdmitted: true }),
      plain(c, started.id, started.categorias[0]!.id, 1), // the event has started
      plain(b, event.id, open.id, 3, { idempotencyKey: 'key-1', requestHash: 'hash-1' }),
    ]);

    expect(served(results)).toEqual(['created', 'alone', 'alone', 'alone', 'alone', 'created', 'alone', 'created']);
    const first = createdOrder(results[0]);
    expect(first).toMatchObject({ user_id: a.id, event_id: event.id, status: 'RESERVED', total_cents: 6000 });
    expect(first.items).toEqual([
      { order_id: first.id, category_id: open.id, category_name: 'Open', quantity: 2, unit_price_cents: 3000 },
    ]);
    // What the answer says is what was stored.
    const stored = await svc.database.db
      .selectFrom('orders')
      .selectAll()
      .where('event_id', 'in', [event.id, queued.id])
      .orderBy('total_cents')
      .execute();
    expect(stored.map((o) => [o.user_id, o.total_cents, o.idempotency_key, o.request_hash])).toEqual([
      [c.id, 5000, null, null],
      [a.id, 6000, null, null],
      [b.id, 9000, 'key-1', 'hash-1'],
    ]);
    const last = createdOrder(results[7]);
    expect(stored[2]!.expires_at.getTime()).toBe(last.expires_at.getTime());
    expect(await available(open.id)).toBe(95);
    expect(await available(later.id)).toBe(100);
    await expectStockInvariants(svc.database.db, event.id);
    await expectStockInvariants(svc.database.db, queued.id);
  });

  it('counts, for an event with maxPorComprador, what the buyer holds and the orders before it in the batch', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 4 }, [{ nombre: 'L', cantidadTotal: 100 }]);
    const cat = event.categorias[0]!.id;
    const [a, b] = buyers as [TestUser, TestUser];
    expect(
      (await placeOrder(svc, a, { eventoId: event.id, tickets: [{ categoriaId: cat, cantidad: 1 }] })).status,
    ).toBe(201);

    const results = await repo.reserveMany([
      plain(a, event.id, cat, 2),
      plain(b, event.id, cat, 4),
      plain(a, event.id, cat, 1),
      plain(a, event.id, cat, 1), // 1 held + 2 + 1 + 1 = 5 > 4
    ]);
    expect(served(results)).toEqual(['created', 'created', 'created', 'alone']);
    // Alone, reserve_order() words the refusal.
    expect(await repo.reserveOne(plain(a, event.id, cat, 1))).toEqual({
      ok: false,
      reason: 'LIMIT_EXCEEDED',
      max: 4,
      current: 4,
      requested: 1,
    });
    await expectStockInvariants(svc.database.db, event.id);
  });

  it('never waits for a lock another purchase holds: a busy buyer and busy buckets are sent back', async () => {
    const event = await createEvent(svc, organizer, { maxPorComprador: 4 }, [
      { nombre: 'X', cantidadTotal: 100 },
      { nombre: 'Y', cantidadTotal: 100 },
    ]);
    const [x, y] = event.categorias.map((k) => k.id) as [string, string];
    const [a, b, c] = buyers as [TestUser, TestUser, TestUser];
    const other = await svc.database.pool.connect();
    try {
      await other.query('BEGIN');
      // Buyer a is buying this event elsewhere; every bucket of Y is being taken elsewhere.
      await other.query('SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext($2::text))', [event.id, a.id]);
      await other.query('SELECT 1 FROM category_stock WHERE category_id = $1 FOR UPDATE', [y]);
      const results = await repo.reserveMany([
        plain(a, event.id, x, 1),
        plain(b, event.id, x, 1),
        plain(c, event.id, y, 1),
      ]);
      expect(served(results)).toEqual(['alone', 'created', 'alone']);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    await expectStockInvariants(svc.database.db, event.id);
  });

  it('serves a batch no single bucket can hold from several buckets, order by order, and only as many tickets as exist', async () => {
    const event = await createEvent(svc, organizer, {}, [{ nombre: 'Few', cantidadTotal: 20 }]);
    const few = event.categorias[0]!.id;
    const batch = Array.from({ length: 14 }, (_, i) => plain(buyers[i % buyers.length]!, event.id, few, 2));

    const results = await repo.reserveMany(batch);
    const created = results.filter((r) => r?.ok).length;
    expect(created).toBeGreaterThan(0);
    expect(await available(few)).toBe(20 - 2 * created);
    // What the batch sent back is decided alone: together exactly the 20 tickets, then sold out.
    const alone = await Promise.all(batch.filter((_, i) => results[i] === undefined).map((o) => repo.reserveOne(o)));
    expect(created + alone.filter((r) => r.ok).length).toBe(10);
    expect(alone.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'INSUFFICIENT_STOCK')).toBe(true);
    const [row] = await expectStockInvariants(svc.database.db, event.id);
    expect(row).toMatchObject({ available: 0, held: 20 });
  });

  it('writes nothing when one order fails the statement (an Idempotency-Key a concurrent request committed first)', async () => {
    const event = await createEvent(svc, organizer, {}, [{ nombre: 'K', cantidadTotal: 100 }]);
    const cat = event.categorias[0]!.id;
    const [a, b] = buyers as [TestUser, TestUser];
    expect((await repo.reserveOne(plain(a, event.id, cat, 1, { idempotencyKey: 'same' }))).ok).toBe(true);

    await expect(
      repo.reserveMany([plain(b, event.id, cat, 2), plain(a, event.id, cat, 1, { idempotencyKey: 'same' })]),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await ordersOf(b, event.id)).toBe(0);
    expect(await available(cat)).toBe(99);
  });
});

/** Purchase statements that carried several orders (the service's metric). */
async function batchesSent(service: TestService): Promise<number> {
  const metrics = (await service.api().get('/metrics')).text;
  const alone = Number(/ticketing_reservation_batch_orders_bucket\{le="1"\} (\d+)/.exec(metrics)![1]);
  const all = Number(/ticketing_reservation_batch_orders_count (\d+)/.exec(metrics)![1]);
  return all - alone;
}

/**
 * A service whose purchases queue for a connection (a pool of 2), with generous waits so a busy
 * machine's queueing is not answered 503 in a suite about correctness.
 */
const QUEUED = {
  DB_POOL_SIZE: '2',
  ORDER_BATCH_SIZE: '16',
  DB_CONNECT_TIMEOUT_MS: '20000',
  DB_LOCK_TIMEOUT_MS: '10000',
  EXPIRY_INTERVAL_MS: '60000',
};

describe('purchases queued for a connection', () => {
  it('go in batches; every buyer gets their own order, one per Idempotency-Key, and the ledger balances', async () => {
    const queued = await startTestService(QUEUED);
    try {
      const host = await createUser(queued, 'ORGANIZADOR');
      const people = await Promise.all(Array.from({ length: 30 }, () => createUser(queued)));
      const event = await createEvent(queued, host, {}, [
        { nombre: 'A', precio: 10, cantidadTotal: 150 },
        { nombre: 'B', precio: 20, cantidadTotal: 150 },
      ]);
      const [catA, catB] = event.categorias.map((k) => k.id) as [string, string];
      const requests = people.flatMap((person, i) => [
        {
          person,
          body: { eventoId: event.id, tickets: [{ categoriaId: catA, cantidad: 1 + (i % 3) }] },
          key: undefined,
        },
        { person, body: { eventoId: event.id, tickets: [{ categoriaId: catB, cantidad: 1 }] }, key: `k-${i}` },
        // The same request again, at the same moment: one order.
        { person, body: { eventoId: event.id, tickets: [{ categoriaId: catB, cantidad: 1 }] }, key: `k-${i}` },
        ...(i % 5 === 0
          ? [
              {
                person,
                body: {
                  eventoId: event.id,
                  tickets: [
                    { categoriaId: catA, cantidad: 1 },
                    { categoriaId: catB, cantidad: 1 },
                  ],
                },
                key: undefined,
              },
            ]
          : []),
      ]);
      const responses = await Promise.all(
        requests.map((r) => placeOrder(queued, r.person, r.body, r.key ? { 'Idempotency-Key': r.key } : {})),
      );
      expect([...new Set(responses.map((r) => r.status))]).toEqual([201]);

      // Each answer is the buyer's own order, as stored, with what was asked for.
      const ids = new Set<string>();
      for (const [i, r] of responses.entries()) {
        const asked = requests[i]!;
        const mine = await call(queued.url, 'GET', `/api/orders/${r.body.id}`, { token: asked.person.token });
        expect(mine.status).toBe(200);
        expect(mine.body.tickets).toEqual(asked.body.tickets.map((t) => expect.objectContaining(t)));
        ids.add(r.body.id);
      }
      // The repeated Idempotency-Key requests got the first one's order.
      expect(ids.size).toBe(requests.length - people.length);
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM orders WHERE event_id = ${event.id}`.execute(queued.database.db);
      expect(rows[0]!.n).toBe(ids.size);
      await expectStockInvariants(queued.database.db, event.id);

      expect(await batchesSent(queued)).toBeGreaterThan(0);
    } finally {
      await queued.close();
    }
  });

  it('never deadlock with event deletions: each purchase is 201 or 404, each delete 204, nothing left of a deleted event', async () => {
    const queued = await startTestService(QUEUED);
    try {
      const [host, admin] = await Promise.all([createUser(queued, 'ORGANIZADOR'), createUser(queued, 'ADMIN')]);
      const people = await Promise.all(Array.from({ length: 10 }, () => createUser(queued)));
      const events = await Promise.all(
        Array.from({ length: 8 }, () => createEvent(queued, host, {}, [{ nombre: 'One', cantidadTotal: 100 }])),
      );
      const results = await Promise.all(
        events.map(async (event) => {
          const purchases = Array.from({ length: 25 }, (_, i) =>
            placeOrder(queued, people[i % people.length]!, {
              eventoId: event.id,
              tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }],
            }),
          );
          const deletion = new Promise((r) => setTimeout(r, Math.random() * 20)).then(() =>
            call(queued.url, 'DELETE', `/api/events/${event.id}`, { token: admin.token }),
          );
          return { purchases: await Promise.all(purchases), deletion: await deletion };
        }),
      );
      for (const r of results) {
        expect(r.deletion.status).toBe(204);
        expect(r.purchases.map((p) => p.status).filter((s) => s !== 201 && s !== 404)).toEqual([]);
      }
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM orders WHERE event_id = ANY(${events.map((e) => e.id)}::uuid[])`.execute(
        queued.database.db,
      );
      expect(rows[0]!.n).toBe(0);
      expect(await batchesSent(queued)).toBeGreaterThan(0);
    } finally {
      await queued.close();
    }
  });
});
