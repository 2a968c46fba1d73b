/**
 * `BENCH_ONLY=queue npm run bench`: the virtual queue with 10,000 buyers on one event.
 *
 * 1. Every buyer joins the queue of a colaVirtual event before its sales open (64 at a time):
 *    the join rate.
 * 2. Sales open: the service admits at QUEUE_ADMIT_PER_SECOND (BENCH_QUEUE_RATE, default 250, so
 *    admitting everyone takes 40 s; the production default is 50). The admission pace is measured from
 *    the turns' admission times in the database, against the setting.
 * 3. Every admitted buyer buys one ticket with its Queue-Token: BENCH_QUEUE_SOCKETS (500) of them
 *    have a socket and buy on `queue:admitted`; the others play a page reload (their admission is
 *    seen in the database, `POST /api/events/:id/queue` gives the token). Purchase latency is that
 *    of `POST /api/orders` alone; all 10,000 must succeed and the ledger must balance. A 503 is
 *    retried after its Retry-After, as the web client's user would, and counted.
 *
 * BENCH_QUEUE_BUYERS (10000) changes the crowd.
 */
import { sql } from 'kysely';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../src/modules/realtime/realtime.events';

type BuyerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
import { benchDatabase, startServer } from './setup';
import { createAccounts, createEvent, ledger } from './scenarios';

const buyersCount = Number(process.env.BENCH_QUEUE_BUYERS ?? 10_000);
const rate = Number(process.env.BENCH_QUEUE_RATE ?? 250);
const socketCount = Math.min(buyersCount, Number(process.env.BENCH_QUEUE_SOCKETS ?? 500));
const poolSize = Number(process.env.DB_POOL_SIZE ?? 8);
/** How long a socket buyer's admission may take to arrive before the bench reloads for it. */
const SOCKET_GRACE_MS = 3000;

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;

let retried503 = 0;

/** fetch, retrying a 503 (an overloaded service) after its Retry-After, at most 10 times. */
async function call(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 10) return res;
    await res.arrayBuffer();
    retried503 += 1;
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export interface QueueBenchResult {
  buyers: number;
  joinsPerSecond: number;
  joinP99Ms: number;
  setting: number;
  admittedPerSecond: number;
  paceDeviationPercent: number;
  /** Purchases answered 201. */
  purchases: number;
  purchaseFailures: number;
  purchaseP50Ms: number;
  purchaseP99Ms: number;
  positionMessages: number;
  /** Socket buyers whose queue:admitted did not arrive in time (bought through a reload), disconnects. */
  socketMisses: number;
  disconnects: number;
  /** 503 answers retried after Retry-After (an overloaded service). */
  retried503: number;
  balanced: boolean;
}

