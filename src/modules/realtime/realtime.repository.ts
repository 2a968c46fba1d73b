import { sql } from 'kysely';
import type { Config } from '../../shared/config';
import type { Database } from '../../shared/db/database';

export interface StockSnapshot {
  category_id: string;
  event_id: string;
  available: number;
  /** True only for the one reader that saw the stock cross down to the low-stock threshold. */
  crossed_low: boolean;
}

/** `available` is at or below the threshold, as SQL over the `stock` row below. */
function lowStockCondition(threshold: Config['lowStockThreshold']) {
  return threshold.kind === 'percent'
    ? sql`stock.available * 100 <= stock.total_quantity * ${threshold.value}::numeric`
    : sql`stock.available <= ${threshold.value}::numeric`;
}

export class RealtimeRepository {
  constructor(
    private readonly db: Database,
    private readonly lowStock: Config['lowStockThreshold'],
  ) {}

  async eventExists(eventId: string): Promise<boolean> {
    return (await this.db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()) !== undefined;
  }

  /**
   * Current stock of the categories, and in the same statement the low-stock flag flipped
   * wherever the stock crossed the threshold. The row update makes the flip happen once, even
   * when several instances read at the same moment: only the one whose update flipped it false →
   * true reports `crossed_low`.
   */
  async snapshot(categoryIds: string[]): Promise<StockSnapshot[]> {
    if (categoryIds.length === 0) return [];
    const { rows } = await sql<StockSnapshot>`
      WITH stock AS (
        SELECT c.id, c.event_id, c.total_quantity, coalesce(sum(s.available), 0)::int AS available
        FROM ticket_categories c LEFT JOIN category_stock s ON s.category_id = c.id
        WHERE c.id = ANY(${categoryIds}::uuid[])
        GROUP BY c.id
      ), flipped AS (
        UPDATE ticket_categories t SET low_stock_alerted = NOT t.low_stock_alerted
        FROM stock
        WHERE t.id = stock.id AND t.low_stock_alerted <> (${lowStockCondition(this.lowStock)})
        RETURNING t.id, t.low_stock_alerted
      )
      SELECT stock.id AS category_id, stock.event_id, stock.available,
             coalesce(flipped.low_stock_alerted, false) AS crossed_low
      FROM stock LEFT JOIN flipped ON flipped.id = stock.id`.execute(this.db);
    return rows;
  }
}
