import { sql, type Transaction } from 'kysely';
import type { Database, Executor } from '../../shared/db/database';
import type { DB, WaitlistEntryRow } from '../../shared/db/schema';
import type { WaitlistEntryWithPosition } from './waitlist.presenter';

/** A category with what the waiting list needs to know about its event. */
export interface WaitlistCategory {
  category_id: string;
  event_id: string;
  starts_at: Date;
  max_per_buyer: number | null;
  virtual_queue: boolean;
}

/** Place among the waiting entries of the same category (1: next), for a row aliased `w`. */
const position = sql<number>`(SELECT count(*)::int FROM waitlist_entries x
  WHERE x.category_id = w.category_id AND x.status = 'EN_ESPERA' AND x.seq <= w.seq)`;

/**
 * SQL over `waitlist_entries`. Entries are served by `release_stock()` (migrations/0010), inside
 * the statement that frees tickets; nothing here hands out stock.
 */
export class WaitlistRepository {
  constructor(private readonly db: Database) {}

  /**
   * The category (of this event) and its event, KEY SHARE on the event only: the lock the entry's
   * foreign key takes anyway, before the buckets, so an event deletion and a join never wait on
   * each other in a cycle. The category's KEY SHARE is left to the entry's insert, after the
   * buckets: a category deletion locks the buckets before it deletes the row, and a join holding
   * that row first would close a cycle with it.
   */
  async lockCategory(trx: Transaction<DB>, eventId: string, categoryId: string): Promise<WaitlistCategory | undefined> {
    const { rows } = await sql<WaitlistCategory>`
      SELECT c.id AS category_id, c.event_id, e.starts_at, e.max_per_buyer, e.virtual_queue
      FROM ticket_categories c JOIN events e ON e.id = c.event_id
      WHERE c.id = ${categoryId} AND c.event_id = ${eventId}
      FOR KEY SHARE OF e`.execute(trx);
    return rows[0];
  }

  /**
   * What is on sale in the category, with FOR SHARE on every bucket (bucket order) until the
   * join commits: a release waits for it, and then sees the new entry (see release_stock).
   */
  async lockAvailable(trx: Transaction<DB>, categoryId: string): Promise<number> {
    const { rows } = await sql<{ available: number }>`
      SELECT available FROM category_stock WHERE category_id = ${categoryId} ORDER BY bucket FOR SHARE`.execute(trx);
    return rows.reduce((sum, r) => sum + r.available, 0);
  }

  async insert(
    trx: Transaction<DB>,
    entry: { eventId: string; categoryId: string; userId: string; quantity: number },
  ): Promise<WaitlistEntryWithPosition> {
    const row = await trx
      .insertInto('waitlist_entries')
      .values({
        event_id: entry.eventId,
        category_id: entry.categoryId,
        user_id: entry.userId,
        quantity: entry.quantity,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, position: await this.positionOf(trx, row) };
  }

  private async positionOf(db: Executor, row: WaitlistEntryRow): Promise<number> {
    const { count } = await db
      .selectFrom('waitlist_entries')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('category_id', '=', row.category_id)
      .where('status', '=', 'EN_ESPERA')
      .where('seq', '<=', row.seq)
      .executeTakeFirstOrThrow();
    return count;
  }

  /** The buyer's entries, newest first. */
  async mine(userId: string, limit: number): Promise<WaitlistEntryWithPosition[]> {
    return this.db
      .selectFrom('waitlist_entries as w')
      .selectAll('w')
      .select(position.as('position'))
      .where('w.user_id', '=', userId)
      .orderBy('w.created_at', 'desc')
      .orderBy('w.seq', 'desc')
      .limit(limit)
      .execute();
  }

  /** Locks one entry (nothing else) before leaving the list. */
  lockEntry(trx: Transaction<DB>, entryId: string): Promise<WaitlistEntryRow | undefined> {
    return trx.selectFrom('waitlist_entries').selectAll().where('id', '=', entryId).forUpdate().executeTakeFirst();
  }

  async setStatus(
    trx: Transaction<DB>,
    entryId: string,
    status: WaitlistEntryRow['status'],
  ): Promise<WaitlistEntryWithPosition> {
    const row = await trx
      .updateTable('waitlist_entries')
      .set({ status, updated_at: sql`clock_timestamp()` })
      .where('id', '=', entryId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, position: null };
  }
}
