import jwt from 'jsonwebtoken';
import { sql } from 'kysely';
import { createEvent, createUser, createUsers, type TestUser } from './helpers/factories';
import { placeOrder } from './helpers/api';
import { call } from './helpers/http';
import { ledger } from './helpers/invariants';
import { startTestService, TEST_JWT_SECRET, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, request } from './helpers/sockets';
import { eventually, pause } from './helpers/wait';

let svc: TestService;
let organizer: TestUser;
let buyer: TestUser;
let admin: TestUser;

beforeAll(async () => {
  svc = await startTestService({ EXPIRY_INTERVAL_MS: '100', LOW_STOCK_THRESHOLD: '10%' });
  [organizer, buyer, admin] = await createUsers(svc, ['ORGANIZADOR', 'COMPRADOR', 'ADMIN']);
});
afterEach(() => closeAllSockets());
afterAll(() => svc.close());

async function dbStock(eventId: string, categoryId: string): Promise<number> {
  return (await ledger(svc.database.db, eventId)).find((r) => r.categoryId === categoryId)!.available;
}

describe('joining rooms', () => {
  it('lets anyone join an existing event and refuses unknown or malformed ids', async () => {
    const event = await createEvent(svc, organizer);
    const socket = await connect(svc.url);
    expect(await request(socket, 'join:event', { eventId: event.id })).toEqual({ ok: true });
    expect(await request(socket, 'leave:event', { eventId: event.id })).toEqual({ ok: true });
    const unknown = await request(socket, 'join:event', { eventId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const malformed = await request(socket, 'join:event', { eventId: 'nope' });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('lets a user join only their own room (admins any), and a refused join joins nothing', async () => {
    const anonymous = await connect(svc.url);
    expect(await request(anonymous, 'join:user', { userId: buyer.id })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });

    const other = await createUser(svc);
    const intruder = await connect(svc.url, other.token);
    expect(await request(intruder, 'join:user', { userId: buyer.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const adminSocket = await connect(svc.url, admin.token);
    expect(await request(adminSocket, 'join:user', { userId: buyer.id })).toEqual({ ok: true });
    const own = await connect(svc.url, buyer.token);
    expect(await request(own, 'join:user', { userId: buyer.id })).toEqual({ ok: true });

    const intruderSaw = collect(intruder, 'order:status-change');
    const adminSaw = collect(adminSocket, 'order:status-change');
    const ownSaw = collect(own, 'order:status-change');
    const event = await createEvent(svc, organizer);
    await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }],
    });
    await eventually(() => ownSaw.length === 1 && adminSaw.length === 1, 'status change for buyer and admin');
    await pause(200);
    expect(intruderSaw).toEqual([]);
  });

  it('refuses a forged token at the handshake and an expired one on join', async () => {
    const forged = jwt.sign({ role: 'ADMIN' }, 'another-secret-another-secret-another', { subject: buyer.id });
    await expect(connect(svc.url, forged)).rejects.toThrow(/UNAUTHORIZED/);

    const shortLived = jwt.sign({ role: 'COMPRADOR' }, TEST_JWT_SECRET, { subject: buyer.id, expiresIn: 2 });
    const socket = await connect(svc.url, shortLived);
    const { exp } = jwt.decode(shortLived) as { exp: number };
    await pause(exp * 1000 - Date.now() + 100);
    expect(await request(socket, 'join:user', { userId: buyer.id })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });
  });
});

describe('server events', () => {
  it('pushes stock updates for reservations, cancellations, expiry and category edits, ending at the database value', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
    const category = event.categorias[0]!;
    const socket = await connect(svc.url);
    await request(socket, 'join:event', { eventId: event.id });
    const updates = collect(socket, 'ticket:stock-update');

    const order = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: category.id, cantidad: 3 }],
    });
    await eventually(() => updates.at(-1)?.nuevoStock === 97, 'stock 97 after reserving 3');
    expect(updates.at(-1)).toEqual({ eventoId: event.id, categoriaId: category.id, nuevoStock: 97 });

    await call(svc.url, 'PUT', `/api/orders/${order.body.id}/cancel`, { token: buyer.token });
    await eventually(() => updates.at(-1)?.nuevoStock === 100, 'stock back to 100 after cancel');

    await call(svc.url, 'PUT', `/api/events/${event.id}/categories/${category.id}`, {
      token: organizer.token,
      body: { cantidadTotal: 150 },
    });
    await eventually(() => updates.at(-1)?.nuevoStock === 150, 'stock 150 after the category edit');

    const held = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: category.id, cantidad: 5 }],
    });
    await eventually(() => updates.at(-1)?.nuevoStock === 145, 'stock 145 after a hold');
    await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${held.body.id}`.execute(
      svc.database.db,
    );
    await eventually(() => updates.at(-1)?.nuevoStock === 150, 'stock 150 after the hold expired');
    expect(await dbStock(event.id, category.id)).toBe(150);
  });

  it('sends nothing for a change that did not happen (a refused reservation)', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 2 }]);
    const socket = await connect(svc.url);
    await request(socket, 'join:event', { eventId: event.id });
    const updates = collect(socket, 'ticket:stock-update');
    const refused = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 3 }],
    });
    expect(refused.status).toBe(409);
    await pause(300);
    expect(updates).toEqual([]);
  });

  it('coalesces a burst but always ends on the value in the database', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 500 }]);
    const category = event.categorias[0]!;
    const socket = await connect(svc.url);
    await request(socket, 'join:event', { eventId: event.id });
    const updates = collect(socket, 'ticket:stock-update');
    const buyers = await Promise.all(Array.from({ length: 10 }, () => createUser(svc)));
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        placeOrder(svc, buyers[i % 10]!, {
          eventoId: event.id,
          tickets: [{ categoriaId: category.id, cantidad: 1 + (i % 3) }],
        }),
      ),
    );
    const expected = await dbStock(event.id, category.id);
    await eventually(() => updates.at(-1)?.nuevoStock === expected, `last update equals the database (${expected})`);
    expect(updates.length).toBeLessThan(120);
  });

  it('tells the buyer every state change of an order, in order', async () => {
    const event = await createEvent(svc, organizer);
    const socket = await connect(svc.url, buyer.token);
    await request(socket, 'join:user', { userId: buyer.id });
    const changes = collect(socket, 'order:status-change');

    const order = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }],
    });
    await call(svc.url, 'PUT', `/api/orders/${order.body.id}/confirm`, {
      token: buyer.token,
      body: { metodoPago: 'card', transactionId: `rt-${order.body.id}` },
    });
    await call(svc.url, 'PUT', `/api/orders/${order.body.id}/cancel`, { token: buyer.token });
    await eventually(() => changes.length === 3, 'three status changes');
    expect(changes.map((c) => c.nuevoEstado)).toEqual(['RESERVED', 'CONFIRMED', 'CANCELLED']);
    expect(changes[0]).toEqual({ orderId: order.body.id, nuevoEstado: 'RESERVED', expiraEn: order.body.expiraEn });

    const expiring = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }],
    });
    await sql`UPDATE orders SET expires_at = now() WHERE id = ${expiring.body.id}`.execute(svc.database.db);
    await eventually(
      () => changes.some((c) => c.orderId === expiring.body.id && c.nuevoEstado === 'EXPIRED'),
      'EXPIRED pushed by the expiry job',
    );
  });

  it('pushes event edits with the changed fields', async () => {
    const event = await createEvent(svc, organizer);
    const socket = await connect(svc.url);
    await request(socket, 'join:event', { eventId: event.id });
    const edits = collect(socket, 'event:update');
    await call(svc.url, 'PUT', `/api/events/${event.id}`, {
      token: organizer.token,
      body: { ubicacion: 'Sevilla', nombre: event.nombre },
    });
    await eventually(() => edits.length === 1, 'event:update');
    expect(edits[0]).toEqual({ eventoId: event.id, cambios: { ubicacion: 'Sevilla' } });
  });

  it('warns once per downward crossing of the low-stock threshold', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 20 }]); // 10% → 2 tickets
    const category = event.categorias[0]!;
    const socket = await connect(svc.url);
    await request(socket, 'join:event', { eventId: event.id });
    const alerts = collect(socket, 'ticket:almost-sold-out');
    const updates = collect(socket, 'ticket:stock-update');
    const settle = async (stock: number) => eventually(() => updates.at(-1)?.nuevoStock === stock, `stock ${stock}`);

    await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 10 }] });
    const seven = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [{ categoriaId: category.id, cantidad: 7 }],
    });
    await settle(3);
    expect(alerts).toEqual([]);

    await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 1 }] });
    await settle(2);
    await eventually(() => alerts.length === 1, 'first alert');
    expect(alerts[0]).toEqual({ eventoId: event.id, categoriaId: category.id, stockRestante: 2 });

    await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 1 }] });
    await settle(1);
    await pause(200);
    expect(alerts).toHaveLength(1);

    // Back above the threshold, then down again: a new crossing, a new alert.
    await call(svc.url, 'PUT', `/api/orders/${seven.body.id}/cancel`, { token: buyer.token });
    await settle(8);
    await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 6 }] });
    await settle(2);
    await eventually(() => alerts.length === 2, 'second alert after a new crossing');
    expect(alerts[1]).toEqual({ eventoId: event.id, categoriaId: category.id, stockRestante: 2 });
  });
});

describe('several instances', () => {
  it('delivers a purchase made through instance A to a client connected to instance B', async () => {
    const second = await startTestService();
    try {
      const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 80 }]);
      const category = event.categorias[0]!;
      const watcher = await connect(second.url, buyer.token);
      await request(watcher, 'join:event', { eventId: event.id });
      await request(watcher, 'join:user', { userId: buyer.id });
      const updates = collect(watcher, 'ticket:stock-update');
      const changes = collect(watcher, 'order:status-change');

      const order = await placeOrder(svc, buyer, {
        eventoId: event.id,
        tickets: [{ categoriaId: category.id, cantidad: 4 }],
      }); // through instance A (svc)
      await eventually(() => updates.at(-1)?.nuevoStock === 76, 'stock update on instance B');
      await eventually(() => changes.some((c) => c.orderId === order.body.id), 'order status on instance B');
    } finally {
      await second.close();
    }
  });
});