export async function queueBench(log: (line: string) => void): Promise<QueueBenchResult> {
  log(`queue: ${buyersCount} buyers, QUEUE_ADMIT_PER_SECOND=${rate}, ${socketCount} with a socket`);
  const database = await benchDatabase(poolSize);
  const server = await startServer(database.url, {
    DB_POOL_SIZE: String(poolSize),
    QUEUE_ADMIT_PER_SECOND: String(rate),
  });
  const sockets: BuyerSocket[] = [];
  try {
    const fixture = await createAccounts(database.handle.db, buyersCount);
    const event = await createEvent(server.url, fixture.organizer.token, [
      { nombre: 'Queued', cantidadTotal: buyersCount },
    ]);
    const categoryId = event.categorias[0]!.id;
    const organizerAuth = {
      'content-type': 'application/json',
      authorization: `Bearer ${fixture.organizer.token}`,
    };
    const put = (body: unknown) =>
      fetch(`${server.url}/api/events/${event.id}/categories/${categoryId}`, {
        method: 'PUT',
        headers: organizerAuth,
        body: JSON.stringify(body),
      });
    // Queued, and not open yet: everyone who joins now gets a random place.
    for (const res of [
      await fetch(`${server.url}/api/events/${event.id}`, {
        method: 'PUT',
        headers: organizerAuth,
        body: JSON.stringify({ colaVirtual: true }),
      }),
      await put({ ventaInicio: new Date(Date.now() + 3_600_000).toISOString() }),
    ]) {
      if (res.status !== 200) throw new Error(`event setup failed: ${res.status} ${await res.text()}`);
    }

    const buyers = fixture.buyers.map((token, i) => ({ token, id: fixture.buyerIds[i]! }));
    const tokenOf = new Map<string, string>();
    const purchaseLatencies: number[] = [];
    let purchaseFailures = 0;
    let succeeded = 0;
    let positionMessages = 0;
    const bought = new Set<string>();
    const buy = async (buyer: { token: string; id: string }, queueToken: string) => {
      if (bought.has(buyer.id)) return;
      bought.add(buyer.id);
      const started = performance.now();
      const res = await call(`${server.url}/api/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${buyer.token}`,
          'queue-token': queueToken,
        },
        body: JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 1 }] }),
      });
      await res.arrayBuffer();
      purchaseLatencies.push(performance.now() - started);
      if (res.status === 201) succeeded += 1;
      else purchaseFailures += 1;
    };
    const purchases: Promise<void>[] = [];
    const reloading = new Set<string>();
    let socketMisses = 0;
    let disconnects = 0;

    // Sockets first (as pages open before people join), then the joins.
    log(`queue: connecting ${socketCount} sockets…`);
    const withSocket = buyers.slice(0, socketCount);
    await pool(withSocket, 50, async (b) => {
      const socket: BuyerSocket = io(server.url, {
        transports: ['websocket'],
        auth: { token: b.token },
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      socket.on('disconnect', () => {
        disconnects += 1;
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const ack = await new Promise<{ ok: boolean }>((resolve) => socket.emit('join:user', { userId: b.id }, resolve));
      if (!ack.ok) throw new Error(`join:user refused: ${JSON.stringify(ack)}`);
      socket.on('queue:position', () => {
        positionMessages += 1;
      });
      socket.on('queue:admitted', (a) => {
        purchases.push(
          buy(b, a.token).catch((error: unknown) => {
            purchaseFailures += 1;
            if (purchaseFailures <= 3) log(`queue: purchase failed: ${String(error)}`);
          }),
        );
      });
    });

    log(`queue: ${buyersCount} joins, 64 at a time…`);
    const joinLatencies: number[] = [];
    const joinStarted = performance.now();
    // Shuffled: sockets or not, buyers join in no particular order.
    const joinOrder = [...buyers].sort(() => Math.random() - 0.5);
    await pool(joinOrder, 64, async (b) => {
      const started = performance.now();
      const res = await call(`${server.url}/api/events/${event.id}/queue`, {
        method: 'POST',
        headers: { authorization: `Bearer ${b.token}` },
      });
      const body = (await res.json()) as { turnoId: string };
      joinLatencies.push(performance.now() - started);
      if (res.status !== 201) throw new Error(`join failed: ${res.status} ${JSON.stringify(body)}`);
      tokenOf.set(b.id, body.turnoId);
    });
    const joinSeconds = (performance.now() - joinStarted) / 1000;
    joinLatencies.sort((a, b) => a - b);

    log('queue: sales open; admitting…');
    const opened = await put({ ventaInicio: new Date(Date.now() - 1000).toISOString() });
    if (opened.status !== 200) throw new Error(`opening failed: ${opened.status}`);

    // Buyers without a socket: their admission is read from the database, as a reloading page
    // would learn it, and the join answers their token. So are socket buyers whose socket did not
    // deliver within SOCKET_GRACE_MS (counted: a lost socket on a saturated machine).
    const byId = new Map(buyers.map((b) => [b.id, b]));
    const hasSocket = new Set(withSocket.map((b) => b.id));
    const seenAdmitted = new Map<string, number>();
    const pendingSockets = new Set<string>();
    let since = '-infinity';
    const reloads: Promise<void>[] = [];
    const deadline = Date.now() + (buyersCount / rate) * 1000 * 3 + 60_000;
    let lastReport = Date.now();
    while (bought.size < buyersCount) {
      if (Date.now() > deadline) throw new Error(`queue bench stuck: ${bought.size}/${buyersCount} bought`);
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        log(`queue: ${bought.size}/${buyersCount} bought, ${positionMessages} position messages so far`);
      }
      // Only what is new since the last look (and socket buyers still within their grace).
      const { rows } = await sql<{ user_id: string; admitted_at: string }>`
        SELECT user_id, admitted_at::text AS admitted_at FROM queue_turns
        WHERE event_id = ${event.id} AND admitted_at > ${since}::timestamptz ORDER BY admitted_at`.execute(
        database.handle.db,
      );
      if (rows.length > 0) since = rows.at(-1)!.admitted_at;
      const candidates = [...rows.map((r) => r.user_id), ...pendingSockets];
      pendingSockets.clear();
      for (const user_id of candidates) {
        if (bought.has(user_id) || reloading.has(user_id)) continue;
        const seen = seenAdmitted.get(user_id) ?? Date.now();
        seenAdmitted.set(user_id, seen);
        if (hasSocket.has(user_id)) {
          if (Date.now() - seen < SOCKET_GRACE_MS) {
            pendingSockets.add(user_id);
            continue;
          }
          socketMisses += 1;
        }
        const b = byId.get(user_id)!;
        reloading.add(user_id);
        reloads.push(
          (async () => {
            const res = await call(`${server.url}/api/events/${event.id}/queue`, {
              method: 'POST',
              headers: { authorization: `Bearer ${b.token}` },
            });
            const turn = (await res.json()) as { token: string | null };
            if (!turn.token) throw new Error(`admitted buyer without a token: ${JSON.stringify(turn)}`);
            await buy(b, turn.token);
          })().catch((error: unknown) => {
            bought.add(b.id);
            purchaseFailures += 1;
            if (purchaseFailures <= 3) log(`queue: purchase through a reload failed: ${String(error)}`);
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all([...purchases, ...reloads]);

    // The pace, from the admission times: after the first second's burst (the bucket's size).
    const { rows } = await sql<{ admitted_at: Date }>`
      SELECT admitted_at FROM queue_turns WHERE event_id = ${event.id} AND admitted_at IS NOT NULL
      ORDER BY admitted_at`.execute(database.handle.db);
    const times = rows.map((r) => r.admitted_at.getTime());
    const first = times[0]!;
    const after = times.filter((t) => t >= first + 1000);
    const admittedPerSecond = (after.length - 1) / ((after.at(-1)! - after[0]!) / 1000);
    purchaseLatencies.sort((a, b) => a - b);
    const stock = await ledger(database.handle.db, categoryId);
    const result: QueueBenchResult = {
      buyers: buyersCount,
      joinsPerSecond: Math.round(buyersCount / joinSeconds),
      joinP99Ms: round(percentile(joinLatencies, 99)),
      setting: rate,
      admittedPerSecond: round(admittedPerSecond),
      paceDeviationPercent: round(((admittedPerSecond - rate) / rate) * 100),
      purchases: succeeded,
      purchaseFailures,
      purchaseP50Ms: round(percentile(purchaseLatencies, 50)),
      purchaseP99Ms: round(percentile(purchaseLatencies, 99)),
      positionMessages,
      socketMisses,
      disconnects,
      retried503,
      balanced: stock.balanced && !stock.negative && stock.held === succeeded,
    };
    return result;
  } finally {
    for (const s of sockets) s.close();
    await server.stop();
    await database.dispose();
  }
}

export function queueRows(r: QueueBenchResult): string[][] {
  return [
    ['queue: joins (64 at a time)', `${r.joinsPerSecond}/s`, `p99 ${r.joinP99Ms} ms`],
    [
      'queue: admission pace',
      `${r.admittedPerSecond}/s`,
      `setting ${r.setting}/s (${r.paceDeviationPercent >= 0 ? '+' : ''}${r.paceDeviationPercent} %)`,
    ],
    [
      'queue: purchase after admission',
      `${r.purchases}/${r.buyers} bought (${r.purchaseFailures} failed)`,
      `p50 ${r.purchaseP50Ms} ms, p99 ${r.purchaseP99Ms} ms`,
    ],
    [
      'queue: socket messages',
      `${r.positionMessages} positions`,
      `${r.socketMisses} admissions not delivered in 3 s, ${r.disconnects} disconnects, ${r.retried503} 503s retried; ledger ${r.balanced ? 'balanced' : 'NOT balanced'}`,
    ],
  ];
}
