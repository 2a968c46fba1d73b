import { fork, spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { io, type Socket } from 'socket.io-client';
import type { Database } from '../src/shared/db/database';
import type { BenchDatabase } from './setup';
import { freePort } from '../test/setup/test-database';
import { tokens } from './setup';

export interface LoadResult {
  requestsPerSecond: number;
  successesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** autocannon against one route; latencies from every response, so p95 is exact. */
export async function load(options: {
  url: string;
  connections: number;
  /** Seconds of load, or with `amount`, a fixed number of requests instead. */
  durationS?: number;
  amount?: number;
  method?: 'GET' | 'POST';
  path: string;
  body?: string;
  /** A body per request (e.g. a different ticket each time), instead of `body`. */
  bodies?: () => string;
  tokens?: string[];
  success: number;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const instance = (autocannon as unknown as (opts: unknown) => Promise<autocannon.Result> & NodeJS.EventEmitter)({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
    timeout: 10,
    requests: [
      {
        method: options.method ?? 'GET',
        path: options.path,
        body: options.body,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: any) => {
          const body = options.bodies ? options.bodies() : req.body;
          if (!options.tokens) return { ...req, body };
          const token = options.tokens[next++ % options.tokens.length];
          return { ...req, body, headers: { ...req.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const seconds = result.duration;
  return {
    requestsPerSecond: Math.round(latencies.length / seconds),
    successesPerSecond: Math.round((statuses[options.success] ?? 0) / seconds),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

export interface Fixture {
  organizer: { id: string; token: string };
  buyers: string[];
  buyerIds: string[];
}

/** An organizer and `count` buyers, inserted directly (their passwords are never used). */
export async function createAccounts(db: Database, count: number): Promise<Fixture> {
  const stamp = Date.now().toString(36);
  const rows = await db
    .insertInto('users')
    .values(
      Array.from({ length: count + 1 }, (_, i) => ({
        name: i === 0 ? 'Bench organizer' : `Bench buyer ${i}`,
        email: `bench-${stamp}-${i}@bench.test`,
        password_hash: 'x',
        role: i === 0 ? ('ORGANIZADOR' as const) : ('COMPRADOR' as const),
      })),
    )
    .returning(['id', 'role'])
    .execute();
  const [organizer, ...buyers] = rows;
  return {
    organizer: { id: organizer!.id, token: tokens.sign({ id: organizer!.id, role: 'ORGANIZADOR' }) },
    buyers: buyers.map((b) => tokens.sign({ id: b.id, role: 'COMPRADOR' })),
    buyerIds: buyers.map((b) => b.id),
  };
}

export async function createEvent(
  url: string,
  organizerToken: string,
  categories: { nombre: string; cantidadTotal: number; precio?: number }[],
): Promise<{ id: string; categorias: { id: string }[] }> {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${organizerToken}` },
    body: JSON.stringify({
      nombre: `Bench ${Date.now()}`,
      descripcion: 'Benchmark event',
      fecha: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ubicacion: 'Madrid Arena',
      capacidadTotal: 10_000_000,
      precioBase: 50,
      categorias: categories.map((c) => ({ precio: 50, beneficios: [], ...c })),
    }),
  });
  if (res.status !== 201) throw new Error(`event creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; categorias: { id: string }[] };
}

export interface Ledger {
  total: number;
  available: number;
  held: number;
  sold: number;
  balanced: boolean;
  negative: boolean;
}

export async function ledger(db: Database, categoryId: string): Promise<Ledger> {
  const { rows } = await sql<{ total: number; available: number; held: number; sold: number; smallest: number }>`
    SELECT c.total_quantity AS total,
      (SELECT coalesce(sum(available), 0)::int FROM category_stock WHERE category_id = c.id) AS available,
      (SELECT coalesce(min(available), 0)::int FROM category_stock WHERE category_id = c.id) AS smallest,
      (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
        WHERE i.category_id = c.id AND o.status = 'RESERVED') AS held,
      (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
        WHERE i.category_id = c.id AND o.status = 'CONFIRMED') AS sold
    FROM ticket_categories c WHERE c.id = ${categoryId}`.execute(db);
  const r = rows[0]!;
  return { ...r, balanced: r.sold + r.held + r.available === r.total, negative: r.smallest < 0 };
}

/**
 * The project's own reservation SQL (`reserve_order()`), straight against the database with the
 * same pool size, as fast as `workers` concurrent callers can go: the ceiling the HTTP path is
 * measured against.
 */
export async function databaseCeiling(
  database: BenchDatabase,
  fixture: Fixture,
  eventId: string,
  categoryId: string,
  workers: number,
  durationS: number,
): Promise<{ transactionsPerSecond: number; p50: number; p99: number }> {
  const lines = JSON.stringify([{ category_id: categoryId, quantity: 2 }]);
  const deadline = Date.now() + durationS * 1000;
  const latencies: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < deadline) {
        const userId = fixture.buyerIds[next++ % fixture.buyerIds.length];
        const t0 = performance.now();
        await database.handle.pool.query({
          name: 'reserve_order',
          text: 'SELECT * FROM reserve_order($1, $2, $3::jsonb, $4, NULL, NULL, $5)',
          values: [userId, eventId, lines, 600_000, Math.floor(Math.random() * 16)],
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    transactionsPerSecond: Math.round(latencies.length / seconds),
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
  };
}

function connectClient(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/**
 * `clients` Socket.IO clients in one event room; bursts of purchases; for each burst, the time
 * from the last purchase's committed answer until each client holds the resulting stock value.
 */
export async function websocketFanout(options: {
  url: string;
  db: Database;
  fixture: Fixture;
  eventId: string;
  categoryId: string;
  clients: number;
  bursts: number;
  purchasesPerBurst: number;
}): Promise<{ clients: number; samples: number; p50: number; p95: number; p99: number; missed: number }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < options.clients; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, options.clients - i) }, () => connectClient(options.url)),
    );
    sockets.push(...batch);
  }
  await Promise.all(
    sockets.map(
      (s) => new Promise<void>((resolve) => s.emit('join:event', { eventId: options.eventId }, () => resolve())),
    ),
  );
  const latest = new Map<Socket, { value: number; at: number }>();
  for (const s of sockets) {
    s.on('ticket:stock-update', (u: { categoriaId: string; nuevoStock: number }) => {
      if (u.categoriaId === options.categoryId) latest.set(s, { value: u.nuevoStock, at: performance.now() });
    });
  }
  const latencies: number[] = [];
  let missed = 0;
  for (let b = 0; b < options.bursts; b++) {
    let committedAt = 0;
    await Promise.all(
      Array.from({ length: options.purchasesPerBurst }, async (_, i) => {
        const token = options.fixture.buyers[(b * options.purchasesPerBurst + i) % options.fixture.buyers.length];
        const res = await fetch(`${options.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            eventoId: options.eventId,
            tickets: [{ categoriaId: options.categoryId, cantidad: 1 }],
          }),
        });
        await res.text();
        committedAt = Math.max(committedAt, performance.now());
      }),
    );
    const expected = (await ledger(options.db, options.categoryId)).available;
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline && [...sockets].some((s) => latest.get(s)?.value !== expected)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const s of sockets) {
      const seen = latest.get(s);
      if (seen?.value === expected) latencies.push(Math.max(0, seen.at - committedAt));
      else missed++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const s of sockets) s.disconnect();
  latencies.sort((a, b) => a - b);
  return {
    clients: options.clients,
    samples: latencies.length,
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    missed,
  };
}

/**
 * `holds` reservations that all run out at the same moment: time until the database has released
 * every one and until a watching client has been pushed the fully restored stock.
 */
export async function massExpiry(options: {
  url: string;
  database: BenchDatabase;
  fixture: Fixture;
  eventId: string;
  categoryId: string;
  holds: number;
}): Promise<{ holds: number; releasedAfterMs: number; pushedAfterMs: number }> {
  const { database, fixture } = options;
  const lines = JSON.stringify([{ category_id: options.categoryId, quantity: 1 }]);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < options.holds) {
        next++;
        await database.handle.pool.query('SELECT id FROM reserve_order($1, $2, $3::jsonb, $4, NULL, NULL, $5)', [
          fixture.buyerIds[next % fixture.buyerIds.length],
          options.eventId,
          lines,
          3_600_000,
          next % 16,
        ]);
      }
    }),
  );
  const total = (await ledger(database.handle.db, options.categoryId)).total;
  const socket = await connectClient(options.url);
  await new Promise<void>((resolve) => socket.emit('join:event', { eventId: options.eventId }, () => resolve()));
  let pushedAt = 0;
  socket.on('ticket:stock-update', (u: { nuevoStock: number }) => {
    if (u.nuevoStock === total && pushedAt === 0) pushedAt = performance.now();
  });
  // Every hold of this category (and only those) runs out at the same instant.
  const expired = await sql`
    UPDATE orders SET expires_at = clock_timestamp()
    WHERE status = 'RESERVED' AND id IN (SELECT order_id FROM order_items WHERE category_id = ${options.categoryId})`.execute(
    database.handle.db,
  );
  if (Number(expired.numAffectedRows) !== options.holds)
    throw new Error(`expected ${options.holds} holds, found ${expired.numAffectedRows}`);
  const expiredAt = performance.now();
  let releasedAt = 0;
  const deadline = expiredAt + 60_000;
  while (performance.now() < deadline && (releasedAt === 0 || pushedAt === 0)) {
    if (releasedAt === 0 && (await ledger(database.handle.db, options.categoryId)).held === 0)
      releasedAt = performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  socket.disconnect();
  return {
    holds: options.holds,
    releasedAfterMs: Math.round(releasedAt - expiredAt),
    pushedAfterMs: pushedAt === 0 ? -1 : Math.round(pushedAt - expiredAt),
  };
}

/**
 * The floor under every HTTP figure here: a bare Express 5 route answering a small JSON body, in
 * its own process, under the same load generator on the same cores.
 */
export async function bareExpress(connections: number, durationS: number): Promise<LoadResult> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const e=require('express');const a=e();a.get('/',(q,s)=>s.status(409).json({error:{code:'INSUFFICIENT_STOCK',message:'x'}}));a.listen(${port},'127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    while (
      !(await fetch(url).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((r) => setTimeout(r, 50));
    return await load({ url, connections, durationS, path: '/', success: 409 });
  } finally {
    child.kill();
  }
}

/** utime + stime of a process so far, in milliseconds (Linux /proc; 0 elsewhere). */
export async function cpuMs(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  try {
    const stat = await import('node:fs/promises').then((fs) => fs.readFile(`/proc/${pid}/stat`, 'utf8'));
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Math.round((ticks * 1000) / 100);
  } catch {
    return 0;
  }
}

/** `joinFlood` in a child process (bench/join-flood-client.ts), stopped and read by `stop()`. */
function joinFloodProcess(options: { url: string; eventIds: string[]; sockets: number; inFlight: number }) {
  const child = fork(path.join(__dirname, 'join-flood-client.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const answer = new Promise<Awaited<ReturnType<typeof joinFlood>>>((resolve, reject) => {
    child.once('message', (m: { result?: Awaited<ReturnType<typeof joinFlood>>; error?: string }) =>
      m.result ? resolve(m.result) : reject(new Error(`join flood: ${m.error}`)),
    );
    child.once('exit', (code) => reject(new Error(`join flood client exited with ${code}`)));
  });
  child.send(options);
  const started = performance.now();
  return {
    /** The flood's figures, and the share of one core its process used (the abuser's cost). */
    stop: async () => {
      const cpu = await cpuMs(child.pid);
      child.send({ stop: true });
      const result = await answer;
      return { ...result, clientCores: Math.round((cpu / (performance.now() - started)) * 100) / 100 };
    },
  };
}

/**
 * `sockets` anonymous clients emitting `join:event` in a loop (each keeps `inFlight` joins
 * outstanding) until `stop` resolves: the abuse the per-socket join limit and the event cache are
 * for. Returns the joins answered per second and how they were answered. With `inFlight` 0 they
 * ask for no answers and emit as fast as their connection takes them (`sent` counts them).
 */
export async function joinFlood(options: {
  url: string;
  eventIds: string[];
  sockets: number;
  inFlight: number;
  stop: Promise<void>;
}): Promise<{ sockets: number; answeredPerSecond: number; answers: Record<string, number>; reconnections: number }> {
  const sockets = await Promise.all(Array.from({ length: options.sockets }, () => connectClient(options.url)));
  const answers: Record<string, number> = {};
  let reconnections = 0;
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  const started = performance.now();
  // A disconnected flooder connects again at once and carries on, as an abuser's script would.
  const reconnecting = new Map<number, Promise<void>>();
  const reconnect = (s: number): Promise<void> => {
    let pending = reconnecting.get(s);
    if (!pending) {
      pending = (async () => {
        while (!stopped && !sockets[s]!.connected) {
          reconnections++;
          sockets[s] = await connectClient(options.url).catch(() => sockets[s]!);
        }
      })().finally(() => reconnecting.delete(s));
      reconnecting.set(s, pending);
    }
    return pending;
  };
  // No acknowledgements: emit while the connection takes them (what its WebSocket has not yet
  // handed to the kernel stays short), else wait a little, as a script that does not want to run
  // out of memory would. A server that stops reading fills the kernel's buffers and then this one.
  const blast = async (s: number) => {
    for (let i = 0; !stopped; i++) {
      if (!sockets[s]!.connected) await reconnect(s);
      const socket = sockets[s]!;
      const engine = socket.io.engine as unknown as {
        writeBuffer: unknown[];
        transport: { ws?: { bufferedAmount: number } };
      };
      if (engine.writeBuffer.length < 100 && (engine.transport.ws?.bufferedAmount ?? 0) < 64 * 1024) {
        for (let k = 0; k < 20; k++)
          socket.emit('join:event', { eventId: options.eventIds[(s + i + k) % options.eventIds.length] });
        answers.sent = (answers.sent ?? 0) + 20;
        await new Promise((r) => setImmediate(r));
      } else {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  if (options.inFlight === 0) await Promise.all(sockets.map((_, s) => blast(s)));
  await Promise.all(
    sockets.flatMap((_, s) =>
      Array.from({ length: options.inFlight }, async (_, k) => {
        for (let i = 0; !stopped; i++) {
          if (!sockets[s]!.connected) await reconnect(s);
          const socket = sockets[s]!;
          const eventId = options.eventIds[(s + k + i) % options.eventIds.length];
          const ack = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
            // Dropped by the server: the answer will not come; do not wait for the timeout.
            const dropped = () => resolve({ ok: false, error: { code: 'DISCONNECTED' } });
            socket.once('disconnect', dropped);
            socket
              .timeout(5000)
              .emit('join:event', { eventId }, (err: unknown, reply: { ok: boolean; error?: { code: string } }) => {
                socket.off('disconnect', dropped);
                resolve(err ? { ok: false, error: { code: 'TIMEOUT' } } : reply);
              });
          });
          const key = ack.ok ? 'ok' : (ack.error?.code ?? 'error');
          answers[key] = (answers[key] ?? 0) + 1;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const s of sockets) s.disconnect();
  const total = Object.entries(answers).reduce((n, [key, count]) => (key === 'sent' ? n : n + count), 0);
  return { sockets: options.sockets, answeredPerSecond: Math.round(total / seconds), answers, reconnections };
}

export interface FloodComparison {
  durationS: number;
  /** Flash sale alone, before, between and after the flooded phases (their mean is the baseline). */
  alone: LoadResult[];
  /** Flash sale beside the flood, one per round. */
  flooded: LoadResult[];
  /** The flood over all flooded phases: answers summed, rates and the client's cores averaged. */
  flood: Awaited<ReturnType<typeof joinFlood>> & { clientCores: number };
  /** Mean reservations/s with the flood ÷ mean reservations/s without it. */
  ratio: number;
  /** Service CPU per successful reservation (µs), alone and beside the flood (means). */
  serverCpuUsPerReservation: { alone: number; flooded: number };
  /** The service's event-loop delay (ms, mean / p99, the phases' means) alone and flooded. */
  eventLoopDelayMs: { alone: EventLoopDelay; flooded: EventLoopDelay };
}

export interface EventLoopDelay {
  mean: number;
  p99: number;
}

/**
 * The service's event-loop delay since the previous call, from its /metrics (prom-client's
 * monitor resets at each scrape); undefined if /metrics does not answer.
 */
async function eventLoopDelay(url: string, token: string): Promise<EventLoopDelay | undefined> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).catch(
    () => undefined,
  );
  if (!response?.ok) return undefined;
  const text = await response.text();
  const read = (name: string) => {
    const seconds = new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1];
    return Math.round(Number(seconds) * 10_000) / 10;
  };
  return { mean: read('mean'), p99: read('p99') };
}

/**
 * The flash sale alone and beside `sockets` join-flooding clients in alternate phases of one run
 * (alone, flooded, alone, … alone: `rounds` flooded phases), so that load from outside the
 * benchmark falls on both sides; the flood must not take the sale's throughput (the contract:
 * ≥ 90 % kept).
 */
export async function flashBesideJoinFlood(options: {
  url: string;
  serverPid: number | undefined;
  metricsToken: string;
  flash: () => Promise<LoadResult>;
  eventIds: string[];
  sockets: number;
  durationS: number;
  rounds: number;
  /** Joins each flooding socket keeps outstanding; 0: no acknowledgements asked. */
  inFlight: number;
}): Promise<FloodComparison> {
  const measured = async () => {
    await eventLoopDelay(options.url, options.metricsToken);
    const before = await cpuMs(options.serverPid);
    const result = await options.flash();
    const cpu = (await cpuMs(options.serverPid)) - before;
    const delay = (await eventLoopDelay(options.url, options.metricsToken)) ?? { mean: NaN, p99: NaN };
    const successes = result.successesPerSecond * options.durationS;
    return { result, delay, cpuUs: successes > 0 ? Math.round((cpu * 1000) / successes) : 0 };
  };
  const alone = [await measured()];
  const flooded: (Awaited<ReturnType<typeof measured>> & {
    flood: Awaited<ReturnType<ReturnType<typeof joinFloodProcess>['stop']>>;
  })[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const flooding = joinFloodProcess({
      url: options.url,
      eventIds: options.eventIds,
      sockets: options.sockets,
      inFlight: options.inFlight,
    });
    // Let the flood reach full speed before the sale starts.
    await new Promise((r) => setTimeout(r, 1000));
    const phase = await measured();
    flooded.push({ ...phase, flood: await flooding.stop() });
    alone.push(await measured());
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const round1 = (n: number) => Math.round(n * 10) / 10;
  const means = (phases: Awaited<ReturnType<typeof measured>>[]) => ({
    perSecond: mean(phases.map((p) => p.result.successesPerSecond)),
    cpuUs: Math.round(mean(phases.map((p) => p.cpuUs))),
    delay: {
      mean: round1(mean(phases.map((p) => p.delay.mean))),
      p99: round1(mean(phases.map((p) => p.delay.p99))),
    },
  });
  const [a, f] = [means(alone), means(flooded)];
  const answers: Record<string, number> = {};
  for (const { flood } of flooded)
    for (const [key, n] of Object.entries(flood.answers)) answers[key] = (answers[key] ?? 0) + n;
  return {
    durationS: options.durationS,
    alone: alone.map((p) => p.result),
    flooded: flooded.map((p) => p.result),
    flood: {
      sockets: options.sockets,
      answeredPerSecond: Math.round(mean(flooded.map((p) => p.flood.answeredPerSecond))),
      answers,
      reconnections: flooded.reduce((n, p) => n + p.flood.reconnections, 0),
      clientCores: Math.round(mean(flooded.map((p) => p.flood.clientCores)) * 100) / 100,
    },
    ratio: a.perSecond > 0 ? Math.round((f.perSecond / a.perSecond) * 100) / 100 : 0,
    serverCpuUsPerReservation: { alone: a.cpuUs, flooded: f.cpuUs },
    eventLoopDelayMs: { alone: a.delay, flooded: f.delay },
  };
}
