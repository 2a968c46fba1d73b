/**
 * `npm run bench`: flash-sale benchmarks of the real service (built, in its own process) on the
 * embedded PostgreSQL (or DATABASE_URL's server). Prints a table and writes the same figures to
 * bench/results/latest.json and latest.md.
 *
 * First the CPU each reservation and each sold-out rejection costs (service + PostgreSQL, from
 * /proc), measured alternately against a reference commit built beside this tree (BASELINE,
 * a21880d by default; `--compare REF[,REF…]` picks others, the first being the reference of the ratios;
 * `--compare none` measures this tree alone);
 * `--cpu-only` stops there. Then the throughput scenarios.
 *
 * Durations: BENCH_DURATION (seconds per load scenario, default 10), BENCH_WS_CLIENTS (2000),
 * BENCH_EXPIRY_HOLDS (10000); BENCH_CPU_ROUNDS (3), BENCH_CPU_RESERVATIONS (5000) and
 * BENCH_CPU_REJECTIONS (10000) requests per round. The default run takes about seven minutes.
 *
 * BENCH_ONLY picks scenarios (comma-separated; all of them when unset), and runs nothing else:
 *   cpu         the CPU comparison above (`--cpu-only` is the same)
 *   load        flash sales at 64 and 256 connections, sold-out rush, bare Express, DB ceiling, reads,
 *               WebSocket fan-out, mass expiry
 *   join-flood  the flash sale alone vs beside 20 sockets flooding join:event, alternate phases
 *               (BENCH_FLOOD_SOCKETS, BENCH_FLOOD_ROUNDS)
 *   checkin     the doors opening (distinct tickets) and a re-scan rush of one ticket
 *   queue       10,000 buyers in one event's virtual queue (bench/queue.ts: BENCH_QUEUE_BUYERS,
 *               BENCH_QUEUE_RATE, BENCH_QUEUE_SOCKETS)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkinRows, checkinScenarios } from './checkin';
import { joinFloodRows, joinFloodScenario } from './join-flood';
import { queueBench, queueRows } from './queue';
import { benchDatabase, ROOT, startServer, TICKET_SIGNING_SECRET } from './setup';
import { buildRef } from './build-ref';
import { cpuSettings, cpuTable, runCpuRounds, startSide, type Side } from './cpu';
import {
  bareExpress,
  createAccounts,
  createEvent,
  databaseCeiling,
  ledger,
  load,
  massExpiry,
  websocketFanout,
  type LoadResult,
} from './scenarios';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const wsClients = Number(process.env.BENCH_WS_CLIENTS ?? 2000);
const expiryHolds = Number(process.env.BENCH_EXPIRY_HOLDS ?? 10_000);
const poolSize = Number(process.env.DB_POOL_SIZE ?? 8);
const floodSockets = Number(process.env.BENCH_FLOOD_SOCKETS ?? 20);
/** The commit the issue's CPU targets are measured against (before the CPU work). */
const BASELINE = 'a21880d';

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const TARGETS = {
  flash64PerSecond: 1650,
  flash64P99Ms: 100,
  ceilingRatio: 0.5,
  soldOutPerSecond: 5000,
  readsPerSecond: 5000,
  wsP95Ms: 300,
  expiryMs: 5000,
  memoryMb: 300,
};

const SCENARIOS = ['cpu', 'load', 'join-flood', 'checkin', 'queue'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The scenarios this run measures: BENCH_ONLY's list (or `--cpu-only`), else all of them. */
function selectedScenarios(): Set<Scenario> {
  if (process.argv.includes('--cpu-only')) return new Set(['cpu']);
  const only = process.env.BENCH_ONLY?.trim();
  if (!only) return new Set(SCENARIOS);
  const names = only.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')} (one of ${SCENARIOS.join(', ')})`);
  return new Set(names as Scenario[]);
}

async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const selected = selectedScenarios();
  log(`bench: ${[...selected].join(', ')}`);
  const cpu = selected.has('cpu') ? await cpuComparison(log) : undefined;
  const results: Record<string, unknown> = {};
  if (selected.has('load') || selected.has('join-flood') || selected.has('checkin')) {
    await serverScenarios(selected, results, log);
  }
  // The virtual queue runs its own service (its own QUEUE_ADMIT_PER_SECOND) on its own database.
  let queueMarkdown: string | undefined;
  if (selected.has('queue')) {
    const queue = await queueBench(log);
    results.queue = queue;
    queueMarkdown = [
      '| virtual queue | result | detail |',
      '| --- | --- | --- |',
      ...queueRows(queue).map((cells) => `| ${cells.join(' | ')} |`),
    ].join('\n');
    log(queueMarkdown);
  }
  const report = buildReport(results);
  await writeReport(
    {
      markdown: [cpu?.markdown, report.markdown, queueMarkdown].filter(Boolean).join('\n\n'),
      json: { ...report.json, cpu: cpu?.json, queue: results.queue },
    },
    log,
  );
}

