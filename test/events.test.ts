import { createEvent, eventBody, type EventBody, type TestUser } from './helpers/factories';
import { getEvent } from './helpers/api';
import { expectError, expectValidationError, UUID, ISO_UTC, UNKNOWN_ID } from './helpers/expect';
import {
  svc,
  organizer,
  otherOrganizer,
  admin,
  buyer,
  pastDate,
  postEvent,
  putEvent,
  searchIds,
  useEventsSuite,
} from './helpers/events-suite';

useEventsSuite();

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
    expect((await getEvent(svc, res.body.id)).body.categorias.map((c: { nombre: string }) => c.nombre)).toEqual(names);
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
    const res = await getEvent(svc, created.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('answers 404 NOT_FOUND for an unknown id', async () => {
    expectError(await getEvent(svc, UNKNOWN_ID), 404, 'NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for an id that is not a UUID', async () => {
    expectError(await getEvent(svc, 'not-a-uuid'), 404, 'NOT_FOUND');
    expectError(await getEvent(svc, '12345'), 404, 'NOT_FOUND');
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
    expect((await getEvent(svc, event.id)).body).toEqual(res.body);
  });

  it('updates fecha, ubicacion, descripcion and capacidadTotal', async () => {
    const patch = { fecha: '2032-01-02T03:04:05Z', ubicacion: 'Sevilla', descripcion: 'Nueva', capacidadTotal: 900 };
    const res = await putEvent(organizer, event.id, patch);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ ...patch, fecha: '2032-01-02T03:04:05.000Z' }));
  });

  it('forbids another organizer with 403 FORBIDDEN and changes nothing', async () => {
    expectError(await putEvent(otherOrganizer, event.id, { nombre: 'Hijacked' }), 403, 'FORBIDDEN');
    expect((await getEvent(svc, event.id)).body.nombre).toBe(event.nombre);
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
    expect((await getEvent(svc, event.id)).body).toEqual(event);
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
    expect((await getEvent(svc, event.id)).body.capacidadTotal).toBe(500);
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
    expectError(await getEvent(svc, event.id), 404, 'NOT_FOUND');
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
    expect((await getEvent(svc, event.id)).status).toBe(200);
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
