/**
 * CPU per successful request: the service process and every PostgreSQL process of the run, over a
 * fixed number of requests, for the flash sale (201 reservations) and the sold-out rush (409
 * rejections). Several builds ("sides") can be measured in one run, alternately (A B A B …), each
 * with its own service process and its own embedded PostgreSQL cluster.
 */
import type { LoadResult } from './scenarios';
import { createAccounts, createEvent, load, type Fixture } from './scenarios';
import { emptyDatabase, startServer, type ServerProcess } from './setup';
import { createDatabase, type DatabaseHandle } from '../src/shared/db/database';
import { createLogger } from '../src/shared/logger';
import { parentPid, postgresCpuUs, processCpuUs } from './proc-cpu';

export const CPU_SCENARIOS = ['reservation', 'rejection'] as const;
export type CpuScenario = (typeof CPU_SCENARIOS)[number];

export interface CpuSettings {
  /** Requests per measured round and scenario. */
  requests: Record<CpuScenario, number>;
  rounds: number;
  /** Requests per scenario before measuring (JIT, pools, prepared statements, caches). */
  warmup: number;
  connections: number;
  poolSize: number;
}

export function cpuSettings(): CpuSettings {
  return {
    requests: {
      reservation: Number(process.env.BENCH_CPU_RESERVATIONS ?? 5000),
      rejection: Number(process.env.BENCH_CPU_REJECTIONS ?? 10_000),
    },
    rounds: Number(process.env.BENCH_CPU_ROUNDS ?? 3),
    warmup: Number(process.env.BENCH_CPU_WARMUP ?? 3000),
    connections: 64,
    poolSize: Number(process.env.DB_POOL_SIZE ?? 8),
  };
}

/** One build under test: its service process, its database and the fixture it sells. */
export interface Side {
  label: string;
  server: ServerProcess;
  handle: DatabaseHandle;
  postmasterPid: number | undefined;
  fixture: Fixture;
  bodies: Record<CpuScenario, string>;
  dispose(): Promise<void>;
}

export async function startSide(
  label: string,
  root: string,
  settings: CpuSettings,
  postgresFlags: string[] = [],
): Promise<Side> {
  // The database is migrated by the service under test, with its own migrations.
  const database = await emptyDatabase(`ticketing_bench_${label.replace(/\W+/g, '_')}`.toLowerCase(), postgresFlags);
  let server: ServerProcess | undefined;
  let handle: DatabaseHandle | undefined;
  try {
    server = await startServer(database.url, { DB_POOL_SIZE: String(settings.poolSize) }, root);
    handle = createDatabase(
      { url: database.url, poolSize: 2, lockTimeoutMs: 1000, statementTimeoutMs: 60_000, connectTimeoutMs: 5000 },
      createLogger('warn'),
    );
    return await prepareSide(label, server, handle, database.dispose);
  } catch (error) {
    await server?.stop();
    await handle?.close();
    await database.dispose();
    throw error;
  }
}

async function prepareSide(
  label: string,
  server: ServerProcess,
  handle: DatabaseHandle,
  disposeDatabase: () => Promise<void>,
): Promise<Side> {
  const { rows } = await handle.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmasterPid = parentPid(rows[0]!.pid);
  const fixture = await createAccounts(handle.db, 500);
  const event = await createEvent(server.url, fixture.organizer.token, [
    { nombre: 'Hot', cantidadTotal: 1_000_000 },
    { nombre: 'Sold out', cantidadTotal: 1 },
  ]);
  const [hot, soldOut] = event.categorias.map((c) => c.id) as [string, string];
  const order = (categoryId: string, cantidad: number) =>
    JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad }] });
  // The one ticket of the sold-out category goes first.
  const first = await fetch(`${server.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.buyers[0]}` },
    body: order(soldOut, 1),
  });
  if (first.status !== 201) throw new Error(`${label}: could not buy the sold-out category's ticket (${first.status})`);
  return {
    label,
    server,
    handle,
    postmasterPid,
    fixture,
    bodies: { reservation: order(hot, 2), rejection: order(soldOut, 1) },
    dispose: async () => {
      await server.stop();
      await handle.close();
      await disposeDatabase();
    },
  };
}

const SUCCESS: Record<CpuScenario, number> = { reservation: 201, rejection: 409 };

