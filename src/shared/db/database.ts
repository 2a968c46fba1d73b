import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger';
import type { DB } from './schema';

export type Database = Kysely<DB>;
/** Where a repository method runs: the pool, or the caller's transaction. */
export type Executor = Database | Transaction<DB>;

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

interface PoolOptions {
  url: string;
  poolSize: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName?: string;
}

// COUNT(*) and SUM() come back as int8; our counts and cents fit a JS number exactly.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * One pool per process. Every session gets a lock and statement timeout up front, so a request
 * waiting on a busy row or a stuck server fails fast (mapped to 503) instead of hanging.
 */
export function createDatabase(options: PoolOptions, logger: Logger): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'ticketing-api',
    options: [
      `-c lock_timeout=${options.lockTimeoutMs}`,
      `-c statement_timeout=${options.statementTimeoutMs}`,
      `-c idle_in_transaction_session_timeout=${Math.max(options.statementTimeoutMs * 2, 10_000)}`,
      '-c timezone=UTC',
    ].join(' '),
    types,
  });
  let closing = false;
  const connectionsClosed = trackConnections(pool);
  // An idle client losing its connection (server restart) must not crash the process; while we
  // close, the server going away is expected.
  pool.on('error', (error) =>
    closing
      ? logger.debug({ err: error }, 'idle database connection closed')
      : logger.warn({ err: error }, 'idle database connection failed'),
  );
  // A connection lost while checked out fails its query; this keeps the stray 'error' event that
  // pg may emit as well from becoming an uncaught exception.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.debug({ err: error }, 'database connection lost')),
  );
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: async () => {
      closing = true;
      // Kysely's destroy() ends the pool it was given.
      await db.destroy();
      await connectionsClosed();
    },
  };
}

/**
 * pool.end() resolves as soon as its clients are told to end, before their connections are
 * closed; stopping the server right then makes it terminate them, and that is logged as an
 * error. The returned function waits for the last connection to be gone (or `timeoutMs`).
 */
export function trackConnections(pool: pg.Pool): (timeoutMs?: number) => Promise<void> {
  let open = 0;
  let waiters: Array<() => void> = [];
  pool.on('connect', () => {
    open += 1;
  });
  pool.on('remove', () => {
    open -= 1;
    if (open > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  });
  return (timeoutMs = 5000) =>
    open <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, timeoutMs).unref();
        });
}

/** SQLSTATE classes after which a connection is not trusted again: connection exception, operator intervention, system, internal. */
const BROKEN_CONNECTION = /^(08|57P|53|58|XX)/;

/**
 * `pool.query()` that keeps the connection after an error PostgreSQL raised. pg-pool's own
 * `query()` discards the connection on any error, so each refusal a statement raises (sold out,
 * over the buyer's limit, a duplicate Idempotency-Key) cost a new backend: fork, authentication,
 * catalog caches and the prepared statements again. In a sold-out rush that was a new connection
 * every few requests, 70–100 µs of PostgreSQL CPU per rejection. An error without a SQLSTATE
 * (connection lost, protocol) or of a class that may leave the session unusable still discards it.
 */
export async function queryKeepingConnection<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  query: pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let result: pg.QueryResult<R>;
  try {
    result = await client.query<R>(query);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    client.release(typeof code === 'string' && !BROKEN_CONNECTION.test(code) ? undefined : (error as Error));
    throw error;
  }
  client.release();
  return result;
}
