import { sql } from 'kysely';
import {
  createEvent,
  createUser,
  createUsers,
  type EventBody,
  type OrderBody,
  type TestUser,
} from './helpers/factories';
import { cancel, confirm, line, reserve, sales, stats, type SalesDto, type StatsDto } from './helpers/api';
import type { SalesCategoryDto } from '../src/modules/admin/admin.wire';
import { startTestService, type TestService } from './helpers/service';
import { expectError, UNKNOWN_ID } from './helpers/expect';

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

const STATUSES = ['PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED', 'EXPIRED'] as const;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const get = (user: TestUser | undefined, path: string) => {
  const req = svc.api().get(path);
  return user ? req.set(user.auth) : req;
};

async function adminOrders(query: Record<string, string | number>) {
  const res = await get(admin, '/api/admin/orders').query(query);
  expect(res.status).toBe(200);
  return res.body as { data: OrderBody[]; page: number; limit: number; total: number };
}

const cents = (amount: number) => Math.round(amount * 100);
const hasAtMostTwoDecimals = (amount: number) => Math.abs(cents(amount) - amount * 100) < 1e-6;

// ---------------------------------------------------------------------------------------------
// GET /api/admin/orders
// ---------------------------------------------------------------------------------------------

describe('GET /api/admin/orders', () => {
  let e1: EventBody;
  let e2: EventBody;
  let u1: TestUser;
  let u2: TestUser;
  let u1AtE1: OrderBody; // RESERVED
  let u1AtE2: OrderBody; // CONFIRMED
  let u2AtE1: OrderBody; // CANCELLED
  let u1AtE1Again: OrderBody; // CONFIRMED

  beforeAll(async () => {
    [e1, e2, u1, u2] = await Promise.all([
      createEvent(svc, organizer),
      createEvent(svc, organizer),
      createUser(svc, 'COMPRADOR'),
      createUser(svc, 'COMPRADOR'),
    ]);
    u1AtE1 = await reserve(svc, u1, e1.id, [line(e1.categorias[0]!, 1)]);
    u1AtE2 = await reserve(svc, u1, e2.id, [line(e2.categorias[0]!, 2)]);
    await confirm(svc, u1, u1AtE2.id);
    u2AtE1 = await reserve(svc, u2, e1.id, [line(e1.categorias[1]!, 1)]);
    await cancel(svc, u2, u2AtE1.id);
    u1AtE1Again = await reserve(svc, u1, e1.id, [line(e1.categorias[1]!, 3)]);
    await confirm(svc, u1, u1AtE1Again.id);
  });

  const ids = (page: { data: OrderBody[] }) => page.data.map((o) => o.id);

  it('forbids organizers and buyers (403) and requires a token (401)', async () => {
    expectError(await get(organizer, '/api/admin/orders'), 403, 'FORBIDDEN');
    expectError(await get(buyer, '/api/admin/orders'), 403, 'FORBIDDEN');
    expectError(await get(undefined, '/api/admin/orders'), 401, 'UNAUTHORIZED');
  });

  it('lists orders of every user in the list shape, newest first', async () => {
    const page = await adminOrders({ limit: 100 });
    expect(Object.keys(page).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(page.page).toBe(1);
    expect(page.limit).toBe(100);
    expect(page.total).toBeGreaterThanOrEqual(4);
    const created = page.data.map((o) => Date.parse((o as unknown as { createdAt: string }).createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(page.data[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        usuarioId: expect.any(String),
        estado: expect.any(String),
        tickets: expect.any(Array),
      }),
    );
  });

  it('filters by eventoId', async () => {
    const page = await adminOrders({ eventoId: e1.id });
    expect(page.total).toBe(3);
    expect(ids(page)).toEqual([u1AtE1Again.id, u2AtE1.id, u1AtE1.id]);
    expect(page.data.every((o) => o.eventoId === e1.id)).toBe(true);
  });

  it('filters by usuarioId', async () => {
    const page = await adminOrders({ usuarioId: u1.id });
    expect(page.total).toBe(3);
    expect(ids(page)).toEqual([u1AtE1Again.id, u1AtE2.id, u1AtE1.id]);
    expect(page.data.every((o) => o.usuarioId === u1.id)).toBe(true);
  });

  it('filters by estado', async () => {
    const confirmed = await adminOrders({ estado: 'CONFIRMED', limit: 100 });
    expect(confirmed.total).toBeGreaterThanOrEqual(2);
    expect(confirmed.data.length).toBeGreaterThan(0);
    expect(confirmed.data.every((o) => o.estado === 'CONFIRMED')).toBe(true);

    const cancelled = await adminOrders({ estado: 'CANCELLED', limit: 100 });
    expect(cancelled.data.every((o) => o.estado === 'CANCELLED')).toBe(true);
    const reserved = await adminOrders({ estado: 'RESERVED', limit: 100 });
    expect(reserved.data.every((o) => o.estado === 'RESERVED')).toBe(true);
  });

  it('combines filters with AND', async () => {
    expect(ids(await adminOrders({ usuarioId: u1.id, estado: 'CONFIRMED' }))).toEqual([u1AtE1Again.id, u1AtE2.id]);
    expect(ids(await adminOrders({ eventoId: e1.id, estado: 'CONFIRMED' }))).toEqual([u1AtE1Again.id]);
    expect(ids(await adminOrders({ eventoId: e1.id, estado: 'CANCELLED' }))).toEqual([u2AtE1.id]);
    expect(ids(await adminOrders({ eventoId: e1.id, usuarioId: u2.id }))).toEqual([u2AtE1.id]);
    expect(ids(await adminOrders({ eventoId: e2.id, usuarioId: u2.id }))).toEqual([]);
    expect(ids(await adminOrders({ eventoId: e2.id, estado: 'RESERVED' }))).toEqual([]);
  });

  it('answers an empty page for an unknown eventoId', async () => {
    expect(await adminOrders({ eventoId: UNKNOWN_ID })).toEqual({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('paginates', async () => {
    const first = await adminOrders({ usuarioId: u1.id, limit: 2, page: 1 });
    const second = await adminOrders({ usuarioId: u1.id, limit: 2, page: 2 });
    expect(first).toMatchObject({ page: 1, limit: 2, total: 3 });
    expect(second).toMatchObject({ page: 2, limit: 2, total: 3 });
    expect(ids(first)).toEqual([u1AtE1Again.id, u1AtE2.id]);
    expect(ids(second)).toEqual([u1AtE1.id]);
    expect(ids(await adminOrders({ usuarioId: u1.id, limit: 2, page: 3 }))).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['an unknown estado', { estado: 'PAID' }],
    ['a lower-case estado', { estado: 'confirmed' }],
    ['a non-uuid eventoId', { eventoId: 'abc' }],
    ['a non-uuid usuarioId', { usuarioId: '42' }],
    ['a limit over 100', { limit: '101' }],
    ['page 0', { page: '0' }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_label, query) => {
    const res = await get(admin, '/api/admin/orders').query(query);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(Array.isArray(res.body.error.details)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /api/admin/stats
// ---------------------------------------------------------------------------------------------

describe('GET /api/admin/stats', () => {
  it('forbids organizers and buyers (403) and requires a token (401)', async () => {
    expectError(await get(organizer, '/api/admin/stats'), 403, 'FORBIDDEN');
    expectError(await get(buyer, '/api/admin/stats'), 403, 'FORBIDDEN');
    expectError(await get(undefined, '/api/admin/stats'), 401, 'UNAUTHORIZED');
  });

  it('answers the contract shape with consistent totals', async () => {
    const s = await stats(svc, admin);
    expect(Object.keys(s).sort()).toEqual(['eventos', 'ingresos', 'ordenes', 'ticketsVendidos', 'usuarios']);
    expect(Object.keys(s.usuarios).sort()).toEqual(['porRol', 'total']);
    expect(Object.keys(s.usuarios.porRol).sort()).toEqual(['ADMIN', 'COMPRADOR', 'ORGANIZADOR']);
    expect(Object.keys(s.eventos).sort()).toEqual(['proximos', 'total']);
    expect(Object.keys(s.ordenes).sort()).toEqual(['porEstado', 'total']);
    expect(Object.keys(s.ordenes.porEstado).sort()).toEqual([...STATUSES].sort());

    for (const n of [s.usuarios.total, s.eventos.total, s.eventos.proximos, s.ordenes.total, s.ticketsVendidos]) {
      expect(Number.isInteger(n)).toBe(true);
    }
    expect(typeof s.ingresos).toBe('number');
    expect(hasAtMostTwoDecimals(s.ingresos)).toBe(true);
    // This file's own users are in there.
    expect(s.usuarios.porRol.ADMIN).toBeGreaterThanOrEqual(1);
    expect(s.usuarios.porRol.ORGANIZADOR).toBeGreaterThanOrEqual(2);
    expect(s.usuarios.porRol.COMPRADOR).toBeGreaterThanOrEqual(1);
    expect(s.usuarios.total).toBe(Object.values(s.usuarios.porRol).reduce((a, b) => a + b, 0));
    expect(s.ordenes.total).toBe(Object.values(s.ordenes.porEstado).reduce((a, b) => a + b, 0));
    expect(s.eventos.proximos).toBeLessThanOrEqual(s.eventos.total);
  });

  it('grows by exactly one confirmed purchase: tickets, money and CONFIRMED count', async () => {
    const event = await createEvent(svc, organizer, {}, [
      { nombre: 'Normal', precio: 12.5, cantidadTotal: 50 },
      { nombre: 'Simbolica', precio: 0.1, cantidadTotal: 50 },
    ]);
    const [normal, simbolica] = [event.categorias[0]!, event.categorias[1]!];

    // Other test files share the database and may change orders at the same moment; an attempt
    // counts only when, by porEstado, nothing but our purchase changed between the two reads.
    const quiet = (before: StatsDto, after: StatsDto) =>
      after.ordenes.total - before.ordenes.total === 1 &&
      STATUSES.every(
        (st) => after.ordenes.porEstado[st]! - before.ordenes.porEstado[st]! === (st === 'CONFIRMED' ? 1 : 0),
      );
    let measured: { before: StatsDto; after: StatsDto } | undefined;
    const attempts: { before: StatsDto; after: StatsDto }[] = [];
    for (let attempt = 0; attempt < 8 && !measured; attempt++) {
      const before = await stats(svc, admin);
      const order = await reserve(svc, buyer, event.id, [line(normal, 3), line(simbolica, 3)]);
      await confirm(svc, buyer, order.id);
      const after = await stats(svc, admin);
      attempts.push({ before, after });
      if (quiet(before, after)) measured = { before, after };
    }
    if (!measured) throw new Error(`no quiet measurement in 8 attempts: ${JSON.stringify(attempts.at(-1))}`);

    const { before, after } = measured;
    expect(after.ticketsVendidos - before.ticketsVendidos).toBe(6);
    expect(cents(after.ingresos) - cents(before.ingresos)).toBe(3780);
    expect(hasAtMostTwoDecimals(after.ingresos)).toBe(true);
    expect(after.ordenes.porEstado.CONFIRMED! - before.ordenes.porEstado.CONFIRMED!).toBe(1);
  });

  it('counts a reservation as RESERVED, and neither as sold nor as money', async () => {
    const event = await createEvent(svc, organizer, {}, [{ precio: 99, cantidadTotal: 50 }]);
    for (let attempt = 0; attempt < 8; attempt++) {
      const before = await stats(svc, admin);
      await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 2)]);
      const after = await stats(svc, admin);
      const changed = STATUSES.filter((st) => after.ordenes.porEstado[st] !== before.ordenes.porEstado[st]);
      if (after.ordenes.total - before.ordenes.total !== 1 || changed.length !== 1) continue; // someone else moved
      expect(changed).toEqual(['RESERVED']);
      expect(after.ordenes.porEstado.RESERVED! - before.ordenes.porEstado.RESERVED!).toBe(1);
      expect(after.ticketsVendidos).toBe(before.ticketsVendidos);
      expect(after.ingresos).toBe(before.ingresos);
      return;
    }
    throw new Error('no quiet measurement in 8 attempts');
  });
});

// ---------------------------------------------------------------------------------------------
// GET /api/admin/events/:id/sales
// ---------------------------------------------------------------------------------------------

describe('GET /api/admin/events/:id/sales', () => {
  const expectInvariant = (report: SalesDto) => {
    for (const c of report.categorias) {
      expect({ id: c.categoriaId, sum: c.vendidas + c.reservadas + c.disponibles }).toEqual({
        id: c.categoriaId,
        sum: c.cantidadTotal,
      });
    }
  };

  it('answers the contract shape; an event without orders has everything available', async () => {
    const event = await createEvent(svc, organizer, {}, [
      { nombre: 'A', precio: 10, cantidadTotal: 30 },
      { nombre: 'B', precio: 20, cantidadTotal: 70 },
    ]);
    const report = await sales(svc, admin, event.id);
    expect(Object.keys(report).sort()).toEqual(['categorias', 'eventoId', 'totales']);
    expect(report.eventoId).toBe(event.id);
    const byId = (a: SalesCategoryDto, b: SalesCategoryDto) => a.categoriaId.localeCompare(b.categoriaId);
    expect([...report.categorias].sort(byId)).toEqual(
      [
        {
          categoriaId: event.categorias[0]!.id,
          nombre: 'A',
          cantidadTotal: 30,
          vendidas: 0,
          reservadas: 0,
          disponibles: 30,
          ingresos: 0,
        },
        {
          categoriaId: event.categorias[1]!.id,
          nombre: 'B',
          cantidadTotal: 70,
          vendidas: 0,
          reservadas: 0,
          disponibles: 70,
          ingresos: 0,
        },
      ].sort(byId),
    );
    expect(report.totales).toEqual({ vendidas: 0, reservadas: 0, disponibles: 100, ingresos: 0 });
  });

  it('lets an ADMIN and the event organizer read it; 403 for another organizer and for a buyer; 401 without token', async () => {
    const event = await createEvent(svc, organizer);
    expect((await get(admin, `/api/admin/events/${event.id}/sales`)).status).toBe(200);
    expect((await get(organizer, `/api/admin/events/${event.id}/sales`)).status).toBe(200);
    expectError(await get(otherOrganizer, `/api/admin/events/${event.id}/sales`), 403, 'FORBIDDEN');
    expectError(await get(buyer, `/api/admin/events/${event.id}/sales`), 403, 'FORBIDDEN');
    expectError(await get(undefined, `/api/admin/events/${event.id}/sales`), 401, 'UNAUTHORIZED');
  });

  it('answers 404 for an unknown or non-uuid event', async () => {
    expectError(await get(admin, `/api/admin/events/${UNKNOWN_ID}/sales`), 404, 'NOT_FOUND');
    expectError(await get(organizer, `/api/admin/events/${UNKNOWN_ID}/sales`), 404, 'NOT_FOUND');
    expectError(await get(admin, '/api/admin/events/not-a-uuid/sales'), 404, 'NOT_FOUND');
  });

  it('counts exact money: 3 × 12.50 + 3 × 0.10 confirmed → 37.8', async () => {
    const event = await createEvent(svc, organizer, {}, [
      { nombre: 'Normal', precio: 12.5, cantidadTotal: 10 },
      { nombre: 'Simbolica', precio: 0.1, cantidadTotal: 10 },
    ]);
    const [normal, simbolica] = [event.categorias[0]!, event.categorias[1]!];
    await confirm(svc, buyer, (await reserve(svc, buyer, event.id, [line(normal, 3), line(simbolica, 3)])).id);

    const report = await sales(svc, admin, event.id);
    const byId = Object.fromEntries(report.categorias.map((c) => [c.categoriaId, c]));
    expect(byId[normal.id]).toMatchObject({ vendidas: 3, ingresos: 37.5 });
    expect(byId[simbolica.id]).toMatchObject({ vendidas: 3, ingresos: 0.3 });
    expect(report.totales).toEqual({ vendidas: 6, reservadas: 0, disponibles: 14, ingresos: 37.8 });
    expectInvariant(report);
  });

  it('reports vendidas, reservadas, disponibles and ingresos after confirmed, held, cancelled and expired orders', async () => {
    const event = await createEvent(svc, organizer, {}, [
      { nombre: 'A', precio: 12.5, cantidadTotal: 20 },
      { nombre: 'B', precio: 0.1, cantidadTotal: 10 },
      { nombre: 'C', precio: 30, cantidadTotal: 5 },
    ]);
    const [a, b, c] = [event.categorias[0]!, event.categorias[1]!, event.categorias[2]!];
    const other = await createUser(svc, 'COMPRADOR');

    await confirm(svc, buyer, (await reserve(svc, buyer, event.id, [line(a, 3), line(b, 3)])).id); // sold A3 B3
    await confirm(svc, other, (await reserve(svc, other, event.id, [line(c, 1)])).id); // sold C1
    await reserve(svc, other, event.id, [line(a, 2)]); // held A2
    await cancel(svc, other, (await reserve(svc, other, event.id, [line(b, 4)])).id); // nothing
    const soldThenCancelled = await reserve(svc, buyer, event.id, [line(c, 2)]);
    await confirm(svc, buyer, soldThenCancelled.id);
    await cancel(svc, buyer, soldThenCancelled.id); // nothing
    const expired = await reserve(svc, buyer, event.id, [line(a, 1)]);
    await sql`UPDATE orders SET expires_at = now() - interval '1 minute' WHERE id = ${expired.id}`.execute(
      svc.database.db,
    );
    await svc.expiryJob.runOnce(); // nothing

    const report = await sales(svc, organizer, event.id);
    const byId = Object.fromEntries(report.categorias.map((cat) => [cat.categoriaId, cat]));
    expect(report.categorias).toHaveLength(3);
    expect(byId[a.id]).toEqual({
      categoriaId: a.id,
      nombre: 'A',
      cantidadTotal: 20,
      vendidas: 3,
      reservadas: 2,
      disponibles: 15,
      ingresos: 37.5,
    });
    expect(byId[b.id]).toEqual({
      categoriaId: b.id,
      nombre: 'B',
      cantidadTotal: 10,
      vendidas: 3,
      reservadas: 0,
      disponibles: 7,
      ingresos: 0.3,
    });
    expect(byId[c.id]).toEqual({
      categoriaId: c.id,
      nombre: 'C',
      cantidadTotal: 5,
      vendidas: 1,
      reservadas: 0,
      disponibles: 4,
      ingresos: 30,
    });
    expect(report.totales).toEqual({ vendidas: 7, reservadas: 2, disponibles: 26, ingresos: 67.8 });
    expectInvariant(report);

    // The admin sees the same report, and disponibles matches what buyers see on the event.
    expect(await sales(svc, admin, event.id)).toEqual(report);
    const shown = (await svc.api().get(`/api/events/${event.id}`)).body as EventBody;
    for (const cat of shown.categorias) expect(byId[cat.id]!.disponibles).toBe(cat.disponible);
  });
});

describe('GET /api/admin/orders/:id/history', () => {
  it('tells support staff who moved the order from which state to which, and when', async () => {
    const who = buyer;
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 10 }]);
    const order = await svc
      .api()
      .post('/api/orders')
      .set(who.auth)
      .send({ eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] });
    await svc
      .api()
      .put(`/api/orders/${order.body.id}/confirm`)
      .set(who.auth)
      .send({ metodoPago: 'card', transactionId: `h-${order.body.id}` });
    await svc.api().put(`/api/orders/${order.body.id}/cancel`).set(admin.auth);

    const res = await svc.api().get(`/api/admin/orders/${order.body.id}/history`).set(admin.auth).expect(200);
    expect(res.body.orderId).toBe(order.body.id);
    expect(res.body.estadoActual).toBe('CANCELLED');
    expect(res.body.historial.map((h: any) => [h.desde, h.hasta, h.actorId])).toEqual([
      [null, 'RESERVED', who.id],
      ['RESERVED', 'CONFIRMED', who.id],
      ['CONFIRMED', 'CANCELLED', admin.id],
    ]);
    expect(res.body.historial[2].motivo).toBe('cancelled by administrator');

    expectError(await svc.api().get(`/api/admin/orders/${order.body.id}/history`).set(who.auth), 403, 'FORBIDDEN');
    expectError(
      await svc.api().get('/api/admin/orders/3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c/history').set(admin.auth),
      404,
      'NOT_FOUND',
    );
  });
});
