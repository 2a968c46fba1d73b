import { sql } from 'kysely';
import pg from 'pg';
import { RealtimeRepository } from '../src/modules/realtime/realtime.repository';
import { createEvent, createUser } from './helpers/factories';
import { call } from './helpers/http';
import { servicesClosedAfterAll, testDatabaseUrl } from './helpers/service';
import { closeAllSockets, connect, request } from './helpers/sockets';
import { eventually } from './helpers/wait';

/** join:event flood protection (rate, room cap, cached existence) and the real-time / jobs pools. */
afterEach(() => closeAllSockets());
const start = servicesClosedAfterAll();

describe('join:event limits', () => {
  it('refuses joins past 20 in 10 s on one socket with RATE_LIMITED; another socket is unaffected', async () => {
    const svc = await start();
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const event = await createEvent(svc, organizer);
    const flooder = await connect(svc.url);
    const answers = [];
    for (let i = 0; i < 25; i++) answers.push(await request(flooder, 'join:event', { eventId: event.id }));
    expect(answers.slice(0, 20).every((a) => a.ok)).toBe(true);
    for (const a of answers.slice(20)) expect(a).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const other = await connect(svc.url);
    expect(await request(other, 'join:event', { eventId: event.id })).toEqual({ ok: true });
  });

  it('keeps a socket in at most SOCKET_MAX_EVENT_ROOMS event rooms', async () => {
    const svc = await start({ SOCKET_MAX_EVENT_ROOMS: '3' });
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const events = await Promise.all(Array.from({ length: 4 }, () => createEvent(svc, organizer)));
    const socket = await connect(svc.url);
    for (const e of events.slice(0, 3))
      expect(await request(socket, 'join:event', { eventId: e.id })).toEqual({ ok: true });
    expect(await request(socket, 'join:event', { eventId: events[3]!.id })).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED' },
    });
    // Joining a room it is already in is fine; leaving one makes room.
    expect(await request(socket, 'join:event', { eventId: events[0]!.id })).toEqual({ ok: true });
    expect(await request(socket, 'leave:event', { eventId: events[0]!.id })).toEqual({ ok: true });
    expect(await request(socket, 'join:event', { eventId: events[3]!.id })).toEqual({ ok: true });
  });

  it('answers event existence from memory: one lookup for many joins, and a deleted event is forgotten', async () => {
    const svc = await start();
    const lookups = jest.spyOn(RealtimeRepository.prototype, 'eventExists');
    try {
      const organizer = await createUser(svc, 'ORGANIZADOR');
      const event = await createEvent(svc, organizer);
      const sockets = await Promise.all(Array.from({ length: 10 }, () => connect(svc.url)));
      const answers = await Promise.all(sockets.map((s) => request(s, 'join:event', { eventId: event.id })));
      expect(answers.every((a) => a.ok)).toBe(true);
      expect(lookups.mock.calls.filter(([id]) => id === event.id)).toHaveLength(1);

      const admin = await createUser(svc, 'ADMIN');
      expect((await call(svc.url, 'DELETE', `/api/events/${event.id}`, { token: admin.token })).status).toBe(204);
      expect(await request(sockets[0]!, 'join:event', { eventId: event.id })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
    } finally {
      lookups.mockRestore();
    }
  });
});

describe('bulkheads', () => {
  it('keeps selling while the real-time pool is stuck, and uses separate pools for real time and jobs', async () => {
    // One connection for purchases and one for real time: without separate pools, the stuck
    // real-time statement below would hold the only connection and the purchase would get 503.
    const svc = await start({
      DB_POOL_SIZE: '1',
      DB_REALTIME_POOL_SIZE: '1',
      DB_LOCK_TIMEOUT_MS: '15000',
      DB_CONNECT_TIMEOUT_MS: '3000',
      LOW_STOCK_THRESHOLD: '50%',
    });
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const buyer = await createUser(svc);
    const event = await createEvent(svc, organizer, {}, [{ nombre: 'Small', cantidadTotal: 10 }, { nombre: 'Big' }]);
    const [small, big] = event.categorias.map((c) => c.id) as [string, string];
    // Its own connection, outside the service's pools.
    const blocker = new pg.Client({ connectionString: testDatabaseUrl() });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      // The low-stock flag update of the real-time broadcaster (NO KEY UPDATE) waits on this lock.
      await blocker.query('SELECT 1 FROM ticket_categories WHERE id = $1 FOR NO KEY UPDATE', [small]);
      const crossing = await call(svc.url, 'POST', '/api/orders', {
        token: buyer.token,
        body: { eventoId: event.id, tickets: [{ categoriaId: small, cantidad: 6 }] },
      });
      expect(crossing.status).toBe(201);
      await eventually(async () => {
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'ticketing-realtime' AND wait_event_type = 'Lock'`.execute(svc.database.db);
        return rows[0]!.n > 0;
      }, 'the real-time pool to wait on the lock');
      const next = await call(svc.url, 'POST', '/api/orders', {
        token: buyer.token,
        body: { eventoId: event.id, tickets: [{ categoriaId: big, cantidad: 1 }] },
      });
      expect(next.status).toBe(201);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    await svc.expiryJob.runOnce();
    const { rows } = await sql<{ application_name: string }>`SELECT DISTINCT application_name FROM pg_stat_activity
      WHERE application_name IN ('ticketing-realtime', 'ticketing-jobs')`.execute(svc.database.db);
    expect(rows.map((r) => r.application_name).sort()).toEqual(['ticketing-jobs', 'ticketing-realtime']);
  });
});
