import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase } from '../../src/shared/db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/shared/db/embedded';
import { migrate } from '../../src/shared/db/migrate';
import { createLogger } from '../../src/shared/logger';

/** Where the suite's database lives; global setup writes it, every test worker reads it. */
export const TEST_DB_ENV = 'TICKETING_TEST_DB_URL';

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SuiteDatabase {
  url: string;
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database for one run (tests, benchmarks): a throwaway embedded PostgreSQL
 * (deleted afterwards), or, given a server URL, a new database created there and dropped after.
 */
export async function createThrowawayDatabase(external: string | undefined, prefix: string): Promise<SuiteDatabase> {
  const logger = createLogger('silent');
  let url: string;
  let stop: () => Promise<void>;

  if (external) {
    const name = `${prefix}_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: external });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const target = new URL(external);
    target.pathname = `/${name}`;
    url = target.toString();
    stop = async () => {
      const client = new pg.Client({ connectionString: external });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
    await fs.chmod(dir, 0o755);
    const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
      dir,
      port: await freePort(),
      database: prefix,
      logger,
      persistent: false,
    });
    url = embedded.url;
    stop = async () => {
      await embedded.stop();
      await fs.rm(dir, { recursive: true, force: true });
    };
  }

  const handle = createDatabase(
    { url, poolSize: 2, lockTimeoutMs: 5000, statementTimeoutMs: 60_000, connectTimeoutMs: 5000 },
    logger,
  );
  try {
    await migrate(handle.pool, logger);
  } finally {
    await handle.close();
  }
  return { url, dispose: stop };
}

/** The test suite's database: TEST_DATABASE_URL's server when set, else embedded. */
export const createSuiteDatabase = () => createThrowawayDatabase(process.env.TEST_DATABASE_URL, 'ticketing_test');
