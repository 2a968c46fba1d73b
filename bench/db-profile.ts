/**
 * `npx tsx bench/db-profile.ts`: where PostgreSQL spends a reservation. A flash sale of a fixed
 * number of reservations against the built service, on an embedded server with
 * pg_stat_statements (nested statements tracked, so the statements inside reserve_order() show
 * up), then per reservation: statement times, rows and index entries written, WAL, and the
 * EXPLAIN (ANALYZE, BUFFERS) of one reserve_order() call (rolled back). For optimization work.
 */
import { cpuSettings, measure, startSide } from './cpu';
import { ROOT } from './setup';

async function main() {
  const requests = Number(process.env.BENCH_CPU_RESERVATIONS ?? 5000);
  const side = await startSide('profile', ROOT, cpuSettings(), [
    '-c',
    'shared_preload_libraries=pg_stat_statements',
    '-c',
    'pg_stat_statements.track=all',
    '-c',
    'track_io_timing=on',
  ]);
  const { pool } = side.handle;
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // PROFILE_SCENARIO=rejection: the sold-out rush instead of the flash sale.
    const scenario = process.env.PROFILE_SCENARIO === 'rejection' ? 'rejection' : 'reservation';
    await measure(side, scenario, 2000, 64); // warm-up
    await pool.query('SELECT pg_stat_statements_reset()');
    await pool.query('SELECT pg_stat_reset()');
    await pool.query("SELECT pg_stat_reset_shared('wal')");
    const sample = await measure(side, scenario, requests, 64);
    const n = sample.successes;
    console.log(
      `\n${n} ${scenario}s: service ${Math.round(sample.serviceUs / n)} µs, PostgreSQL ${Math.round(sample.databaseUs / n)} µs ` +
        `(client backends ${Math.round(sample.backendsUs / n)} µs) per ${scenario}\n`,
    );
    await new Promise((r) => setTimeout(r, 700)); // statistics are flushed by the backends about every second

    const statements = await pool.query(
      `
      SELECT round((total_exec_time * 1000 / $1)::numeric, 1) AS us_per_reservation, calls,
             round((total_exec_time * 1000 / greatest(calls, 1))::numeric, 1) AS us_per_call, toplevel,
             shared_blks_hit + shared_blks_read AS blocks, wal_records, regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS query
      FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 15`,
      [n],
    );
    console.log('pg_stat_statements (execution time, nested statements included in their callers):');
    console.table(statements.rows);

    const tables = await pool.query(`
      SELECT relname, n_tup_ins AS inserted, n_tup_upd AS updated, n_tup_hot_upd AS hot_updates,
             (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid) AS indexes
      FROM pg_stat_user_tables s WHERE n_tup_ins + n_tup_upd > 0 ORDER BY relname`);
    console.log('rows written during the run:');
    console.table(tables.rows);
    const wal = await pool.query(`SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal`);
    const w = wal.rows[0];
    console.log(
      `WAL per reservation: ${(w.wal_records / n).toFixed(1)} records, ${Math.round(w.wal_bytes / n)} bytes, ${(w.wal_fpi / n).toFixed(2)} full-page images\n`,
    );

    const ids = await pool.query<{ event_id: string; category_id: string }>(
      `SELECT c.event_id, c.id AS category_id FROM ticket_categories c WHERE c.name = 'Hot'`,
    );
    const { event_id, category_id } = ids.rows[0]!;
    const user = side.fixture.buyerIds[0];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const plan = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, VERBOSE) SELECT * FROM reserve_order($1, $2, $3::jsonb, 600000, NULL, NULL, 3)`,
        [user, event_id, JSON.stringify([{ category_id, quantity: 2 }])],
      );
      console.log('EXPLAIN (ANALYZE, BUFFERS) reserve_order():');
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
      const take = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS) UPDATE category_stock SET available = available - 2
         WHERE (category_id, bucket) = (SELECT category_id, bucket FROM category_stock
           WHERE category_id = $1 AND available >= 2 ORDER BY (bucket + 3) % 16 LIMIT 1 FOR UPDATE SKIP LOCKED)`,
        [category_id],
      );
      console.log("\nEXPLAIN (ANALYZE, BUFFERS) of take_stock()'s update:");
      console.log(take.rows.map((r) => r['QUERY PLAN']).join('\n'));
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  } finally {
    await side.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