export interface CpuSample {
  requests: number;
  successes: number;
  statuses: Record<string, number>;
  /** µs over the round. */
  serviceUs: number;
  databaseUs: number;
  backendsUs: number;
  requestsPerSecond: number;
  p99: number;
}

/** `requests` requests of one scenario against one side, with the CPU both used meanwhile. */
export async function measure(
  side: Side,
  scenario: CpuScenario,
  requests: number,
  connections: number,
): Promise<CpuSample> {
  const pid = side.server.child.pid!;
  const db0 = side.postmasterPid ? postgresCpuUs(side.postmasterPid) : undefined;
  const s0 = processCpuUs(pid);
  const result: LoadResult = await load({
    url: side.server.url,
    connections,
    amount: requests,
    method: 'POST',
    path: '/api/orders',
    body: side.bodies[scenario],
    tokens: side.fixture.buyers,
    success: SUCCESS[scenario],
  });
  await settle(side);
  const s1 = processCpuUs(pid);
  const db1 = side.postmasterPid ? postgresCpuUs(side.postmasterPid) : undefined;
  const successes = result.statuses[SUCCESS[scenario]] ?? 0;
  return {
    requests,
    successes,
    statuses: result.statuses,
    serviceUs: s1 - s0,
    databaseUs: db0 && db1 ? db1.totalUs - db0.totalUs : NaN,
    backendsUs: db0 && db1 ? db1.backendsUs - db0.backendsUs : NaN,
    requestsPerSecond: result.requestsPerSecond,
    p99: result.p99,
  };
}

/**
 * The work a round leaves behind is the round's own cost: the vacuum of the rows it wrote, the
 * checkpoint of the pages it dirtied, garbage collection. Left to itself, autovacuum (every
 * minute) and the timed checkpoint (every 5) ran in whichever later round of the side they woke
 * up in, often a sold-out round that touches no table: 35–225 µs of "PostgreSQL per rejection"
 * were that. So each round ends with a VACUUM (ANALYZE) and a CHECKPOINT, counted in it, and
 * then waits until the service and PostgreSQL are idle again (under 20 ms of CPU together in
 * each of three 500 ms windows, 4 % of a core; their timers use about 2 % when nothing happens),
 * at most 5 s.
 */
async function settle(side: Side): Promise<void> {
  await side.handle.pool.query('VACUUM (ANALYZE)');
  await side.handle.pool.query('CHECKPOINT');
  const pid = side.server.child.pid!;
  const read = () => processCpuUs(pid) + (side.postmasterPid ? postgresCpuUs(side.postmasterPid).totalUs : 0);
  const deadline = Date.now() + 5000;
  let before = read();
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = read();
    quiet = now - before < 20_000 ? quiet + 1 : 0;
    before = now;
  }
}

export interface CpuFigures {
  successes: number;
  /** µs of CPU per successful request. */
  service: number;
  database: number;
  total: number;
  /** Lowest and highest total per round, to show the spread. */
  range: [number, number];
  requestsPerSecond: number;
  unexpected: Record<string, number>;
}

export function summarize(samples: CpuSample[], scenario: CpuScenario): CpuFigures {
  const sum = (f: (s: CpuSample) => number) => samples.reduce((acc, s) => acc + f(s), 0);
  const successes = sum((s) => s.successes);
  const per = (us: number) => Math.round(us / Math.max(1, successes));
  const totals = samples.map((s) => Math.round((s.serviceUs + s.databaseUs) / Math.max(1, s.successes)));
  const unexpected: Record<string, number> = {};
  for (const s of samples) {
    for (const [status, n] of Object.entries(s.statuses)) {
      if (Number(status) !== SUCCESS[scenario]) unexpected[status] = (unexpected[status] ?? 0) + n;
    }
  }
  return {
    successes,
    service: per(sum((s) => s.serviceUs)),
    database: per(sum((s) => s.databaseUs)),
    total: per(sum((s) => s.serviceUs + s.databaseUs)),
    range: [Math.min(...totals), Math.max(...totals)],
    requestsPerSecond: Math.round(sum((s) => s.requestsPerSecond) / samples.length),
    unexpected,
  };
}

