import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter as createPostgresAdapter } from '@socket.io/postgres-adapter';
import { createAdapter as createRedisAdapter } from '@socket.io/redis-adapter';
import pg from 'pg';
import { createClient } from 'redis';
import { Server, type Socket } from 'socket.io';
import type { Config } from '../../shared/config';
import type { DomainEvents } from '../../shared/domain-events';
import { trackConnections } from '../../shared/db/database';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { authenticate, type Authenticator } from '../auth/authenticate';
import { canJoinUserRoom } from '../policy/policy';
import type { RealtimeRepository } from './realtime.repository';
import {
  EVENT_ROOM_PREFIX,
  eventRoom,
  userRoom,
  type AckCallback,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type IO,
} from './realtime.events';
import { joinEventPayload, joinUserPayload, type Ack } from './realtime.wire';
import { CheckinBroadcaster, type CheckinCounts } from './checkin-broadcaster';
import { QueueRelay, type QueuePositions } from './queue-relay';
import { StatusRelay } from './status-relay';
import { StockBroadcaster } from './stock-broadcaster';
import { JOIN_WINDOW_SECONDS, JoinGuard } from './join-guard';
import { JoinThrottle, REFUSALS_BEFORE_THROTTLE } from './join-throttle';

type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  /** The HTTP API's server: Socket.IO shares it when WS_PORT equals PORT. */
  httpServer: http.Server;
  databaseUrl: string;
  /** Signs socket callers in like HTTP does: token, then the account as it is now. */
  auth: Authenticator;
  repository: RealtimeRepository;
  bus: DomainEvents;
  checkinCounts: CheckinCounts;
  /** Places of buyers in an event's virtual queue (read by each instance for its own sockets). */
  queuePositions: QueuePositions;
}

export interface Realtime {
  io: IO;
  /** Port Socket.IO listens on. */
  port: number;
  close(): Promise<void>;
}

const fail = (code: Extract<Ack, { ok: false }>['error']['code'], message: string): Ack => ({
  ok: false,
  error: { code, message },
});

/** Runs a join/leave handler and answers through the acknowledgement, whatever happens. */
function handle<P>(logger: Logger, work: (payload: P) => Promise<Ack>) {
  return (payload: P, ack?: AckCallback) => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    work(payload).then(reply, (error: unknown) => {
      logger.warn({ err: error }, 'socket handler failed');
      reply(fail('INTERNAL', 'Internal error'));
    });
  };
}