/** The scenarios that load one service process (built from this tree) on one database. */
async function serverScenarios(selected: Set<Scenario>, results: Record<string, unknown>, log: (line: string) => void) {
  log(`bench: ${duration}s per load scenario, ${wsClients} sockets, ${expiryHolds} expiring holds, pool ${poolSize}`);
  const database = await benchDatabase(poolSize);
  const server = await startServer(database.url, { DB_POOL_SIZE: String(poolSize) });
  try {
    const fixture = await createAccounts(database.handle.db, 500);
    if (selected.has('load')) await loadScenarios(server, database, fixture, results, log);
    if (selected.has('join-flood')) {
      results.joinFlood = await joinFloodScenario({
        url: server.url,
        serverPid: server.child.pid,
        metricsToken: server.metricsToken,
        fixture,
        durationS: duration,
        sockets: floodSockets,
        log,
      });
    }
    if (selected.has('checkin')) {
      log('check-in at the doors…');
      results.checkin = await checkinScenarios({
        url: server.url,
        database,
        fixture,
        ticketSigningSecret: TICKET_SIGNING_SECRET,
        serverPid: server.child.pid,
        connections: 64,
        durationS: duration,
        tickets: Math.max(20_000, duration * 6000),
      });
    }
    results.peakServerMemoryMb = await server.peakMemoryMb();
  } finally {
    await server.stop();
    await database.dispose();
  }
}

async function loadScenarios(
  server: Awaited<ReturnType<typeof startServer>>,
  database: Awaited<ReturnType<typeof benchDatabase>>,
  fixture: Awaited<ReturnType<typeof createAccounts>>,
  results: Record<string, unknown>,
  log: (line: string) => void,
) {
  {
    const event = await createEvent(server.url, fixture.organizer.token, [
      { nombre: 'Hot', cantidadTotal: 1_000_000 },
      { nombre: 'Sold out', cantidadTotal: 1 },
      { nombre: 'Ceiling', cantidadTotal: 1_000_000 },
      { nombre: 'Fan-out', cantidadTotal: 1_000_000 },
      { nombre: 'Expiry', cantidadTotal: 100_000 },
    ]);
    const [hot, soldOut, ceiling, fanout, expiry] = event.categorias.map((c) => c.id) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const order = (categoryId: string, cantidad: number) =>
      JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad }] });

    const flash = async (connections: number): Promise<LoadResult> => {
      log(`flash sale: ${connections} connections…`);
      return load({
        url: server.url,
        connections,
        durationS: duration,
        method: 'POST',
        path: '/api/orders',
        body: order(hot, 2),
        tokens: fixture.buyers,
        success: 201,
      });
    };
    // Warm-up (not recorded): JIT, connection pool, prepared statements, PostgreSQL caches.
    log('warm-up…');
    await load({
      url: server.url,
      connections: 64,
      durationS: Math.min(3, duration),
      method: 'POST',
      path: '/api/orders',
      body: order(hot, 2),
      tokens: fixture.buyers,
      success: 201,
    });
    const flash64 = await flash(64);
    const memoryMb = await server.peakMemoryMb();
    const flash256 = await flash(256);
    const hotLedger = await ledger(database.handle.db, hot);
    results.flashSale = { c64: flash64, c256: flash256, ledger: hotLedger, peakServerMemoryMb: memoryMb };

    log('sold out…');
    await fetch(`${server.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.buyers[0]}` },
      body: order(soldOut, 1),
    });
    const soldOutLoad = await load({
      url: server.url,
      connections: 64,
      durationS: duration,
      method: 'POST',
      path: '/api/orders',
      body: order(soldOut, 1),
      tokens: fixture.buyers,
      success: 409,
    });
    results.soldOut = { ...soldOutLoad, ledger: await ledger(database.handle.db, soldOut) };

    log('bare Express floor…');
    results.bareExpress = await bareExpress(64, duration);

    log('database ceiling (reserve_order() straight on the pool)…');
    const dbCeiling = await databaseCeiling(database, fixture, event.id, ceiling, 64, duration);
    results.dbCeiling = {
      ...dbCeiling,
      poolSize,
      httpToDbRatio: round2(flash64.successesPerSecond / dbCeiling.transactionsPerSecond),
    };

    log('reads…');
    results.readEvent = await load({
      url: server.url,
      connections: 64,
      durationS: duration,
      path: `/api/events/${event.id}`,
      success: 200,
    });
    results.readSearch = await load({
      url: server.url,
      connections: 64,
      durationS: duration,
      path: '/api/events/search?ubicacion=madrid&disponible=true',
      success: 200,
    });

    log(`WebSocket fan-out to ${wsClients} clients…`);
    results.websocket = await websocketFanout({
      url: server.url,
      db: database.handle.db,
      fixture,
      eventId: event.id,
      categoryId: fanout,
      clients: wsClients,
      bursts: 10,
      purchasesPerBurst: 20,
    });

    log(`${expiryHolds} holds expiring at once…`);
    results.expiry = await massExpiry({
      url: server.url,
      database,
      fixture,
      eventId: event.id,
      categoryId: expiry,
      holds: expiryHolds,
    });
  }
}

