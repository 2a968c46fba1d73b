import { sql } from 'kysely';
import type { Database } from '../../src/shared/db/database';

export interface CategoryLedger {
  categoryId: string;
  total: number;
  available: number;
  held: number;
  sold: number;
  smallestBucket: number;
}

/**
 * Per category of the event, straight from the database: what the buckets say is available,
 * what live orders hold (RESERVED, whether or not past their deadline: until the job releases
 * a hold, its tickets are still out of the buckets) and what is sold (CONFIRMED).
 */
export async function ledger(db: Database, eventId: string): Promise<CategoryLedger[]> {
  const { rows } = await sql<CategoryLedger>`
    SELECT c.id AS "categoryId", c.total_quantity AS total,
           (SELECT coalesce(sum(available), 0)::int FROM category_stock s WHERE s.category_id = c.id) AS available,
           (SELECT coalesce(min(available), 0)::int FROM category_stock s WHERE s.category_id = c.id) AS "smallestBucket",
           (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE i.category_id = c.id AND o.status = 'RESERVED') AS held,
           (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE i.category_id = c.id AND o.status = 'CONFIRMED') AS sold
    FROM ticket_categories c WHERE c.event_id = ${eventId} ORDER BY c.created_at`.execute(db);
  return rows;
}

/** sold + held + available = total for every category, and no bucket below zero. */
export async function expectStockInvariants(db: Database, eventId: string): Promise<CategoryLedger[]> {
  const rows = await ledger(db, eventId);
  for (const r of rows) {
    expect({ category: r.categoryId, sum: r.sold + r.held + r.available }).toEqual({
      category: r.categoryId,
      sum: r.total,
    });
    expect(r.smallestBucket).toBeGreaterThanOrEqual(0);
    expect(r.available).toBeGreaterThanOrEqual(0);
  }
  return rows;
}

/**
 * Tickets match sales, per category: issued tickets (VALIDO + USADO) = tickets sold (lines of
 * CONFIRMED orders), no valid or used ticket of an order that is not CONFIRMED, and every
 * confirmed order has exactly its tickets.
 */
export async function expectTicketInvariants(db: Database, eventId: string): Promise<void> {
  const { rows } = await sql<{ categoryId: string; issued: number; sold: number }>`
    SELECT c.id AS "categoryId",
           (SELECT count(*)::int FROM tickets t WHERE t.category_id = c.id AND t.status IN ('VALIDO', 'USADO')) AS issued,
           (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
             WHERE i.category_id = c.id AND o.status = 'CONFIRMED') AS sold
    FROM ticket_categories c WHERE c.event_id = ${eventId}`.execute(db);
  for (const r of rows)
    expect({ category: r.categoryId, issued: r.issued }).toEqual({ category: r.categoryId, issued: r.sold });
  const stray = await sql<{ id: string; status: string }>`
    SELECT t.id, o.status FROM tickets t JOIN orders o ON o.id = t.order_id
    WHERE t.event_id = ${eventId} AND t.status <> 'ANULADO' AND o.status <> 'CONFIRMED'`.execute(db);
  expect(stray.rows).toEqual([]);
  const mismatched = await sql<{ id: string }>`
    SELECT o.id FROM orders o
    WHERE o.event_id = ${eventId} AND o.status = 'CONFIRMED'
      AND (SELECT count(*) FROM tickets t WHERE t.order_id = o.id AND t.status <> 'ANULADO')
          <> (SELECT sum(quantity) FROM order_items i WHERE i.order_id = o.id)`.execute(db);
  expect(mismatched.rows).toEqual([]);
}
