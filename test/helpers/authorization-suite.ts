/**
 * What the authorization suites (test/security/authorization-*.test.ts) share: one service, the
 * callers, and a fixture with its database snapshot. Together they cover
 * OWASP API Security Top 10 cases that apply to this API:
 * - API1 broken object-level authorization: every id-taking route with another user's ids;
 * - API5 broken function-level authorization: every write and admin route with each role and
 *   without a token;
 * - API2 broken authentication: forged, confused, expired and malformed tokens;
 * - API3/API6 mass assignment: server-owned fields sent in every write body;
 * - API4 unrestricted resource consumption: rate limiting of login and register.
 *
 * A refused request must not only answer the right status: the database must show that nothing
 * changed.
 */
import {
  createEvent,
  createUser,
  unique,
  type CategoryBody,
  type EventBody,
  type OrderBody,
  type TestUser,
} from './factories';
import { startTestService, type TestService } from './service';
import { reserve } from './api';

export let svc: TestService;
export let admin: TestUser;
export let owner: TestUser;
export let otherOrganizer: TestUser;
export let buyer: TestUser;
export let otherBuyer: TestUser;

export const db = () => svc.database.db;

/**
 * One event of `owner` with a category that has a live hold of `buyer` and one nobody ordered.
 * `marker` names the event, so an event created or renamed by a request is noticed too.
 */
export interface Fixture {
  marker: string;
  event: EventBody;
  usedCategory: CategoryBody;
  freeCategory: CategoryBody;
  order: OrderBody;
}

export async function fixture(organizer: TestUser = owner): Promise<Fixture> {
  const marker = unique('authz');
  const event = await createEvent(svc, organizer, { nombre: marker }, [
    { nombre: 'Used', precio: 40, cantidadTotal: 50 },
    { nombre: 'Free', precio: 10, cantidadTotal: 50 },
  ]);
  const [usedCategory, freeCategory] = event.categorias as [CategoryBody, CategoryBody];
  const order = await reserve(svc, buyer, event.id, [{ categoriaId: usedCategory.id, cantidad: 2 }]);
  return { marker, event, usedCategory, freeCategory, order };
}

/** Everything a request against the fixture could change, straight from the database. */
export async function snapshot(f: Fixture) {
  const categoryIds = f.event.categorias.map((c) => c.id);
  const [events, categories, stock, orders, items] = await Promise.all([
    db()
      .selectFrom('events')
      .selectAll()
      .where((eb) =>
        eb.or([eb('name', 'in', [f.marker, `${f.marker}-new`, `${f.marker}-renamed`]), eb('id', '=', f.event.id)]),
      )
      .orderBy('id')
      .execute(),
    db().selectFrom('ticket_categories').selectAll().where('event_id', '=', f.event.id).orderBy('id').execute(),
    db()
      .selectFrom('category_stock')
      .selectAll()
      .where('category_id', 'in', categoryIds)
      .orderBy('category_id')
      .orderBy('bucket')
      .execute(),
    db().selectFrom('orders').selectAll().where('event_id', '=', f.event.id).orderBy('id').execute(),
    db().selectFrom('order_items').selectAll().where('category_id', 'in', categoryIds).orderBy('order_id').execute(),
  ]);
  return JSON.parse(JSON.stringify({ events, categories, stock, orders, items })) as unknown;
}

/** Registers the suite's hooks: call once at the top of each file of the suite. */
export function useAuthorizationSuite(): void {
  beforeAll(async () => {
    svc = await startTestService();
    [admin, owner, otherOrganizer, buyer, otherBuyer] = await Promise.all([
      createUser(svc, 'ADMIN', 'Security Admin'),
      createUser(svc, 'ORGANIZADOR', 'Owner Org'),
      createUser(svc, 'ORGANIZADOR', 'Other Org'),
      createUser(svc, 'COMPRADOR', 'Buyer'),
      createUser(svc, 'COMPRADOR', 'Other Buyer'),
    ]);
  });
  afterAll(() => svc.close());
}
