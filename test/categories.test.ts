import { sql } from 'kysely';
import { createEvent, createUsers, type CategoryBody, type EventBody, type TestUser } from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';
import { expectError, expectValidationError, UUID, UNKNOWN_ID } from './helpers/expect';

let svc: TestService;
let organizer: TestUser;
let otherOrganizer: TestUser;
let admin: TestUser;
let buyer: TestUser;

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

const categoriesPath = (eventId: string) => `/api/events/${eventId}/categories`;
const listCategories = (eventId: string) => svc.api().get(categoriesPath(eventId));
const postCategory = (user: TestUser | undefined, eventId: string, body: object) => {
  const req = svc.api().post(categoriesPath(eventId));
  return (user ? req.set(user.auth) : req).send(body);
};
const putCategory = (user: TestUser, eventId: string, categoryId: string, body: object) =>
  svc
    .api()
    .put(`${categoriesPath(eventId)}/${categoryId}`)
    .set(user.auth)
    .send(body);
const deleteCategory = (user: TestUser, eventId: string, categoryId: string) =>
  svc
    .api()
    .delete(`${categoriesPath(eventId)}/${categoryId}`)
    .set(user.auth);

/** An event of `organizer` with capacity 300 and one category "General" of 100 at 50. */
const newEvent = () =>
  createEvent(svc, organizer, { capacidadTotal: 300 }, [{ nombre: 'General', precio: 50, cantidadTotal: 100 }]);
const firstCategory = (event: EventBody) => event.categorias[0]!;

async function categoryFromApi(eventId: string, categoryId: string): Promise<CategoryBody> {
  const res = await listCategories(eventId);
  expect(res.status).toBe(200);
  const category = (res.body as CategoryBody[]).find((c) => c.id === categoryId);
  if (!category) throw new Error(`category ${categoryId} not listed`);
  return category;
}

/** What the stock table says can be bought: sum(available) over the category's buckets. */
async function stockInDb(categoryId: string): Promise<number> {
  const { rows } = await sql<{ total: number }>`
    SELECT coalesce(sum(available), 0)::int AS total FROM category_stock WHERE category_id = ${categoryId}
  `.execute(svc.database.db);
  return rows[0]!.total;
}

/** Asserts the API's `disponible` and the stock table agree, and equal `expected`. */
async function expectAvailable(eventId: string, categoryId: string, expected: number) {
  expect((await categoryFromApi(eventId, categoryId)).disponible).toBe(expected);
  expect(await stockInDb(categoryId)).toBe(expected);
}

/**
 * Simulates `count` tickets sold or held (orders are not implemented yet): takes them out of the
 * category's stock buckets directly, so total - available = count.
 */
async function holdTickets(categoryId: string, count: number): Promise<void> {
  const buckets = await svc.database.db
    .selectFrom('category_stock')
    .select(['bucket', 'available'])
    .where('category_id', '=', categoryId)
    .orderBy('bucket')
    .execute();
  let left = count;
  for (const { bucket, available } of buckets) {
    const take = Math.min(left, available);
    if (take === 0) continue;
    await svc.database.db
      .updateTable('category_stock')
      .set({ available: available - take })
      .where('category_id', '=', categoryId)
      .where('bucket', '=', bucket)
      .execute();
    left -= take;
  }
  if (left > 0) throw new Error(`could not hold ${count} tickets`);
}

