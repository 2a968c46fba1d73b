import { createEvent, createUser } from './helpers/factories';
import { call } from './helpers/http';
import { startTestService, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, request } from './helpers/sockets';
import { eventually } from './helpers/wait';

/**
 * The Redis fan-out variant. Runs when TEST_REDIS_URL points at a Redis server (`.ci/run` sets
 * it); jest.config.js leaves this file out otherwise, so a machine without Redis still passes.
 */
const redisUrl = process.env.TEST_REDIS_URL!;
let a: TestService;
let b: TestService;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestService({ REDIS_URL: redisUrl }), startTestService({ REDIS_URL: redisUrl })]);
});
afterEach(() => closeAllSockets());
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

it('uses the Redis adapter when REDIS_URL is set', () => {
  expect(a.realtime.io.of('/').adapter.constructor.name).toBe('RedisAdapter');
});

it('delivers stock, order and event messages across instances through Redis', async () => {
  const organizer = await createUser(a, 'ORGANIZADOR');
  const buyer = await createUser(a);
  const event = await createEvent(a, organizer, {}, [{ cantidadTotal: 40 }]);
  const category = event.categorias[0]!;

  const watcher = await connect(b.url, buyer.token);
  expect(await request(watcher, 'join:event', { eventId: event.id })).toEqual({ ok: true });
  expect(await request(watcher, 'join:user', { userId: buyer.id })).toEqual({ ok: true });
  const updates = collect(watcher, 'ticket:stock-update');
  const changes = collect(watcher, 'order:status-change');
  const edits = collect(watcher, 'event:update');

  const order = await call(a.url, 'POST', '/api/orders', {
    token: buyer.token,
    body: { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 5 }] },
  });
  expect(order.status).toBe(201);
  await eventually(() => updates.at(-1)?.nuevoStock === 35, 'stock update through Redis');
  await eventually(
    () => changes.some((c) => c.orderId === order.body.id && c.nuevoEstado === 'RESERVED'),
    'order status',
  );

  await call(a.url, 'PUT', `/api/events/${event.id}`, { token: organizer.token, body: { ubicacion: 'Valencia' } });
  await eventually(() => edits.some((e) => e.cambios.ubicacion === 'Valencia'), 'event update through Redis');
});
