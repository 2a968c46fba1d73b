import pg from 'pg';
import { queryKeepingConnection } from '../src/shared/db/database';
import { testDatabaseUrl } from './helpers/service';
import { eventually } from './helpers/wait';

/** A refusal PostgreSQL raises keeps the pooled connection; a broken session does not. */
describe('queryKeepingConnection', () => {
  let pool: pg.Pool;
  let removed = 0;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
    pool.on('remove', () => (removed += 1));
    pool.on('error', () => undefined);
  });
  afterAll(() => pool.end());

  const backend = async () =>
    (await queryKeepingConnection<{ pid: number }>(pool, { text: 'SELECT pg_backend_pid() AS pid' })).rows[0]!.pid;

  it('keeps the connection after an error the statement raised (pg-pool’s query() would discard it)', async () => {
    const before = await backend();
    for (const text of ['SELECT 1 / 0', "DO $$ BEGIN RAISE EXCEPTION 'sold out' USING ERRCODE = 'TK001'; END $$"]) {
      await expect(queryKeepingConnection(pool, { text })).rejects.toHaveProperty('code');
    }
    expect(await backend()).toBe(before);
    expect(removed).toBe(0);

    // The same refusal through pool.query(): a new backend afterwards.
    await expect(pool.query('SELECT 1 / 0')).rejects.toHaveProperty('code', '22012');
    expect(await backend()).not.toBe(before);
    await eventually(() => removed === 1, 'the connection removed from the pool');
  });

  it('discards a connection whose session ended', async () => {
    const before = await backend();
    await expect(
      queryKeepingConnection(pool, { text: 'SELECT pg_terminate_backend(pg_backend_pid())' }),
    ).rejects.toHaveProperty('code', '57P01');
    await eventually(() => removed === 2, 'the connection removed from the pool');
    expect(await backend()).not.toBe(before);
  });
});
