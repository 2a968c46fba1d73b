import { createEvent, futureDate, unique, type EventBody } from './helpers/factories';
import { getEvent } from './helpers/api';
import { expectValidationError } from './helpers/expect';
import {
  svc,
  organizer,
  search,
  searchIds,
  eventWith,
  sellOut,
  sortedIds,
  useEventsSuite,
} from './helpers/events-suite';

useEventsSuite();

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

    expect((await getEvent(svc, soldOut.id)).body.categorias[0].disponible).toBe(0);
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
