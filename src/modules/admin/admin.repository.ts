import { sql } from 'kysely';
import type { Database } from '../../shared/db/database';

export interface CategorySales {
  category_id: string;
  name: string;
  total_quantity: number;
  sold: number;
  held: number;
  available: number;
  revenue_cents: number;
}

/** Reporting queries. Money is summed in integer cents by PostgreSQL: exact, no float drift. */
export class AdminRepository {
  constructor(private readonly db: Database) {}

  async usersByRole(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('users')
      .select(['role', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('role')
      .execute();
    return new Map(rows.map((r) => [r.role, r.count]));
  }

  async eventCounts(): Promise<{ total: number; upcoming: number }> {
    return this.db
      .selectFrom('events')
      .select([
        (eb) => eb.fn.countAll<number>().as('total'),
        sql<number>`count(*) FILTER (WHERE starts_at > now())`.as('upcoming'),
      ])
      .executeTakeFirstOrThrow();
  }

  async ordersByStatus(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('orders')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    return new Map(rows.map((r) => [r.status, r.count]));
  }

  async confirmedTotals(): Promise<{ tickets: number; revenue_cents: number }> {
    return this.db
      .selectFrom('orders as o')
      .innerJoin('order_items as i', 'i.order_id', 'o.id')
      .select([
        sql<number>`coalesce(sum(i.quantity), 0)::bigint`.as('tickets'),
        sql<number>`coalesce(sum(i.quantity * i.unit_price_cents), 0)::bigint`.as('revenue_cents'),
      ])
      .where('o.status', '=', 'CONFIRMED')
      .executeTakeFirstOrThrow();
  }

  /**
   * Per category: sold (confirmed), held (live holds), available (the stock buckets) and
   * confirmed revenue.
   */
  categorySales(eventId: string): Promise<CategorySales[]> {
    return sql<CategorySales>`
      SELECT c.id AS category_id, c.name, c.total_quantity,
             coalesce(o.sold, 0)::int AS sold,
             coalesce(o.held, 0)::int AS held,
             coalesce(s.available, 0)::int AS available,
             coalesce(o.revenue_cents, 0)::bigint AS revenue_cents
      FROM ticket_categories c
      LEFT JOIN LATERAL (
        SELECT sum(available) AS available FROM category_stock WHERE category_id = c.id
      ) s ON true
      LEFT JOIN LATERAL (
        SELECT sum(i.quantity) FILTER (WHERE o.status = 'CONFIRMED') AS sold,
               sum(i.quantity) FILTER (WHERE o.status = 'RESERVED' AND o.expires_at > now()) AS held,
               sum(i.quantity * i.unit_price_cents) FILTER (WHERE o.status = 'CONFIRMED') AS revenue_cents
        FROM order_items i JOIN orders o ON o.id = i.order_id
        WHERE i.category_id = c.id
      ) o ON true
      WHERE c.event_id = ${eventId}
      ORDER BY c.created_at, c.id`
      .execute(this.db)
      .then((r) => r.rows);
  }
}