async function buildAdapter(config: Config, databaseUrl: string, logger: Logger) {
  if (config.redisUrl) {
    const pub = createClient({ url: config.redisUrl });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) client.on('error', (err) => logger.warn({ err }, 'redis client error'));
    await Promise.all([pub.connect(), sub.connect()]);
    return {
      kind: 'redis' as const,
      adapter: createRedisAdapter(pub, sub),
      close: async () => {
        await Promise.allSettled([pub.quit(), sub.quit()]);
      },
      ready: async () => undefined,
    };
  }
  // Its own small pool: the adapter keeps one connection for LISTEN for as long as it runs.
  const applicationName = `ticketing-socketio-${crypto.randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 3, application_name: applicationName });
  // While we close, the adapter's last messages may meet connections we end: expected, not news.
  let closing = false;
  const report = (err: unknown, msg: string) => (closing ? logger.debug({ err }, msg) : logger.warn({ err }, msg));
  pool.on('error', (err) => report(err, 'socket.io adapter connection failed'));
  // The adapter keeps its LISTEN connection checked out, where the pool's own error handling does
  // not reach: without a listener, the database restarting would crash the process.
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.on('error', (err) => report(err, 'socket.io adapter connection lost'));
  });
  pool.on('remove', (client) => clients.delete(client as pg.PoolClient));
  const connectionsClosed = trackConnections(pool);
  return {
    kind: 'postgres' as const,
    adapter: createPostgresAdapter(pool, {
      errorHandler: (err) => report(err, 'socket.io postgres adapter error'),
    }),
    /**
     * Called after the adapter is closed (it has released its LISTEN client): the pool ends once
     * the adapter's last messages (ADAPTER_CLOSE) are sent. The adapter may be reconnecting its
     * LISTEN client when we stop (the database was away), and then never releases it: after a
     * grace period every connection is ended so closing cannot hang.
     */
    close: async () => {
      closing = true;
      const settle = (work: Promise<unknown>, ms: number) =>
        Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
      const ended = pool.end();
      await settle(ended, 2000);
      await settle(Promise.allSettled([...clients].map((client) => (client as unknown as pg.Client).end())), 2000);
      await settle(ended, 2000);
      await connectionsClosed(2000);
    },
    /**
     * The adapter starts listening in the background; until it does, messages from other instances
     * are lost. Wait for its LISTEN to show in pg_stat_activity before taking traffic.
     */
    ready: async () => {
      for (let waited = 0; waited < 10_000; waited += 50) {
        const { rows } = await pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
          [applicationName],
        );
        if (rows.length > 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      logger.warn('Socket.IO PostgreSQL adapter is not listening yet; continuing');
    },
  };
}

/**
 * Socket.IO with the contract's rooms and events. Messages reach clients on every instance
 * through the adapter (PostgreSQL LISTEN/NOTIFY by default, Redis with REDIS_URL). Everything
 * emitted comes from domain events, which the services publish only after their commit.
 */
export async function startRealtime(deps: RealtimeDeps): Promise<Realtime> {
  const { config, logger, auth, repository, bus } = deps;
  const shared = config.wsPort === config.port;
  const server = shared ? deps.httpServer : http.createServer((_req, res) => res.writeHead(404).end());
  const { kind, adapter, close: closeAdapter, ready } = await buildAdapter(config, deps.databaseUrl, logger);

  const io: IO = new Server(server, {
    adapter,
    cors: { origin: config.corsOrigin === '*' ? '*' : config.corsOrigin.split(',').map((o) => o.trim()) },
    serveClient: false,
  });

  io.use((socket, next) => {
    const token = socket.handshake.auth?.token;
    if (token === undefined) return next();
    try {
      socket.data.user = auth.tokens.verify(String(token));
      socket.data.token = String(token);
      next();
    } catch {
      const error = new Error('UNAUTHORIZED') as Error & { data?: unknown };
      error.data = { code: 'UNAUTHORIZED', message: 'Invalid or expired token' };
      next(error);
    }
  });

  const log = logger.child({ component: 'realtime' });
  const guard = new JoinGuard((eventId) => repository.eventExists(eventId), bus, config.sockets);
  const throttle = new JoinThrottle();
  const { joinsPer10s, maxEventRooms } = config.sockets;
  /** Event rooms this socket is in (its own id is a room too, not counted). */
  const eventRoomCount = (socket: ClientSocket) => {
    let n = 0;
    for (const room of socket.rooms) if (room.startsWith(EVENT_ROOM_PREFIX)) n++;
    return n;
  };
  io.on('connection', (socket: ClientSocket) => {
    log.debug({ socket: socket.id, connections: io.engine.clientsCount }, 'socket connected');
    socket.on('disconnect', () => {
      guard.forget(socket.id);
      throttle.release(socket.id);
      log.debug({ connections: io.engine.clientsCount }, 'socket disconnected');
    });

    socket.on(
      'join:event',
      handle(log, async (payload) => {
        // Every attempt counts, valid or not; past the rate the answer costs no parsing or lookup.
        const verdict = await guard.allowJoin(socket.id);
        if (!verdict.allowed) {
          // Past a few refusals, the socket is not read and its answers wait until its window
          // frees: a flood costs the server almost nothing (see JoinThrottle).
          if (verdict.refusals > REFUSALS_BEFORE_THROTTLE) await throttle.hold(socket, verdict.msBeforeNext);
          return fail(
            'RATE_LIMITED',
            `At most ${joinsPer10s} joins per ${JOIN_WINDOW_SECONDS} s on one connection; wait and retry`,
          );
        }
        const parsed = joinEventPayload.safeParse(payload);
        if (!parsed.success) return fail('VALIDATION_ERROR', 'eventId must be a UUID');
        const eventId = parsed.data.eventId.toLowerCase();
        const room = eventRoom(eventId);
        if (!socket.rooms.has(room) && eventRoomCount(socket) >= maxEventRooms) {
          return fail(
            'LIMIT_EXCEEDED',
            `A connection follows at most ${maxEventRooms} events at once; leave one first`,
          );
        }
        if (!(await guard.eventExists(eventId))) return fail('NOT_FOUND', 'Event not found');
        await socket.join(room);
        log.debug({ room: eventRoom(eventId), size: io.sockets.adapter.rooms.get(eventRoom(eventId))?.size }, 'joined');
        return { ok: true };
      }),
    );

    socket.on(
      'leave:event',
      handle(log, async (payload) => {
        const parsed = joinEventPayload.safeParse(payload);
        if (!parsed.success) return fail('VALIDATION_ERROR', 'eventId must be a UUID');
        await socket.leave(eventRoom(parsed.data.eventId.toLowerCase()));
        return { ok: true };
      }),
    );

    socket.on(
      'join:user',
      handle(log, async (payload) => {
        const parsed = joinUserPayload.safeParse(payload);
        if (!parsed.success) return fail('VALIDATION_ERROR', 'userId must be a UUID');
        if (!socket.data.token) return fail('UNAUTHORIZED', 'Connect with auth: { token } to join a user room');
        let user;
        try {
          // Checked again on join, as HTTP checks every request: a token that expired since the
          // handshake, or whose account was deleted, no longer opens rooms; the current role applies.
          user = await authenticate(auth, socket.data.token);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return fail('UNAUTHORIZED', error.message);
        }
        const userId = parsed.data.userId.toLowerCase();
        if (!canJoinUserRoom(user, userId)) return fail('FORBIDDEN', 'You can only join your own user room');
        await socket.join(userRoom(userId));
        return { ok: true };
      }),
    );
  });

  const stock = new StockBroadcaster(io, repository, log);
  const statuses = new StatusRelay(io);
  const checkins = new CheckinBroadcaster(io, deps.checkinCounts, log);
  const queue = new QueueRelay(io, deps.queuePositions, log);
  io.on('checkin:dirty', (eventIds) => checkins.markDirty(eventIds));
  io.on('stock:dirty', (categoryIds) => {
    stock.markDirty(categoryIds);
    bus.publish('stock.changed-elsewhere', { categoryIds });
  });
  const unsubscribe = [
    bus.subscribe('stock.changed', ({ categoryIds }) => stock.changedLocally(categoryIds)),
    bus.subscribe('order.status-changed', (o) =>
      statuses.changedHere({
        userId: o.userId,
        orderId: o.orderId,
        nuevoEstado: o.status,
        expiraEn: o.expiresAt.toISOString(),
      }),
    ),
    bus.subscribe('checkin.admitted', ({ eventId }) => checkins.changedLocally([eventId])),
    // Confirmations issue tickets and cancellations of confirmed orders void them.
    bus.subscribe('order.status-changed', (o) => {
      if (o.status === 'CONFIRMED' || o.status === 'CANCELLED') checkins.changedLocally([o.eventId]);
    }),
    bus.subscribe('queue.admitted', ({ eventId, admissions }) =>
      queue.admittedHere(
        admissions.map((a) => ({
          userId: a.userId,
          eventoId: eventId,
          turnoId: a.turnId,
          token: a.token,
          expiraEn: a.expiresAt.toISOString(),
        })),
      ),
    ),
    bus.subscribe('queue.moved', ({ eventId }) => queue.movedHere(eventId)),
    bus.subscribe('event.updated', (e) =>
      io.to(eventRoom(e.eventId)).emit('event:update', { eventoId: e.eventId, cambios: e.changes }),
    ),
  ];

  await ready();
  let port = config.port;
  if (!shared) {
    port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.wsPort, config.host, () => resolve((server.address() as AddressInfo).port));
    });
  } else {
    port = (server.address() as AddressInfo).port;
  }
  logger.info({ port, adapter: kind, sharedWithHttp: shared }, 'Socket.IO listening');

  return {
    io,
    port,
    close: async () => {
      for (const off of unsubscribe) off();
      guard.close();
      throttle.close();
      statuses.flush();
      await stock.close();
      await checkins.close();
      // Only this instance's sockets (io.disconnectSockets would tell every instance to drop
      // theirs); io.close() would also close a shared HTTP server, which the API closes itself.
      io.local.disconnectSockets(true);
      if (!shared) await new Promise<void>((resolve) => server.close(() => resolve()));
      io.engine.close();
      await Promise.resolve(io.of('/').adapter.close());
      logger.debug('shutdown: socket.io adapter closed');
      await closeAdapter();
    },
  };
}
