/** What the orders suites (test/orders-*.test.ts) share: one service, its users and small helpers. */
import { sql } from 'kysely';
import { createEvent, createUsers, type CategorySpec, type TestUser } from './factories';
import { startTestService, type TestService } from './service';

export let svc: TestService;
export let organizer: TestUser;
export let admin: TestUser;
export let buyer: TestUser;
export let otherBuyer: TestUser;

export const ORDER_KEYS = [
  'id',
  'usuarioId',
  'eventoId',
  'estado',
  'tickets',
  'total',
  'expiraEn',
  'createdAt',
  'updatedAt',
];

/** An event of `organizer` with the given categories (default: two of 100 tickets at 50). */
export const newEvent = (categorias?: CategorySpec[], s: TestService = svc) =>
  createEvent(s, organizer, {}, categorias);

export async function orderRow(orderId: string) {
  return svc.database.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
}

export function historyOf(orderId: string) {
  return svc.database.db
    .selectFrom('order_status_history')
    .select(['from_status', 'to_status', 'actor_id'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
}

/** Moves the event's start into the past (events cannot be created there through the API). */
export async function startEventInThePast(eventId: string) {
  await sql`UPDATE events SET starts_at = now() - interval '1 hour' WHERE id = ${eventId}`.execute(svc.database.db);
}

/** Makes a hold overdue by the database clock. */
export async function makeOverdue(orderId: string, s: TestService = svc) {
  await sql`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = ${orderId}`.execute(s.database.db);
}

/** Registers the suite's hooks: call once at the top of each file of the suite. */
export function useOrdersSuite(): void {
  beforeAll(async () => {
    svc = await startTestService();
    [organizer, admin, buyer, otherBuyer] = await createUsers(svc, ['ORGANIZADOR', 'ADMIN', 'COMPRADOR', 'COMPRADOR']);
  });
  afterAll(() => svc.close());
}
