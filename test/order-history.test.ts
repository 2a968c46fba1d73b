import { sql } from 'kysely';
import { createUser, eventBody, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { startTestService, type TestService } from './helpers/service';

/**
 * migrations/0012: an order's creation entry in `order_status_history` is derived from the order
 * row; the stored transitions are in `order_status_changes`.
 */
let svc: TestService;
let buyer: TestUser;
let organizer: TestUser;

beforeAll(async () => {
  svc = await startTestService();
  buyer = await createUser(svc, 'COMPRADOR');
  organizer = await createUser(svc, 'ORGANIZADOR');
});
afterAll(() => svc.close());

async function reserve(): Promise<string> {
  const event = await call(svc.url, 'POST', '/api/events', { token: organizer.token, body: eventBody({}, [{}]) });
  const order = await call(svc.url, 'POST', '/api/orders', {
    token: buyer.token,
    body: { eventoId: event.body.id, tickets: [{ categoriaId: event.body.categorias[0].id, cantidad: 1 }] },
  });
  expect(order.status).toBe(201);
  return order.body.id;
}

const stored = (orderId: string) =>
  svc.database.db.selectFrom('order_status_changes').selectAll().where('order_id', '=', orderId).execute();
const history = (orderId: string) =>
  svc.database.db
    .selectFrom('order_status_history')
    .select(['from_status', 'to_status', 'actor_id', 'reason'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();

it('writes no row for a reservation, and shows its creation from the order row', async () => {
  const orderId = await reserve();
  expect(await stored(orderId)).toEqual([]);
  expect(await history(orderId)).toEqual([
    { from_status: null, to_status: 'RESERVED', actor_id: buyer.id, reason: 'tickets reserved' },
  ]);
  const cancelled = await call(svc.url, 'PUT', `/api/orders/${orderId}/cancel`, { token: buyer.token });
  expect(cancelled.status).toBe(200);
  expect(await stored(orderId)).toHaveLength(1);
  expect((await history(orderId)).map((h) => h.to_status)).toEqual(['RESERVED', 'CANCELLED']);
});

it('stores a transition inserted into the view, and never a second creation entry', async () => {
  const orderId = await reserve();
  const inserted = await sql<{ id: string }>`
    INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, reason)
    VALUES (${orderId}, 'RESERVED', 'EXPIRED', NULL, 'written through the view') RETURNING id`.execute(svc.database.db);
  expect(Number(inserted.rows[0]!.id)).toBeGreaterThan(0);
  await sql`INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, reason)
            VALUES (${orderId}, NULL, 'RESERVED', ${buyer.id}, 'again')`.execute(svc.database.db);
  expect(await history(orderId)).toEqual([
    { from_status: null, to_status: 'RESERVED', actor_id: buyer.id, reason: 'tickets reserved' },
    { from_status: 'RESERVED', to_status: 'EXPIRED', actor_id: null, reason: 'written through the view' },
  ]);
});
