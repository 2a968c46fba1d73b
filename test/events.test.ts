import type { Response } from 'supertest';
import {
  createEvent,
  createUser,
  eventBody,
  futureDate,
  unique,
  type CategorySpec,
  type EventBody,
  type TestUser,
} from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';
import { expectError, UUID, ISO_UTC, UNKNOWN_ID } from './helpers/expect';

let svc: TestService;
let organizer: TestUser;
let otherOrganizer: TestUser;
let admin: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  svc = await startTestService();
  [organizer, otherOrganizer, admin, buyer] = await Promise.all([
    createUser(svc, 'ORGANIZADOR'),
    createUser(svc, 'ORGANIZADOR'),
    createUser(svc, 'ADMIN'),
    createUser(svc, 'COMPRADOR'),
  ]);
});
afterAll(() => svc.close());

const pastDate = () => new Date(Date.now() - 86_400_000).toISOString();

function expectValidationError(res: Response, paths: string[] = []) {
  expectError(res, 400, 'VALIDATION_ERROR');
  const details = res.body.error.details as { path: unknown }[];
  expect(Array.isArray(details)).toBe(true);
  expect(details.length).toBeGreaterThan(0);
  for (const d of details) expect(typeof d.path).toBe('string');
  expect(details.map((d) => d.path)).toEqual(expect.arrayContaining(paths));
}

const postEvent = (user: TestUser | undefined, body: object) => {
  const req = svc.api().post('/api/events');
  return (user ? req.set(user.auth) : req).send(body);
};
const putEvent = (user: TestUser, id: string, body: object) =>
  svc.api().put(`/api/events/${id}`).set(user.auth).send(body);
const getEvent = (id: string) => svc.api().get(`/api/events/${id}`);
const search = (query: Record<string, string | number>) => svc.api().get('/api/events/search').query(query);

/** Ids returned by a search (all on one page), to compare with the test's own events. */
async function searchIds(query: Record<string, string>): Promise<string[]> {
  const res = await search({ limit: 100, ...query });
  expect(res.status).toBe(200);
  expect(res.body.total).toBeLessThanOrEqual(100);
  return (res.body.data as EventBody[]).map((e) => e.id);
}

/** Creates events (as the organizer) that all carry `marker` in their name, so `q=marker` selects exactly them. */
const eventWith = (marker: string, overrides: Record<string, unknown> = {}, categorias?: CategorySpec[]) =>
  createEvent(svc, organizer, { nombre: `${marker} ${unique('ev')}`, ...overrides }, categorias);

/** Buys every ticket of the event's first category, as a buyer would. */
async function sellOut(event: EventBody) {
  const category = event.categorias[0]!;
  const res = await svc
    .api()
    .post('/api/orders')
    .set(buyer.auth)
    .send({ eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: category.cantidadTotal }] });
  expect(res.status).toBe(201);
}

const sortedIds = (...events: EventBody[]) => events.map((e) => e.id).sort();

