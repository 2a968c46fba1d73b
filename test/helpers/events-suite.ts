/** What the events suites (test/events*.test.ts) share: one service, its users and small helpers. */
import { createEvent, createUsers, unique, type CategorySpec, type EventBody, type TestUser } from './factories';
import { line, reserve } from './api';
import { startTestService, type TestService } from './service';

export let svc: TestService;
export let organizer: TestUser;
export let otherOrganizer: TestUser;
export let admin: TestUser;
export let buyer: TestUser;

export const pastDate = () => new Date(Date.now() - 86_400_000).toISOString();

export const postEvent = (user: TestUser | undefined, body: object) => {
  const req = svc.api().post('/api/events');
  return (user ? req.set(user.auth) : req).send(body);
};
export const putEvent = (user: TestUser, id: string, body: object) =>
  svc.api().put(`/api/events/${id}`).set(user.auth).send(body);
export const search = (query: Record<string, string | number>) => svc.api().get('/api/events/search').query(query);

/** Ids returned by a search (all on one page), to compare with the test's own events. */
export async function searchIds(query: Record<string, string>): Promise<string[]> {
  const res = await search({ limit: 100, ...query });
  expect(res.status).toBe(200);
  expect(res.body.total).toBeLessThanOrEqual(100);
  return (res.body.data as EventBody[]).map((e) => e.id);
}

/** Creates events (as the organizer) that all carry `marker` in their name, so `q=marker` selects exactly them. */
export const eventWith = (marker: string, overrides: Record<string, unknown> = {}, categorias?: CategorySpec[]) =>
  createEvent(svc, organizer, { nombre: `${marker} ${unique('ev')}`, ...overrides }, categorias);

/** Buys every ticket of the event's first category, as a buyer would. */
export async function sellOut(event: EventBody) {
  const category = event.categorias[0]!;
  await reserve(svc, buyer, event.id, [line(category, category.cantidadTotal)]);
}

export const sortedIds = (...events: EventBody[]) => events.map((e) => e.id).sort();

/** Registers the suite's hooks: call once at the top of each file of the suite. */
export function useEventsSuite(): void {
  beforeAll(async () => {
    svc = await startTestService();
    [organizer, otherOrganizer, admin, buyer] = await createUsers(svc, [
      'ORGANIZADOR',
      'ORGANIZADOR',
      'ADMIN',
      'COMPRADOR',
    ]);
  });
  afterAll(() => svc.close());
}
