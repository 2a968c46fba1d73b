import { sql } from 'kysely';
import { bucketCount } from '../src/modules/inventory/stock.repository';
import { ERROR_STATUS, MAX_STOCK_BUCKETS, ORDER_STATUSES, ROLES, TICKET_STATUSES } from '../src/shared/domain';
import { startTestService, type TestService } from './helpers/service';

/** The SQL side of `shared/domain.ts`: migrations are append-only, so they are checked, not generated. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

async function enumValues(type: string): Promise<string[]> {
  const { rows } = await sql<{ value: string }>`
    SELECT e.enumlabel AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
    WHERE t.typname = ${type} ORDER BY e.enumsortorder`.execute(svc.database.db);
  return rows.map((r) => r.value);
}

describe('domain constants agree with the database', () => {
  it('order statuses and roles are the PostgreSQL enums, in the same order', async () => {
    expect(await enumValues('order_status')).toEqual([...ORDER_STATUSES]);
    expect(await enumValues('user_role')).toEqual([...ROLES]);
    expect(await enumValues('ticket_status')).toEqual([...TICKET_STATUSES]);
  });

  it('take_stock() spreads buyers over exactly MAX_STOCK_BUCKETS buckets', async () => {
    const { rows } = await sql<{ source: string }>`
      SELECT prosrc AS source FROM pg_proc WHERE proname = 'take_stock'`.execute(svc.database.db);
    expect(rows).toHaveLength(1);
    const moduli = [...rows[0]!.source.matchAll(/%\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(moduli.length).toBeGreaterThan(0);
    expect(new Set(moduli)).toEqual(new Set([MAX_STOCK_BUCKETS]));
    expect(bucketCount(1_000_000)).toBe(MAX_STOCK_BUCKETS);
  });

  it('every error code maps to a 4xx or 5xx status', () => {
    for (const status of Object.values(ERROR_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
  });
});