async function writeReport(report: { markdown: string; json: unknown }, log: (line: string) => void) {
  log(`\n${report.markdown}`);
  const dir = path.join(ROOT, 'bench/results');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(report.json, null, 2)}\n`);
  await fs.writeFile(path.join(dir, 'latest.md'), `${report.markdown}\n`);
  log(`written: bench/results/latest.json, bench/results/latest.md`);
}

/**
 * CPU per reservation and per rejection of this tree, and of the reference commit in the same run,
 * alternately round by round so both see the same machine conditions.
 */
async function cpuComparison(log: (line: string) => void): Promise<{ markdown: string; json: unknown }> {
  const settings = cpuSettings();
  // --compare REF[,REF…]: every listed commit is built and measured beside this tree; the first
  // one is the reference the ratios are taken against.
  const requested = (argument('--compare') ?? process.env.BENCH_COMPARE ?? BASELINE)
    .split(',')
    .filter((r) => r && r !== 'none');
  const references: { root: string; label: string }[] = [];
  for (const ref of requested) {
    try {
      references.push(buildRef(ref, log));
    } catch (error) {
      log(`compare: cannot build ${ref} (${(error as Error).message.split('\n')[0]}); leaving it out`);
    }
  }
  const reference = references[0];
  log(
    `cpu: ${settings.rounds} rounds of ${settings.requests.reservation} reservations and ${settings.requests.rejection} ` +
      `sold-out rejections per build, ${settings.connections} connections, pool ${settings.poolSize}`,
  );
  const sides: Side[] = [];
  try {
    for (const ref of references) sides.push(await startSide(`${ref.label}`, ref.root, settings));
    sides.push(await startSide('this tree', ROOT, settings));
    const figures = await runCpuRounds(sides, settings, log);
    const table = cpuTable(figures, reference?.label);
    const markdown = [
      `CPU per successful request ${new Date().toISOString()} — ${machine()}; load average ${loadAverage()} at the end: service process (utime+stime from /proc) and every ` +
        `process of its PostgreSQL server; ${settings.rounds} alternating rounds of ${settings.requests.reservation} reservations ` +
        `(2 tickets) and ${settings.requests.rejection} sold-out rejections, ${settings.connections} connections.`,
      '',
      table,
    ].join('\n');
    log(`\n${markdown}\n`);
    return { markdown, json: { settings, reference: reference?.label, figures: Object.fromEntries(figures) } };
  } finally {
    for (const side of sides) await side.dispose();
  }
}

const machine = () =>
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const round2 = (n: number) => Math.round(n * 100) / 100;

function buildReport(r: Record<string, any>) {
  const ok = (pass: boolean) => (pass ? 'yes' : 'NO');
  const errors = (x: LoadResult, success: number) =>
    Object.entries(x.statuses)
      .filter(([s]) => Number(s) !== success)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ') || 'none';
  const rows = [
    ...(r.flashSale ? loadRows(r, ok, errors) : []),
    ...(r.joinFlood ? joinFloodRows(r.joinFlood) : []),
    ...(r.checkin ? checkinRows(r.checkin) : []),
    ...(r.peakServerMemoryMb !== undefined
      ? [
          [
            'server peak memory',
            `${r.peakServerMemoryMb} MB${r.flashSale ? ` (after flash sale at 64: ${r.flashSale.peakServerMemoryMb} MB)` : ''}`,
            '',
            '',
            `≤ ${TARGETS.memoryMb} MB: ${ok(r.peakServerMemoryMb <= TARGETS.memoryMb)}`,
          ],
        ]
      : []),
  ];
  if (rows.length === 0) return { markdown: '', json: { date: new Date().toISOString(), machine: machine() } };
  const markdown = [
    `Benchmark ${new Date().toISOString()} — ${machine()}; load average ${loadAverage()} at the end; server, PostgreSQL and load generator on the same machine; ${duration}s per load scenario, pool ${poolSize}.`,
    '',
    '| scenario | throughput | latency p50 / p95 / p99 (ms) | other answers | target |',
    '|---|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
  return {
    markdown,
    json: {
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: os.loadavg(),
      durationS: duration,
      poolSize,
      targets: TARGETS,
      results: r,
    },
  };
}

function loadRows(
  r: Record<string, any>,
  ok: (pass: boolean) => string,
  errors: (x: LoadResult, success: number) => string,
): string[][] {
  const f64 = r.flashSale.c64 as LoadResult;
  const f256 = r.flashSale.c256 as LoadResult;
  return [
    [
      'flash sale, 64 conn',
      `${f64.successesPerSecond} reservations/s`,
      `${f64.p50} / ${f64.p95} / ${f64.p99}`,
      `${errors(f64, 201)}; ${f64.errors} socket errors`,
      `≥ ${TARGETS.flash64PerSecond}/s, p99 ≤ ${TARGETS.flash64P99Ms} ms: ${ok(f64.successesPerSecond >= TARGETS.flash64PerSecond && f64.p99 <= TARGETS.flash64P99Ms)}`,
    ],
    [
      'flash sale, 256 conn',
      `${f256.successesPerSecond} reservations/s`,
      `${f256.p50} / ${f256.p95} / ${f256.p99}`,
      `${errors(f256, 201)}; ${f256.errors} socket errors`,
      '',
    ],
    [
      'ledger after flash sales',
      `sold+held+available=total: ${r.flashSale.ledger.balanced}`,
      '',
      `negative: ${r.flashSale.ledger.negative}`,
      `holds: ${r.flashSale.ledger.held}`,
    ],
    [
      'sold out, 64 conn',
      `${r.soldOut.successesPerSecond} rejections/s`,
      `${r.soldOut.p50} / ${r.soldOut.p95} / ${r.soldOut.p99}`,
      errors(r.soldOut, 409),
      `≥ ${TARGETS.soldOutPerSecond}/s: ${ok(r.soldOut.successesPerSecond >= TARGETS.soldOutPerSecond)}`,
    ],
    [
      'bare Express 5 route (framework floor)',
      `${r.bareExpress.successesPerSecond} req/s`,
      `${r.bareExpress.p50} / ${r.bareExpress.p95} / ${r.bareExpress.p99}`,
      '',
      'what HTTP alone costs here',
    ],
    [
      'DB ceiling (reserve_order, no HTTP)',
      `${r.dbCeiling.transactionsPerSecond} tx/s`,
      `${r.dbCeiling.p50} / – / ${r.dbCeiling.p99}`,
      '',
      `HTTP/DB = ${r.dbCeiling.httpToDbRatio} (≥ ${TARGETS.ceilingRatio}: ${ok(r.dbCeiling.httpToDbRatio >= TARGETS.ceilingRatio)})`,
    ],
    [
      'GET /api/events/:id',
      `${r.readEvent.successesPerSecond} req/s`,
      `${r.readEvent.p50} / ${r.readEvent.p95} / ${r.readEvent.p99}`,
      errors(r.readEvent, 200),
      `≥ ${TARGETS.readsPerSecond}/s: ${ok(r.readEvent.successesPerSecond >= TARGETS.readsPerSecond)}`,
    ],
    [
      'GET /api/events/search',
      `${r.readSearch.successesPerSecond} req/s`,
      `${r.readSearch.p50} / ${r.readSearch.p95} / ${r.readSearch.p99}`,
      errors(r.readSearch, 200),
      '',
    ],
    [
      `WebSocket fan-out (${r.websocket.clients} clients)`,
      `${r.websocket.samples} deliveries`,
      `${r.websocket.p50} / ${r.websocket.p95} / ${r.websocket.p99}`,
      `missed: ${r.websocket.missed}`,
      `p95 ≤ ${TARGETS.wsP95Ms} ms: ${ok(r.websocket.p95 <= TARGETS.wsP95Ms && r.websocket.missed === 0)}`,
    ],
    [
      `expiry of ${r.expiry.holds} holds`,
      `released in ${r.expiry.releasedAfterMs} ms`,
      `pushed in ${r.expiry.pushedAfterMs} ms`,
      '',
      `≤ ${TARGETS.expiryMs} ms: ${ok(r.expiry.pushedAfterMs >= 0 && r.expiry.pushedAfterMs <= TARGETS.expiryMs)}`,
    ],
  ];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
