import { sql, type ExpressionBuilder, type Transaction } from 'kysely';
import type { Database, Executor } from '../../shared/db/database';
import type { DB, EventRow } from '../../shared/db/schema';
import { OPEN_STATUSES } from '../../shared/domain';
import type { Pagination } from '../../shared/http/schemas';

export interface EventFilters {
  /** UTC day, YYYY-MM-DD. */
  day?: string;
  location?: string;
  text?: string;
  available?: boolean;
}

export interface NewEvent {
  name: string;
  description: string;
  startsAt: Date;
  location: string;
  capacity: number;
  basePriceCents: number;
  organizerId: string;
  maxPerBuyer: number | null;
  virtualQueue: boolean;
}

export type EventChanges = Partial<Omit<NewEvent, 'organizerId'>>;

/**
 * Case- and accent-insensitive substring match ("malaga" finds "Málaga"). The search text is
 * folded first and escaped after, so `%`, `_` and `\` are literal characters, including the
 * full-width ones that unaccent() folds into them.
 */
const BACKSLASH = '\\';
const looselyContains = (column: 'location' | 'name' | 'description', value: string) =>
  sql<boolean>`immutable_unaccent(lower(${sql.ref(`events.${column}`)})) LIKE '%' || replace(replace(replace(
    immutable_unaccent(lower(${value})), ${BACKSLASH}, ${BACKSLASH + BACKSLASH}), '%', ${BACKSLASH + '%'}),
    '_', ${BACKSLASH + '_'}) || '%'`;

function applyFilters(eb: ExpressionBuilder<DB, 'events'>, filters: EventFilters) {
  const conditions = [];
  if (filters.day) {
    const start = new Date(`${filters.day}T00:00:00.000Z`);
    const end = new Date(start.getTime() + 86_400_000);
    conditions.push(eb('events.starts_at', '>=', start), eb('events.starts_at', '<', end));
  }
  if (filters.location) conditions.push(looselyContains('location', filters.location));
  if (filters.text)
    conditions.push(eb.or([looselyContains('name', filters.text), looselyContains('description', filters.text)]));
  if (filters.available !== undefined) {
    // Buyable now: the event has not started and some bucket of one of its categories has stock.
    const buyable = eb.and([
      eb('events.starts_at', '>', sql<Date>`now()`),
      eb.exists(
        eb
          .selectFrom('ticket_categories as c')
          .innerJoin('category_stock as s', 's.category_id', 'c.id')
          .select(sql`1`.as('one'))
          .whereRef('c.event_id', '=', 'events.id')
          .where('s.available', '>', 0),
      ),
    ]);
    conditions.push(filters.available ? buyable : eb.not(buyable));
  }
  return eb.and(conditions);
}

export class EventRepository {
  constructor(private readonly db: Database) {}

  async insert(trx: Transaction<DB>, event: NewEvent): Promise<EventRow> {
    return trx
      .insertInto('events')
      .values({
        name: event.name,
        description: event.description,
        starts_at: event.startsAt,
        location: event.location,
        capacity: event.capacity,
        base_price_cents: event.basePriceCents,
        organizer_id: event.organizerId,
        max_per_buyer: event.maxPerBuyer,
        virtual_queue: event.virtualQueue,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string, db: Executor = this.db): Promise<EventRow | undefined> {
    return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Locks the event row against other writers of the event (capacity checks), without blocking
   * buyers: their order inserts only take KEY SHARE locks, which NO KEY UPDATE does not conflict with.
   */
  lockForWrite(trx: Transaction<DB>, id: string): Promise<EventRow | undefined> {
    return trx.selectFrom('events').selectAll().where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  }

  /**
   * The strongest row lock (what DELETE takes): waits for purchases in flight, which hold KEY SHARE
   * on the event, and makes later ones wait and then find no event. See docs/architecture.md.
   */
  async lockForDelete(trx: Transaction<DB>, id: string): Promise<boolean> {
    const row = await trx.selectFrom('events').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    return row !== undefined;
  }

  async update(trx: Transaction<DB>, id: string, changes: EventChanges): Promise<EventRow> {
    return trx
      .updateTable('events')
      .set({
        name: changes.name,
        description: changes.description,
        starts_at: changes.startsAt,
        location: changes.location,
        capacity: changes.capacity,
        base_price_cents: changes.basePriceCents,
        max_per_buyer: changes.maxPerBuyer,
        virtual_queue: changes.virtualQueue,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Deletes the event with its categories, stock and (unconfirmed) orders. The orders go first:
   * their lines still point at the categories that the event's cascade removes.
   */
  async delete(trx: Transaction<DB>, id: string): Promise<void> {
    await trx.deleteFrom('orders').where('event_id', '=', id).execute();
    await trx.deleteFrom('events').where('id', '=', id).execute();
  }

  /** Soonest first; ties broken by id so pages never overlap. */
  async page(filters: EventFilters, { page, limit }: Pagination): Promise<{ rows: EventRow[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('events')
        .selectAll()
        .where((eb) => applyFilters(eb, filters))
        .orderBy('starts_at')
        .orderBy('id')
        .limit(limit)
        .offset((page - 1) * limit)
        .execute(),
      this.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where((eb) => applyFilters(eb, filters))
        .executeTakeFirstOrThrow(),
    ]);
    return { rows, total: count.total };
  }

  async hasOrdersInState(trx: Transaction<DB>, eventId: string, status: 'CONFIRMED'): Promise<boolean> {
    const row = await trx
      .selectFrom('orders')
      .select('id')
      .where('event_id', '=', eventId)
      .where('status', '=', status)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Locks the event's open orders so none of them can be confirmed between our check and the
   * delete (a confirmation waits on this lock, then finds the order gone).
   */
  async lockOpenOrders(trx: Transaction<DB>, eventId: string): Promise<void> {
    await trx
      .selectFrom('orders')
      .select('id')
      .where('event_id', '=', eventId)
      .where('status', 'in', OPEN_STATUSES)
      .orderBy('id')
      .forUpdate()
      .execute();
  }
}