describe('GET /api/events/:id/categories', () => {
  it('answers 200 with the event categories as an array', async () => {
    const event = await createEvent(svc, organizer, {}, [{ nombre: 'A' }, { nombre: 'B', beneficios: ['x'] }]);
    const res = await listCategories(event.id);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body).toHaveLength(2);
    expect(res.body).toEqual(event.categorias);
  });

  it('answers an empty array for an event without categories', async () => {
    const event = await createEvent(svc, organizer, {}, []);
    const res = await listCategories(event.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('answers 404 NOT_FOUND for an unknown event', async () => {
    expectError(await listCategories(UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await listCategories('not-a-uuid'), 404, 'NOT_FOUND');
  });
});

describe('POST /api/events/:id/categories', () => {
  const body = (overrides: Record<string, unknown> = {}) => ({
    nombre: 'VIP',
    precio: 149.99,
    cantidadTotal: 50,
    beneficios: ['Backstage', 'Drink'],
    ...overrides,
  });

  it('lets the event organizer create a category: 201 with the category shape', async () => {
    const event = await newEvent();
    const res = await postCategory(organizer, event.id, body());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      eventoId: event.id,
      nombre: 'VIP',
      precio: 149.99,
      cantidadTotal: 50,
      disponible: 50,
      beneficios: ['Backstage', 'Drink'],
      ventaInicio: null,
      ventaFin: null,
    });
    expect(await listCategories(event.id).then((r) => r.body)).toContainEqual(res.body);
    expect((await svc.api().get(`/api/events/${event.id}`)).body.categorias).toContainEqual(res.body);
    await expectAvailable(event.id, res.body.id, 50);
  });

  it('defaults beneficios to an empty array', async () => {
    const event = await newEvent();
    const { beneficios: _omitted, ...withoutBenefits } = body();
    const res = await postCategory(organizer, event.id, withoutBenefits);
    expect(res.status).toBe(201);
    expect(res.body.beneficios).toEqual([]);
  });

  it('lets an ADMIN create a category on any event', async () => {
    const event = await newEvent();
    const res = await postCategory(admin, event.id, body());
    expect(res.status).toBe(201);
    expect(res.body.eventoId).toBe(event.id);
  });

  it('forbids another organizer with 403 FORBIDDEN and creates nothing', async () => {
    const event = await newEvent();
    expectError(await postCategory(otherOrganizer, event.id, body()), 403, 'FORBIDDEN');
    expect((await listCategories(event.id)).body).toHaveLength(1);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    const event = await newEvent();
    expectError(await postCategory(buyer, event.id, body()), 403, 'FORBIDDEN');
  });

  it('requires a token: 401 UNAUTHORIZED', async () => {
    const event = await newEvent();
    expectError(await postCategory(undefined, event.id, body()), 401, 'UNAUTHORIZED');
  });

  it('answers 404 NOT_FOUND for an unknown event', async () => {
    expectError(await postCategory(organizer, UNKNOWN_ID, body()), 404, 'NOT_FOUND');
  });

  it('answers 409 CAPACITY_EXCEEDED when the categories would exceed the event capacity', async () => {
    const event = await newEvent(); // capacity 300, 100 already in categories
    expectError(await postCategory(organizer, event.id, body({ cantidadTotal: 201 })), 409, 'CAPACITY_EXCEEDED');
    expect((await listCategories(event.id)).body).toHaveLength(1);
    expect((await postCategory(organizer, event.id, body({ cantidadTotal: 200 }))).status).toBe(201);
    expectError(await postCategory(organizer, event.id, body({ cantidadTotal: 1 })), 409, 'CAPACITY_EXCEEDED');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a negative precio', { precio: -1 }, 'precio'],
    ['a precio with 3 decimals', { precio: 1.234 }, 'precio'],
    ['a cantidadTotal of 0', { cantidadTotal: 0 }, 'cantidadTotal'],
    ['a fractional cantidadTotal', { cantidadTotal: 2.5 }, 'cantidadTotal'],
    ['a missing nombre', { nombre: undefined }, 'nombre'],
    ['a blank nombre', { nombre: '  ' }, 'nombre'],
    ['beneficios that is a string', { beneficios: 'Backstage' }, 'beneficios'],
    ['beneficios with numbers', { beneficios: ['ok', 2] }, 'beneficios.1'],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_label, overrides, path) => {
    const event = await newEvent();
    expectValidationError(await postCategory(organizer, event.id, body(overrides)), [path]);
  });
});

describe('PUT /api/events/:id/categories/:catId', () => {
  let event: EventBody;
  let category: CategoryBody;
  beforeEach(async () => {
    event = await newEvent();
    category = firstCategory(event);
  });

  it('applies a partial update and leaves the other fields alone', async () => {
    const res = await putCategory(organizer, event.id, category.id, { nombre: 'Pista', beneficios: ['Early entry'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...category, nombre: 'Pista', beneficios: ['Early entry'] });
    expect(await categoryFromApi(event.id, category.id)).toEqual(res.body);
  });

  it('updates precio', async () => {
    const res = await putCategory(organizer, event.id, category.id, { precio: 0 });
    expect(res.status).toBe(200);
    expect(res.body.precio).toBe(0);
  });

  it('moves disponible with cantidadTotal when nothing is sold', async () => {
    const raised = await putCategory(organizer, event.id, category.id, { cantidadTotal: 150 });
    expect(raised.status).toBe(200);
    expect(raised.body).toEqual(expect.objectContaining({ cantidadTotal: 150, disponible: 150 }));
    await expectAvailable(event.id, category.id, 150);

    const lowered = await putCategory(organizer, event.id, category.id, { cantidadTotal: 60 });
    expect(lowered.status).toBe(200);
    expect(lowered.body).toEqual(expect.objectContaining({ cantidadTotal: 60, disponible: 60 }));
    await expectAvailable(event.id, category.id, 60);
  });

  it('keeps held tickets held when cantidadTotal changes', async () => {
    await holdTickets(category.id, 30);
    await expectAvailable(event.id, category.id, 70);

    const lowered = await putCategory(organizer, event.id, category.id, { cantidadTotal: 50 });
    expect(lowered.status).toBe(200);
    expect(lowered.body).toEqual(expect.objectContaining({ cantidadTotal: 50, disponible: 20 }));
    await expectAvailable(event.id, category.id, 20);

    const raised = await putCategory(organizer, event.id, category.id, { cantidadTotal: 120 });
    expect(raised.status).toBe(200);
    expect(raised.body).toEqual(expect.objectContaining({ cantidadTotal: 120, disponible: 90 }));
    await expectAvailable(event.id, category.id, 90);
  });

  it('answers 409 CAPACITY_EXCEEDED when cantidadTotal would go below what is sold or held', async () => {
    await holdTickets(category.id, 30);
    expectError(await putCategory(organizer, event.id, category.id, { cantidadTotal: 29 }), 409, 'CAPACITY_EXCEEDED');
    expect(await categoryFromApi(event.id, category.id)).toEqual(expect.objectContaining({ cantidadTotal: 100 }));
    await expectAvailable(event.id, category.id, 70);

    const exact = await putCategory(organizer, event.id, category.id, { cantidadTotal: 30 });
    expect(exact.status).toBe(200);
    expect(exact.body).toEqual(expect.objectContaining({ cantidadTotal: 30, disponible: 0 }));
    await expectAvailable(event.id, category.id, 0);
  });

  it('answers 409 CAPACITY_EXCEEDED when cantidadTotal would exceed the event capacity', async () => {
    expect((await postCategory(organizer, event.id, { nombre: 'Extra', precio: 10, cantidadTotal: 100 })).status).toBe(
      201,
    );
    // capacity 300; the other category holds 100, so this one may grow to 200 but not 201.
    expectError(await putCategory(organizer, event.id, category.id, { cantidadTotal: 201 }), 409, 'CAPACITY_EXCEEDED');
    await expectAvailable(event.id, category.id, 100);
    const res = await putCategory(organizer, event.id, category.id, { cantidadTotal: 200 });
    expect(res.status).toBe(200);
    await expectAvailable(event.id, category.id, 200);
  });

  it('lets an ADMIN update the category', async () => {
    const res = await putCategory(admin, event.id, category.id, { nombre: 'Admin edit' });
    expect(res.status).toBe(200);
    expect(res.body.nombre).toBe('Admin edit');
  });

  it('forbids another organizer with 403 FORBIDDEN and changes nothing', async () => {
    expectError(await putCategory(otherOrganizer, event.id, category.id, { cantidadTotal: 10 }), 403, 'FORBIDDEN');
    expect(await categoryFromApi(event.id, category.id)).toEqual(category);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    expectError(await putCategory(buyer, event.id, category.id, { nombre: 'x' }), 403, 'FORBIDDEN');
  });

  it('answers 404 NOT_FOUND for a category addressed through another event', async () => {
    const otherEvent = await newEvent();
    expectError(await putCategory(organizer, otherEvent.id, category.id, { nombre: 'Moved' }), 404, 'NOT_FOUND');
    expect(await categoryFromApi(event.id, category.id)).toEqual(category);
  });

  it('answers 404 NOT_FOUND for an unknown category', async () => {
    expectError(await putCategory(organizer, event.id, UNKNOWN_ID, { nombre: 'Ghost' }), 404, 'NOT_FOUND');
    expectError(await putCategory(organizer, event.id, 'not-a-uuid', { nombre: 'Ghost' }), 404, 'NOT_FOUND');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an empty body', {}],
    ['an unknown field', { eventoId: UNKNOWN_ID }],
    ['a cantidadTotal of 0', { cantidadTotal: 0 }],
    ['a negative precio', { precio: -0.01 }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_label, patch) => {
    expectValidationError(await putCategory(organizer, event.id, category.id, patch));
    expect(await categoryFromApi(event.id, category.id)).toEqual(category);
  });
});

describe('DELETE /api/events/:id/categories/:catId', () => {
  it('answers 204; the category leaves the list, its stock rows go, and its capacity is freed', async () => {
    const event = await createEvent(svc, organizer, { capacidadTotal: 200 }, [
      { cantidadTotal: 100 },
      { cantidadTotal: 100 },
    ]);
    const [doomed, kept] = event.categorias as [CategoryBody, CategoryBody];

    const res = await deleteCategory(organizer, event.id, doomed.id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    const list = (await listCategories(event.id)).body as CategoryBody[];
    expect(list.map((c) => c.id)).toEqual([kept.id]);
    expect(await stockInDb(doomed.id)).toBe(0);
    const rows = await svc.database.db
      .selectFrom('category_stock')
      .select('bucket')
      .where('category_id', '=', doomed.id)
      .execute();
    expect(rows).toEqual([]);
    await expectAvailable(event.id, kept.id, 100);

    expect(
      (await postCategory(organizer, event.id, { nombre: 'Replacement', precio: 1, cantidadTotal: 100 })).status,
    ).toBe(201);
  });

  it('lets an ADMIN delete a category', async () => {
    const event = await newEvent();
    expect((await deleteCategory(admin, event.id, firstCategory(event).id)).status).toBe(204);
    expect((await listCategories(event.id)).body).toEqual([]);
  });

  it('forbids another organizer with 403 FORBIDDEN and keeps the category', async () => {
    const event = await newEvent();
    expectError(await deleteCategory(otherOrganizer, event.id, firstCategory(event).id), 403, 'FORBIDDEN');
    expect((await listCategories(event.id)).body).toEqual(event.categorias);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    const event = await newEvent();
    expectError(await deleteCategory(buyer, event.id, firstCategory(event).id), 403, 'FORBIDDEN');
  });

  it('answers 404 NOT_FOUND for an unknown category or one addressed through another event', async () => {
    const event = await newEvent();
    const otherEvent = await newEvent();
    expectError(await deleteCategory(organizer, event.id, UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await deleteCategory(organizer, otherEvent.id, firstCategory(event).id), 404, 'NOT_FOUND');
    expect((await listCategories(event.id)).body).toEqual(event.categorias);
  });
});
