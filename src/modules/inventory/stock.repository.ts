import { sql, type Transaction } from 'kysely';
import type { Executor } from '../../shared/db/database';
import type { DB } from '../../shared/db/schema';
import { MAX_STOCK_BUCKETS, MIN_TICKETS_PER_BUCKET } from '../../shared/domain';

/** A RESERVED order made for a waiting-list entry when tickets were freed. */
export interface WaitlistOffer {
  entryId: string;
  orderId: string;
  userId: string;
  eventId: string;
  categoryId: string;
  expiresAt: Date;
}
interface RawOffer {
  entry_id: string;
  order_id: string;
  user_id: string;
  event_id: string;
  expires_at: string;
}

export function bucketCount(totalQuantity: number): number {
  return Math.max(1, Math.min(MAX_STOCK_BUCKETS, Math.floor(totalQuantity / MIN_TICKETS_PER_BUCKET)));
}

/** Spreads `available` as evenly as possible over the buckets of a category of `totalQuantity`. */
export function splitIntoBuckets(available: number, totalQuantity: number): number[] {
  const n = bucketCount(totalQuantity);
  const base = Math.floor(available / n);
  return Array.from({ length: n }, (_, i) => base + (i < available % n ? 1 : 0));
}

/**
 * SQL over `category_stock`: the only table the purchase path writes to under contention.
 * sum(available) over a category's buckets is what can be bought right now. Taking stock is
 * done by the `take_stock()` database function, called from `OrderRepository.reserve`.
 */
export class StockRepository {
  /**
   * Available tickets per category, with when its sales close (null: when the event starts), so a
   * sold-out answer kept in memory is not given for a category whose window has closed since.
   */
  async saleState(
    db: Executor,
    categoryIds: readonly string[],
  ): Promise<Map<string, { available: number; salesEnd: Date | null }>> {
    if (categoryIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('ticket_categories as c')
      .select((eb) => [
        'c.id',
        'c.sales_end',
        eb
          .selectFrom('category_stock as s')
          .select(sql<number>`coalesce(sum(s.available), 0)::int`.as('available'))
          .whereRef('s.category_id', '=', 'c.id')
          .as('available'),
      ])
      .where('c.id', 'in', categoryIds)
      .execute();
    return new Map(rows.map((r) => [r.id, { available: r.available ?? 0, salesEnd: r.sales_end }]));
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

  /**
   * Sets a category's stock to `available`, spread over the bucket count that `totalQuantity`
   * calls for. The caller holds the locks of every bucket (or just created the category).
   * Buckets are updated in place, so a releaser waiting on one finds it still there.
   */
  async rewrite(trx: Transaction<DB>, categoryId: string, available: number, totalQuantity: number): Promise<void> {
    const buckets = splitIntoBuckets(available, totalQuantity);
    await trx
      .insertInto('category_stock')
      .values(buckets.map((amount, bucket) => ({ category_id: categoryId, bucket, available: amount })))
      .onConflict((oc) =>
        oc.columns(['category_id', 'bucket']).doUpdateSet({ available: (eb) => eb.ref('excluded.available') }),
      )
      .execute();
    await trx
      .deleteFrom('category_stock')
      .where('category_id', '=', categoryId)
      .where('bucket', '>=', buckets.length)
      .execute();
  }

  /**
   * Categories where a waiting entry fits the fullest bucket (what `release_stock()` serves from),
   * the event has not started and sales are open: tickets on sale that the list should have had.
   * That happens when a release skipped the entry because its buyer was buying at that moment
   * (the per-buyer lock is only tried, never waited for); the expiry job then serves them.
   */
  async categoriesOwedToWaitlists(db: Executor, limit: number): Promise<string[]> {
    const { rows } = await sql<{ category_id: string }>`
      SELECT DISTINCT w.category_id
      FROM waitlist_entries w
      JOIN ticket_categories c ON c.id = w.category_id
      JOIN events e ON e.id = c.event_id
      WHERE w.status = 'EN_ESPERA' AND e.starts_at > now()
        AND (c.sales_start IS NULL OR c.sales_start <= now()) AND (c.sales_end IS NULL OR c.sales_end > now())
        AND w.quantity <= (SELECT max(s.available) FROM category_stock s WHERE s.category_id = w.category_id)
      LIMIT ${limit}`.execute(db);
    return rows.map((r) => r.category_id);
  }

  /** Whether buyers wait on the category's waiting list (a capacity raise then serves them first). */
  async hasWaitingEntries(trx: Transaction<DB>, categoryId: string): Promise<boolean> {
    const row = await trx
      .selectFrom('waitlist_entries')
      .select('id')
      .where('category_id', '=', categoryId)
      .where('status', '=', 'EN_ESPERA')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Returns freed tickets, one category at a time in id order (so two releasers never deadlock),
   * through `release_stock()` (migrations/0010): the category's waiting list is served first, in
   * the same statement, with RESERVED orders of `holdMs`; what nobody waiting can use goes back
   * on sale. Returns the offers made.
   */
  async release(
    trx: Transaction<DB>,
    quantities: ReadonlyMap<string, number>,
    holdMs: number,
  ): Promise<WaitlistOffer[]> {
    const offers: WaitlistOffer[] = [];
    for (const categoryId of [...quantities.keys()].sort()) {
      const { rows } = await sql<{ offers: RawOffer[] }>`
        SELECT release_stock(${categoryId}, ${quantities.get(categoryId)!}, ${holdMs}) AS offers`.execute(trx);
      for (const o of rows[0]!.offers) {
        offers.push({
          entryId: o.entry_id,
          orderId: o.order_id,
          userId: o.user_id,
          eventId: o.event_id,
          categoryId,
          expiresAt: new Date(o.expires_at),
        });
      }
    }
    return offers;
  }
}
