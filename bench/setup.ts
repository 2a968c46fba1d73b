import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TokenService } from '../src/modules/auth/tokens';
import { createDatabase, type DatabaseHandle } from '../src/shared/db/database';
import { createLogger } from '../src/shared/logger';
import { startEmbeddedPostgres } from '../src/shared/db/embedded';
import { createThrowawayDatabase, freePort } from '../test/setup/test-database';

export const ROOT = path.resolve(__dirname, '..');

export interface BenchDatabase {
  url: string;
  handle: DatabaseHandle;
  dispose(): Promise<void>;
}

/** A fresh database: on DATABASE_URL's server when set, else a throwaway embedded PostgreSQL. */
export async function benchDatabase(poolSize: number): Promise<BenchDatabase> {
  const database = await createThrowawayDatabase(process.env.DATABASE_URL, 'ticketing_bench');
  const handle = createDatabase(
    { url: database.url, poolSize, lockTimeoutMs: 1000, statementTimeoutMs: 60_000, connectTimeoutMs: 5000 },
    createLogger('warn'),
  );
  return {
    url: database.url,
    handle,
    dispose: async () => {
      await handle.close();
      await database.dispose();
    },
  };
}

/**
 * A fresh database that nothing has migrated yet, for a service under test to migrate with its own
 * migrations: a throwaway embedded cluster of its own, or a new database on DATABASE_URL's server.
 */
export async function emptyDatabase(
  name: string,
  extraFlags: string[] = [],
): Promise<{ url: string; dispose(): Promise<void> }> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const database = `${name}_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: external });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(external);
    url.pathname = `/${database}`;
    return {
      url: url.toString(),
      dispose: async () => {
        const client = new pg.Client({ connectionString: external });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${name}-`));
  await fs.chmod(dir, 0o755);
  const embedded = await startEmbeddedPostgres({
    dir,
    port: await freePort(),
    database: name,
    logger: createLogger('silent'),
    persistent: false,
    extraFlags,
  });
  return {
    url: embedded.url,
    dispose: async () => {
      await embedded.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export const JWT_SECRET = crypto.randomBytes(32).toString('hex');
export const tokens = new TokenService(JWT_SECRET, '1d');
export const TICKET_SIGNING_SECRET = crypto.randomBytes(32).toString('hex');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Bearer token of its /metrics (closed without one under NODE_ENV=production). */
  metricsToken: string;
  /** Peak resident memory of the server process so far, in MB (VmHWM). */
  peakMemoryMb(): Promise<number>;
  stop(): Promise<void>;
}

/** The built service (`<root>/dist/main.js`) as its own process, as in production. */
export async function startServer(
  databaseUrl: string,
  env: Record<string, string> = {},
  root = ROOT,
): Promise<ServerProcess> {
  const port = await freePort();
  const metricsToken = crypto.randomBytes(24).toString('hex');
  // BENCH_CPU_PROF=1 writes a V8 CPU profile of the server into bench/results/ for `--cpu-prof` analysis.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench/results')}`]
    : [];
  const child = spawn(process.execPath, [...profile, path.join(root, 'dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      // The benchmarks measure the purchase path; payments are simulated, allowed explicitly.
      ALLOW_SIMULATED_PAYMENTS: 'true',
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      TICKET_SIGNING_SECRET,
      PORT: String(port),
      WS_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      // The load generator's 500 buyers each order far more than a person could; the limiter still
      // runs on every request, as in production.
      ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
      TRUST_PROXY: 'false',
      METRICS_TOKEN: metricsToken,
      MAX_TICKETS_PER_ORDER: '10',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // A benchmark that crashes must not leave the service running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // a fresh cluster on a busy machine can take a while
  while (
    !(await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    metricsToken,
    async peakMemoryMb() {
      const status = await fs.readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return Math.round(kb / 1024);
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