/**
 * Warm-up (JIT, pools, prepared statements, caches; not recorded), then `rounds` rounds in which
 * every side serves the same fixed number of requests of each scenario, one side after the other.
 */
export async function runCpuRounds(
  sides: Side[],
  settings: CpuSettings,
  log: (line: string) => void,
): Promise<Map<string, Record<CpuScenario, CpuFigures>>> {
  for (const side of sides) {
    log(`cpu: warm-up of ${side.label}…`);
    for (const scenario of CPU_SCENARIOS) await measure(side, scenario, settings.warmup, settings.connections);
  }
  const samples = new Map(
    sides.map((s) => [s.label, { reservation: [] as CpuSample[], rejection: [] as CpuSample[] }]),
  );
  for (let round = 1; round <= settings.rounds; round++) {
    // A B, then B A: neither build always runs right after the other one's load.
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const scenario of CPU_SCENARIOS) {
      for (const side of order) {
        const sample = await measure(side, scenario, settings.requests[scenario], settings.connections);
        samples.get(side.label)![scenario].push(sample);
        const per = (us: number) => Math.round(us / Math.max(1, sample.successes));
        log(
          `cpu: round ${round} ${scenario} ${side.label}: service ${per(sample.serviceUs)} µs + database ` +
            `${per(sample.databaseUs)} µs (connections ${per(sample.backendsUs)} µs) per ${scenario} (${sample.successes}/${sample.requests} answered ${SUCCESS[scenario]}, ` +
            `${sample.requestsPerSecond} req/s)`,
        );
      }
    }
  }
  return new Map(
    [...samples].map(([label, s]) => [
      label,
      { reservation: summarize(s.reservation, 'reservation'), rejection: summarize(s.rejection, 'rejection') },
    ]),
  );
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a';

/** A markdown table: one row per side and scenario, and with a reference side, the ratios to it. */
export function cpuTable(figures: Map<string, Record<CpuScenario, CpuFigures>>, reference?: string): string {
  const lines = [
    '| build | scenario | service µs | PostgreSQL µs | total µs per request | rounds (total µs) | req/s | other answers |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [label, f] of figures) {
    for (const scenario of CPU_SCENARIOS) {
      const x = f[scenario];
      const other =
        Object.entries(x.unexpected)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ') || 'none';
      lines.push(
        `| ${label} | ${scenario} | ${fmt(x.service)} | ${fmt(x.database)} | **${fmt(x.total)}** | ${fmt(x.range[0])}–${fmt(x.range[1])} | ${fmt(x.requestsPerSecond)} | ${other} |`,
      );
    }
  }
  if (figures.size > 2) {
    // Several builds (oldest first): what each one changed against the one before it.
    const labels = [...figures.keys()];
    lines.push('', '| step | scenario | service µs | PostgreSQL µs | total µs |', '|---|---|---|---|---|');
    for (let i = 1; i < labels.length; i++) {
      const a = figures.get(labels[i - 1]!)!;
      const b = figures.get(labels[i]!)!;
      for (const scenario of CPU_SCENARIOS) {
        const step = (f: (x: CpuFigures) => number) =>
          `${fmt(f(a[scenario]))} → ${fmt(f(b[scenario]))} (${ratio(f(b[scenario]), f(a[scenario]))})`;
        lines.push(
          `| ${labels[i - 1]} → ${labels[i]} | ${scenario} | ${step((x) => x.service)} | ${step((x) => x.database)} | ${step((x) => x.total)} |`,
        );
      }
    }
  }
  if (reference && figures.has(reference)) {
    const ref = figures.get(reference)!;
    lines.push(
      '',
      `| ratio to ${reference} | scenario | service | PostgreSQL | total | target |`,
      '|---|---|---|---|---|---|',
    );
    for (const [label, f] of figures) {
      if (label === reference) continue;
      for (const scenario of CPU_SCENARIOS) {
        const x = f[scenario];
        const r = ref[scenario];
        const total = x.total / r.total;
        lines.push(
          `| ${label} | ${scenario} | ${ratio(x.service, r.service)} | ${ratio(x.database, r.database)} | **${ratio(x.total, r.total)}** | ≤ 0.50: ${total <= 0.5 ? 'yes' : 'NO'} |`,
        );
      }
    }
  }
  return lines.join('\n');
}
