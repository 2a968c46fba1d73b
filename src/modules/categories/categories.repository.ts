import { sql, type Transaction } from 'kysely';
import type { Database, Executor } from '../../shared/db/database';
import type { CategoryRow, DB } from '../../shared/db/schema';

export interface NewCategory {
  name: string;
  priceCents: number;
  totalQuantity: number;
  benefits: string[];
  /** ISO date-times; null or absent: no bound. */
  salesStart?: string | null;
  salesEnd?: string | null;
}

export type CategoryChanges = Partial<NewCategory>;

/** A category row with what can be bought right now. */
export type CategoryWithStock = CategoryRow & { available: number };

export class CategoryRepository {
  constructor(private readonly db: Database) {}

  async insert(trx: Transaction<DB>, eventId: string, category: NewCategory): Promise<CategoryRow> {
    return trx
      .insertInto('ticket_categories')
      .values({
        event_id: eventId,
        name: category.name,
        price_cents: category.priceCents,
        total_quantity: category.totalQuantity,
        benefits: category.benefits,
        sales_start: category.salesStart ?? null,
        sales_end: category.salesEnd ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The categories of these events, each with its live availability, in creation order. */
  listByEvents(eventIds: readonly string[], db: Executor = this.db): Promise<CategoryWithStock[]> {
    if (eventIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('ticket_categories as c')
      .selectAll('c')
      .select((eb) =>
        eb
          .selectFrom('category_stock as s')
          .select(sql<number>`coalesce(sum(s.available), 0)::int`.as('available'))
          .whereRef('s.category_id', '=', 'c.id')
          .as('available'),
      )
      .where('c.event_id', 'in', eventIds)
      .orderBy('c.created_at')
      .orderBy('c.id')
      .execute() as Promise<CategoryWithStock[]>;
  }

  lockForWrite(trx: Transaction<DB>, eventId: string, categoryId: string): Promise<CategoryRow | undefined> {
    return trx
      .selectFrom('ticket_categories')
      .selectAll()
      .where('id', '=', categoryId)
      .where('event_id', '=', eventId)
      .forNoKeyUpdate()
      .executeTakeFirst();
  }

  async update(trx: Transaction<DB>, categoryId: string, changes: CategoryChanges): Promise<CategoryRow> {
    return trx
      .updateTable('ticket_categories')
      .set({
        name: changes.name,
        price_cents: changes.priceCents,
        total_quantity: changes.totalQuantity,
        benefits: changes.benefits,
        sales_start: changes.salesStart,
        sales_end: changes.salesEnd,
        updated_at: sql`now()`,
      })
      .where('id', '=', categoryId)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(trx: Transaction<DB>, categoryId: string): Promise<void> {
    await trx.deleteFrom('ticket_categories').where('id', '=', categoryId).execute();
  }

  /** Sum of `cantidadTotal` over the event's categories, optionally leaving one out. */
  async totalQuantity(trx: Transaction<DB>, eventId: string, exceptCategoryId?: string): Promise<number> {
    let query = trx
      .selectFrom('ticket_categories')
      .select(sql<number>`coalesce(sum(total_quantity), 0)::int`.as('total'))
      .where('event_id', '=', eventId);
    if (exceptCategoryId) query = query.where('id', '<>', exceptCategoryId);
    return (await query.executeTakeFirstOrThrow()).total;
  }

  async hasOrders(trx: Transaction<DB>, categoryId: string): Promise<boolean> {
    const row = await trx
      .selectFrom('order_items')
      .select('order_id')
      .where('category_id', '=', categoryId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
