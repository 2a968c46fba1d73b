import { sql, type Transaction } from 'kysely';
import type { Database } from '../../shared/db/database';
import type { DB } from '../../shared/db/schema';

type Executor = Database | Transaction<DB>;

/** Buckets give buyers of one category separate rows to lock; more than 16 stopped helping. */
const MAX_BUCKETS = 16;
/** Keep buckets big enough that a usual order fits in one, so orders rarely combine buckets. */
const MIN_TICKETS_PER_BUCKET = 25;

export function bucketCount(totalQuantity: number): number {
  return Math.max(1, Math.min(MAX_BUCKETS, Math.floor(totalQuantity / MIN_TICKETS_PER_BUCKET)));
}

/** Spreads `available` as evenly as possible over the buckets of a category of `totalQuantity`. */
export function splitIntoBuckets(available: number, totalQuantity: number): number[] {
  const n = bucketCount(totalQuantity);
  const base = Math.floor(available / n);
  return Array.from({ length: n }, (_, i) => base + (i < available % n ? 1 : 0));
}

/**
 * SQL over `category_stock`: the only table the purchase path writes to under contention.
 * sum(available) over a category's buckets is what can be bought right now.
 */
export class StockRepository {
  /** Available tickets per category (categories without buckets are absent). */
  async availability(db: Executor, categoryIds: readonly string[]): Promise<Map<string, number>> {
    if (categoryIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('category_stock')
      .select(['category_id', sql<number>`sum(available)::int`.as('available')])
      .where('category_id', 'in', categoryIds)
      .groupBy('category_id')
      .execute();
    return new Map(rows.map((r) => [r.category_id, r.available]));
  }

  /**
   * Locks every bucket of a category (in bucket order, so two writers never deadlock) and
   * returns what is available. Used by the rare writers that must see the whole stock at once:
   * capacity changes and multi-bucket reservations.
   */
  async lockAvailable(trx: Transaction<DB>, categoryId: string): Promise<number> {
    const rows = await trx
      .selectFrom('category_stock')
      .select('available')
      .where('category_id', '=', categoryId)
      .orderBy('bucket')
      .forUpdate()
      .execute();
    return rows.reduce((sum, r) => sum + r.available, 0);
  }

  /** Replaces a category's buckets; the caller holds their locks (or just created the category). */
  async rewrite(trx: Transaction<DB>, categoryId: string, available: number, totalQuantity: number): Promise<void> {
    await trx.deleteFrom('category_stock').where('category_id', '=', categoryId).execute();
    const buckets = splitIntoBuckets(available, totalQuantity);
    await trx
      .insertInto('category_stock')
      .values(buckets.map((amount, bucket) => ({ category_id: categoryId, bucket, available: amount })))
      .execute();
  }
}