describe('POST /api/events', () => {
  it('creates the event as the calling organizer and answers 201 with the full event shape', async () => {
    const body = eventBody({ precioBase: 49.99, capacidadTotal: 500, descripcion: 'Noche de rock' }, [
      { nombre: 'VIP', precio: 150, cantidadTotal: 100, beneficios: ['Meet & greet', 'Parking'] },
      { nombre: 'General', precio: 49.99, cantidadTotal: 300 },
    ]);
    const res = await postEvent(organizer, body);

    expect(res.status).toBe(201);
    const id = res.body.id;
    // Category order has its own test below; here only the shape counts.
    const byName = (a: { nombre: string }, b: { nombre: string }) => a.nombre.localeCompare(b.nombre);
    expect({ ...res.body, categorias: [...res.body.categorias].sort(byName) }).toEqual({
      id: expect.stringMatching(UUID),
      nombre: body.nombre,
      descripcion: 'Noche de rock',
      fecha: body.fecha,
      ubicacion: body.ubicacion,
      capacidadTotal: 500,
      precioBase: 49.99,
      organizadorId: organizer.id,
      maxPorComprador: null,
      colaVirtual: false,
      categorias: [
        {
          id: expect.stringMatching(UUID),
          eventoId: id,
          nombre: 'General',
          precio: 49.99,
          cantidadTotal: 300,
          disponible: 300,
          beneficios: [],
          ventaInicio: null,
          ventaFin: null,
        },
        {
          id: expect.stringMatching(UUID),
          eventoId: id,
          nombre: 'VIP',
          precio: 150,
          cantidadTotal: 100,
          disponible: 100,
          beneficios: ['Meet & greet', 'Parking'],
          ventaInicio: null,
          ventaFin: null,
        },
      ],
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
    });
  });

  it('keeps the categories in the order they were given', async () => {
    const names = ['Platea', 'Anfiteatro', 'VIP', 'General', 'Palco'];
    const res = await postEvent(
      organizer,
      eventBody(
        {},
        names.map((nombre) => ({ nombre, cantidadTotal: 10 })),
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body.categorias.map((c: { nombre: string }) => c.nombre)).toEqual(names);
    expect((await getEvent(res.body.id)).body.categorias.map((c: { nombre: string }) => c.nombre)).toEqual(names);
  });

  it('serialises money as JSON numbers, not strings', async () => {
    const res = await postEvent(organizer, eventBody({ precioBase: 0.1 }, [{ precio: 19.95 }]));
    expect(res.status).toBe(201);
    expect(res.text).toContain('"precioBase":0.1');
    expect(res.text).toContain('"precio":19.95');
  });

  it('answers the date in UTC whatever offset the client sent', async () => {
    const res = await postEvent(organizer, eventBody({ fecha: '2031-06-01T22:00:00+02:00' }));
    expect(res.status).toBe(201);
    expect(res.body.fecha).toBe('2031-06-01T20:00:00.000Z');
  });

  it('makes categorias optional', async () => {
    const { categorias: _omitted, ...body } = eventBody();
    const res = await postEvent(organizer, body);
    expect(res.status).toBe(201);
    expect(res.body.categorias).toEqual([]);
  });

  it('lets an ADMIN create an event, owned by the admin', async () => {
    const res = await postEvent(admin, eventBody());
    expect(res.status).toBe(201);
    expect(res.body.organizadorId).toBe(admin.id);
  });

  it('ignores an organizadorId in the body: the caller is the organizer', async () => {
    const res = await postEvent(organizer, eventBody({ organizadorId: otherOrganizer.id }));
    expect(res.status).toBe(201);
    expect(res.body.organizadorId).toBe(organizer.id);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    expectError(await postEvent(buyer, eventBody()), 403, 'FORBIDDEN');
  });

  it('requires a token: 401 UNAUTHORIZED', async () => {
    expectError(await postEvent(undefined, eventBody()), 401, 'UNAUTHORIZED');
  });

  it('answers 409 CAPACITY_EXCEEDED when the categories hold more than the capacity, creating nothing', async () => {
    const body = eventBody({ capacidadTotal: 150 }, [{ cantidadTotal: 100 }, { cantidadTotal: 51 }]);
    expectError(await postEvent(organizer, body), 409, 'CAPACITY_EXCEEDED');
    expect(await searchIds({ q: body.nombre })).toEqual([]);
  });

  it('accepts categories that exactly fill the capacity', async () => {
    const res = await postEvent(
      organizer,
      eventBody({ capacidadTotal: 150 }, [{ cantidadTotal: 100 }, { cantidadTotal: 50 }]),
    );
    expect(res.status).toBe(201);
  });

  describe('validation', () => {
    it.each<[string, () => object, string]>([
      ['a fecha in the past', () => eventBody({ fecha: pastDate() }), 'fecha'],
      ['a fecha that is not a date', () => eventBody({ fecha: 'next friday' }), 'fecha'],
      ['an impossible fecha', () => eventBody({ fecha: '2031-13-45T20:00:00Z' }), 'fecha'],
      ['a precioBase with 3 decimals', () => eventBody({ precioBase: 10.999 }), 'precioBase'],
      ['a negative precioBase', () => eventBody({ precioBase: -1 }), 'precioBase'],
      ['a category precio with 3 decimals', () => eventBody({}, [{ precio: 49.999 }]), 'categorias.0.precio'],
      ['a category cantidadTotal of 0', () => eventBody({}, [{}, { cantidadTotal: 0 }]), 'categorias.1.cantidadTotal'],
      ['a category cantidadTotal of 1.5', () => eventBody({}, [{ cantidadTotal: 1.5 }]), 'categorias.0.cantidadTotal'],
      ['a capacidadTotal of 0', () => eventBody({ capacidadTotal: 0 }, []), 'capacidadTotal'],
      ['a missing nombre', () => eventBody({ nombre: undefined }), 'nombre'],
      ['a numeric ubicacion', () => eventBody({ ubicacion: 7 }), 'ubicacion'],
    ])('rejects %s with 400 VALIDATION_ERROR', async (_label, body, path) => {
      expectValidationError(await postEvent(organizer, body()), [path]);
    });
  });
});

describe('GET /api/events/:id', () => {
  it('answers 200 with the event, categories included', async () => {
    const created = await createEvent(svc, organizer);
    const res = await getEvent(created.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('answers 404 NOT_FOUND for an unknown id', async () => {
    expectError(await getEvent(UNKNOWN_ID), 404, 'NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for an id that is not a UUID', async () => {
    expectError(await getEvent('not-a-uuid'), 404, 'NOT_FOUND');
    expectError(await getEvent('12345'), 404, 'NOT_FOUND');
  });
});

describe('GET /api/events', () => {
  beforeAll(async () => {
    // Enough events for two pages of two. Dated minutes from now, they sort ahead of what other
    // test files create concurrently (30 days ahead), so those inserts cannot shift the pages.
    for (let i = 1; i <= 3; i++) await createEvent(svc, organizer, { fecha: futureDate(i / 1440) });
  });

  it('answers the list shape with page 1 and limit 20 by default', async () => {
    const res = await svc.api().get('/api/events');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(res.body.page).toBe(1);
    expect(res.body.limit).toBe(20);
    expect(res.body.total).toBeGreaterThanOrEqual(3);
    expect(res.body.data.length).toBeGreaterThanOrEqual(3);
    expect(res.body.data.length).toBeLessThanOrEqual(20);
    for (const e of res.body.data)
      expect(e).toEqual(expect.objectContaining({ id: expect.any(String), categorias: expect.any(Array) }));
  });

  it('lists soonest first', async () => {
    const res = await svc.api().get('/api/events').query({ limit: 100 });
    const dates = (res.body.data as EventBody[]).map((e) => Date.parse(e.fecha));
    expect(dates.length).toBeGreaterThanOrEqual(3);
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  it('pages with page and limit, without overlap and in order across pages', async () => {
    const first = await svc.api().get('/api/events').query({ page: 1, limit: 2 });
    const second = await svc.api().get('/api/events').query({ page: 2, limit: 2 });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toEqual(expect.objectContaining({ page: 1, limit: 2 }));
    expect(second.body).toEqual(expect.objectContaining({ page: 2, limit: 2 }));
    expect(first.body.data).toHaveLength(2);
    expect(second.body.data.length).toBeGreaterThanOrEqual(1);
    const firstIds = (first.body.data as EventBody[]).map((e) => e.id);
    for (const e of second.body.data as EventBody[]) expect(firstIds).not.toContain(e.id);
    expect(Date.parse(first.body.data[1].fecha)).toBeLessThanOrEqual(Date.parse(second.body.data[0].fecha));
  });

  it('answers an empty page beyond the end, with the total', async () => {
    const res = await svc.api().get('/api/events').query({ page: 1_000_000, limit: 100 });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.total).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['limit=0', { limit: 0 }],
    ['limit=101', { limit: 101 }],
    ['page=0', { page: 0 }],
    ['page=abc', { page: 'abc' }],
    ['limit=2.5', { limit: 2.5 }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_label, query) => {
    expectValidationError(await svc.api().get('/api/events').query(query));
  });
});

describe('GET /api/events/search', () => {
  it('answers the list shape and paginates', async () => {
    const marker = unique('paged');
    const events = [];
    for (let day = 1; day <= 3; day++) events.push(await eventWith(marker, { fecha: futureDate(day) }));

    const first = await search({ q: marker, limit: 2, page: 1 });
    const second = await search({ q: marker, limit: 2, page: 2 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ data: expect.any(Array), page: 1, limit: 2, total: 3 });
    expect(first.body.data.map((e: EventBody) => e.id)).toEqual([events[0]!.id, events[1]!.id]);
    expect(second.body.data.map((e: EventBody) => e.id)).toEqual([events[2]!.id]);
  });

  it('orders results soonest first', async () => {
    const marker = unique('order');
    const late = await eventWith(marker, { fecha: futureDate(90) });
    const early = await eventWith(marker, { fecha: futureDate(10) });
    const middle = await eventWith(marker, { fecha: futureDate(40) });
    expect(await searchIds({ q: marker })).toEqual([early.id, middle.id, late.id]);
  });

  describe('fecha', () => {
    let marker: string;
    let lateOn15: EventBody;
    let startOf15: EventBody;
    let earlyOn16: EventBody;
    let offsetOn16: EventBody;

    beforeAll(async () => {
      marker = unique('day');
      lateOn15 = await eventWith(marker, { fecha: '2031-03-15T23:30:00Z' });
      startOf15 = await eventWith(marker, { fecha: '2031-03-15T00:00:00Z' });
      earlyOn16 = await eventWith(marker, { fecha: '2031-03-16T00:30:00Z' });
      // 23:30 in UTC-5 is 04:30 UTC of the next day.
      offsetOn16 = await eventWith(marker, { fecha: '2031-03-15T23:30:00-05:00' });
    });

    it('matches the events of that UTC day only', async () => {
      expect((await searchIds({ q: marker, fecha: '2031-03-15' })).sort()).toEqual(sortedIds(lateOn15, startOf15));
      expect((await searchIds({ q: marker, fecha: '2031-03-16' })).sort()).toEqual(sortedIds(earlyOn16, offsetOn16));
      expect(await searchIds({ q: marker, fecha: '2031-03-14' })).toEqual([]);
    });

    it.each(['2030-02-30', '2031-13-01', '15-03-2031', '2031-3-5', 'tomorrow'])(
      'rejects fecha=%s with 400 VALIDATION_ERROR',
      async (fecha) => {
        expectValidationError(await search({ fecha }), ['fecha']);
      },
    );
  });

  describe('ubicacion', () => {
    let marker: string;
    let malagaCentro: EventBody;
    let malagaPlain: EventBody;
    let madrid: EventBody;

    beforeAll(async () => {
      marker = unique('place');
      malagaCentro = await eventWith(marker, { ubicacion: 'Málaga Centro' });
      malagaPlain = await eventWith(marker, { ubicacion: 'Puerto de Malaga' });
      madrid = await eventWith(marker, { ubicacion: 'Madrid Arena' });
    });

    it.each(['malaga', 'MÁLAGA', 'Málaga', 'MALAGA'])(
      'finds accented and unaccented places with ubicacion=%s',
      async (ubicacion) => {
        expect((await searchIds({ q: marker, ubicacion })).sort()).toEqual(sortedIds(malagaCentro, malagaPlain));
      },
    );

    it('matches a substring in the middle of the location', async () => {
      expect(await searchIds({ q: marker, ubicacion: 'laga cen' })).toEqual([malagaCentro.id]);
      expect(await searchIds({ q: marker, ubicacion: 'arena' })).toEqual([madrid.id]);
    });

    it('treats % and _ in ubicacion as literal characters', async () => {
      const literal = unique('literal');
      const percent = await eventWith(literal, { ubicacion: 'Sala 100% Rock' });
      const underscore = await eventWith(literal, { ubicacion: 'Sala_B' });
      await eventWith(literal, { ubicacion: 'Sala 100 Rock' });
      await eventWith(literal, { ubicacion: 'SalaXB' });

      expect(await searchIds({ q: literal, ubicacion: '%' })).toEqual([percent.id]);
      expect(await searchIds({ q: literal, ubicacion: '100%' })).toEqual([percent.id]);
      expect(await searchIds({ q: literal, ubicacion: 'Sala_B' })).toEqual([underscore.id]);
    });
  });

  it('matches q in the name or in the description', async () => {
    const marker = unique('text');
    const inName = await createEvent(svc, organizer, { nombre: `Concierto ${marker}`, descripcion: 'nothing here' });
    const inDescription = await createEvent(svc, organizer, { descripcion: `Incluye ${marker.toUpperCase()} gratis` });
    expect((await searchIds({ q: marker })).sort()).toEqual(sortedIds(inName, inDescription));
  });

  it('with disponible=true leaves out events with nothing buyable', async () => {
    const marker = unique('stock');
    const soldOut = await eventWith(marker, {}, [{ cantidadTotal: 10 }]);
    const onSale = await eventWith(marker, {}, [{ cantidadTotal: 10 }]);
    const withoutCategories = await eventWith(marker, {}, []);
    expect((await searchIds({ q: marker })).sort()).toEqual(sortedIds(soldOut, onSale, withoutCategories));

    await sellOut(soldOut);

    expect((await getEvent(soldOut.id)).body.categorias[0].disponible).toBe(0);
    expect(await searchIds({ q: marker, disponible: 'true' })).toEqual([onSale.id]);
  });

  it('combines filters with AND', async () => {
    const marker = unique('and');
    const match = await eventWith(marker, { ubicacion: 'Málaga', fecha: '2031-04-10T20:00:00Z' });
    await eventWith(marker, { ubicacion: 'Málaga', fecha: '2031-04-11T20:00:00Z' });
    await eventWith(marker, { ubicacion: 'Madrid', fecha: '2031-04-10T20:00:00Z' });
    const soldOut = await eventWith(marker, { ubicacion: 'Málaga', fecha: '2031-04-10T21:00:00Z' }, [
      { cantidadTotal: 5 },
    ]);
    await sellOut(soldOut);

    expect((await searchIds({ q: marker, ubicacion: 'malaga', fecha: '2031-04-10' })).sort()).toEqual(
      sortedIds(match, soldOut),
    );
    expect(await searchIds({ q: marker, ubicacion: 'malaga', fecha: '2031-04-10', disponible: 'true' })).toEqual([
      match.id,
    ]);
  });

  it.each([
    ['limit=0', { limit: 0 }],
    ['limit=101', { limit: 101 }],
    ['page=0', { page: 0 }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_label, query) => {
    expectValidationError(await search(query));
  });
});

describe('PUT /api/events/:id', () => {
  let event: EventBody;
  beforeEach(async () => {
    event = await createEvent(svc, organizer, { capacidadTotal: 500 }, [
      { cantidadTotal: 200 },
      { cantidadTotal: 100 },
    ]);
  });

  it('applies a partial update and leaves the other fields alone', async () => {
    const res = await putEvent(organizer, event.id, { nombre: 'Renamed', precioBase: 12.5 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...event,
      nombre: 'Renamed',
      precioBase: 12.5,
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect((await getEvent(event.id)).body).toEqual(res.body);
  });

  it('updates fecha, ubicacion, descripcion and capacidadTotal', async () => {
    const patch = { fecha: '2032-01-02T03:04:05Z', ubicacion: 'Sevilla', descripcion: 'Nueva', capacidadTotal: 900 };
    const res = await putEvent(organizer, event.id, patch);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ ...patch, fecha: '2032-01-02T03:04:05.000Z' }));
  });

  it('forbids another organizer with 403 FORBIDDEN and changes nothing', async () => {
    expectError(await putEvent(otherOrganizer, event.id, { nombre: 'Hijacked' }), 403, 'FORBIDDEN');
    expect((await getEvent(event.id)).body.nombre).toBe(event.nombre);
  });

  it('lets an ADMIN update any event', async () => {
    const res = await putEvent(admin, event.id, { nombre: 'By admin' });
    expect(res.status).toBe(200);
    expect(res.body.nombre).toBe('By admin');
    expect(res.body.organizadorId).toBe(organizer.id);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    expectError(await putEvent(buyer, event.id, { nombre: 'Buyer edit' }), 403, 'FORBIDDEN');
  });

  it('requires a token: 401 UNAUTHORIZED', async () => {
    expectError(await svc.api().put(`/api/events/${event.id}`).send({ nombre: 'x' }), 401, 'UNAUTHORIZED');
  });

  it('answers 404 NOT_FOUND for an unknown event', async () => {
    expectError(await putEvent(organizer, UNKNOWN_ID, { nombre: 'Ghost' }), 404, 'NOT_FOUND');
  });

  it.each([
    ['organizadorId', () => ({ organizadorId: otherOrganizer.id })],
    ['categorias', () => ({ categorias: [] })],
    ['id', () => ({ id: UNKNOWN_ID })],
  ])('rejects the unknown field %s with 400 VALIDATION_ERROR', async (_field, patch) => {
    expectValidationError(await putEvent(organizer, event.id, patch()));
    expect((await getEvent(event.id)).body).toEqual(event);
  });

  it('rejects an empty body with 400 VALIDATION_ERROR', async () => {
    expectValidationError(await putEvent(organizer, event.id, {}));
  });

  it('rejects a fecha in the past with 400 VALIDATION_ERROR', async () => {
    expectValidationError(await putEvent(organizer, event.id, { fecha: pastDate() }), ['fecha']);
  });

  it('rejects a precioBase with 3 decimals with 400 VALIDATION_ERROR', async () => {
    expectValidationError(await putEvent(organizer, event.id, { precioBase: 1.005 }), ['precioBase']);
  });

  it('answers 409 CAPACITY_EXCEEDED when capacidadTotal goes below the sum of the categories', async () => {
    expectError(await putEvent(organizer, event.id, { capacidadTotal: 299 }), 409, 'CAPACITY_EXCEEDED');
    expect((await getEvent(event.id)).body.capacidadTotal).toBe(500);
  });

  it('accepts a capacidadTotal equal to the sum of the categories', async () => {
    const res = await putEvent(organizer, event.id, { capacidadTotal: 300 });
    expect(res.status).toBe(200);
    expect(res.body.capacidadTotal).toBe(300);
  });
});

describe('DELETE /api/events/:id', () => {
  const remove = (user: TestUser, id: string) => svc.api().delete(`/api/events/${id}`).set(user.auth);

  it('lets an ADMIN delete: 204, then the event and its categories are gone', async () => {
    const event = await createEvent(svc, organizer);
    const res = await remove(admin, event.id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectError(await getEvent(event.id), 404, 'NOT_FOUND');
    expectError(await svc.api().get(`/api/events/${event.id}/categories`), 404, 'NOT_FOUND');
    const stock = await svc.database.db
      .selectFrom('category_stock')
      .select('category_id')
      .where(
        'category_id',
        'in',
        event.categorias.map((c) => c.id),
      )
      .execute();
    expect(stock).toEqual([]);
  });

  it('forbids the organizer, even of their own event, with 403 FORBIDDEN', async () => {
    const event = await createEvent(svc, organizer);
    expectError(await remove(organizer, event.id), 403, 'FORBIDDEN');
    expect((await getEvent(event.id)).status).toBe(200);
  });

  it('forbids a COMPRADOR with 403 FORBIDDEN', async () => {
    const event = await createEvent(svc, organizer);
    expectError(await remove(buyer, event.id), 403, 'FORBIDDEN');
  });

  it('answers 404 NOT_FOUND for an unknown event', async () => {
    expectError(await remove(admin, UNKNOWN_ID), 404, 'NOT_FOUND');
  });

  it('requires a token: 401 UNAUTHORIZED', async () => {
    const event = await createEvent(svc, organizer);
    expectError(await svc.api().delete(`/api/events/${event.id}`), 401, 'UNAUTHORIZED');
  });
});
