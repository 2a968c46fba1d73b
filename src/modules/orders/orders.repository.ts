import { sql, type Transaction } from 'kysely';
import { queryKeepingConnection, type Database, type Executor } from '../../shared/db/database';
import type pg from 'pg';
import type { DB, OrderItemRow, OrderRow } from '../../shared/db/schema';
import type { OrderStatus } from '../../shared/domain';
import type { Pagination } from '../../shared/http/schemas';
import { MAX_STOCK_BUCKETS } from '../../shared/domain';
import type { OrderWithItems } from './order.presenter';
import { ReservationBatcher } from './reservation-batcher';

export interface RequestedLine {
  categoryId: string;
  quantity: number;
}

export interface NewOrder {
  userId: string;
  eventId: string;
  lines: RequestedLine[];
  holdMs: number;
  idempotencyKey?: string;
  requestHash?: string;
  /** The caller verified an admission token of this buyer for this event (virtual queue). */
  queueAdmitted: boolean;
}

/** What `reserve_order()` answered: the order, or why nothing was reserved. */
export type ReservationResult =
  | { ok: true; order: OrderWithItems }
  | { ok: false; reason: 'EVENT_NOT_FOUND' | 'EVENT_STARTED' | 'INSUFFICIENT_STOCK' | 'QUEUE_REQUIRED' }
  | { ok: false; reason: 'FOREIGN_CATEGORIES'; positions: number[] }
  | { ok: false; reason: 'SALES_CLOSED'; closed: ClosedCategory[] }
  | { ok: false; reason: 'LIMIT_EXCEEDED'; max: number; current: number; requested: number };

/** A category of the order outside its sales window, with that window. */
export interface ClosedCategory {
  categoryId: string;
  salesStart: Date | null;
  salesEnd: Date | null;
}

/** SQLSTATEs raised by reserve_order() (migrations/0003, 0005, 0010). */
const RESERVATION_ERRORS: Record<
  string,
  | 'EVENT_NOT_FOUND'
  | 'EVENT_STARTED'
  | 'INSUFFICIENT_STOCK'
  | 'FOREIGN_CATEGORIES'
  | 'SALES_CLOSED'
  | 'LIMIT_EXCEEDED'
  | 'QUEUE_REQUIRED'
> = {
  TK403: 'QUEUE_REQUIRED',
  TK404: 'EVENT_NOT_FOUND',
  TK409: 'EVENT_STARTED',
  TK001: 'INSUFFICIENT_STOCK',
  TK400: 'FOREIGN_CATEGORIES',
  TK423: 'SALES_CLOSED',
  TK429: 'LIMIT_EXCEEDED',
};

const toDate = (value: string | null) => (value === null ? null : new Date(value));

/** How an order was paid, as recorded at confirmation. */
export interface ConfirmedPayment {
  method: string;
  transactionId: string;
  provider: string;
  currency: string;
  /** The provider's state of the payment (simulated: succeeded). */
  state: string;
  /** 'capture' when the money is only authorized yet. */
  wanted: 'capture' | null;
}

export interface OrderFilters {
  userId?: string;
  eventId?: string;
  status?: OrderStatus;
}

export interface ExpiredHold {
  id: string;
  userId: string;
  eventId: string;
  expiresAt: Date;
  categoryId: string;
  quantity: number;
}

/** Purchases queued for the database go in batches of up to `batchSize` (1: each alone). */
export interface ReservationBatching {
  batchSize: number;
  /** Purchase calls at once: the pool's size. */
  maxInFlight: number;
  /** Told the number of orders of each purchase statement sent (a metric). */
  onSent?: (orders: number) => void;
}

/** The columns a reservation statement returns. */
type StoredOrder = Pick<
  OrderRow,
  'id' | 'user_id' | 'event_id' | 'status' | 'total_cents' | 'expires_at' | 'created_at' | 'updated_at'
>;

/** A just-reserved order, whole: what the statement returned plus the columns a new order starts without. */
function reservedOrder(order: NewOrder, stored: StoredOrder, items: OrderItemRow[]): OrderWithItems {
  return {
    ...stored,
    payment_method: null,
    transaction_id: null,
    payment_provider: null,
    refunded_at: null,
    confirmed_at: null,
    idempotency_key: order.idempotencyKey ?? null,
    request_hash: order.requestHash ?? null,
    items,
  };
}

export class OrderRepository {
  private readonly batcher: ReservationBatcher | undefined;

  constructor(
    private readonly db: Database,
    private readonly pool: pg.Pool,
    batching: ReservationBatching = { batchSize: 1, maxInFlight: 1 },
  ) {
    this.batcher =
      batching.batchSize > 1
        ? new ReservationBatcher(
            { one: (o) => this.reserveOne(o), many: (o) => this.reserveMany(o) },
            batching.maxInFlight,
            batching.batchSize,
            batching.onSent,
          )
        : undefined;
  }

  /**
   * The whole purchase in one statement, so bucket locks are held only while the server runs it:
   * alone, or with other purchases queued at that moment (ReservationBatcher).
   */
  reserve(order: NewOrder): Promise<ReservationResult> {
    return this.batcher ? this.batcher.reserve(order) : this.reserveOne(order);
  }

  /**
   * `reserve_order()` (migrations/0012): checks, prices, takes every line's stock or none and
   * records the order. A named (prepared) statement: parsed and planned once per connection.
   */
  async reserveOne(order: NewOrder): Promise<ReservationResult> {
    const lines = JSON.stringify(order.lines.map((l) => ({ category_id: l.categoryId, quantity: l.quantity })));
    try {
      const { rows } = await queryKeepingConnection<
        Omit<OrderRow, 'items'> & { items: Array<Omit<OrderItemRow, 'order_id'>> }
      >(this.pool, {
        name: 'reserve_order',
        text: 'SELECT * FROM reserve_order($1, $2, $3::jsonb, $4, $5, $6, $7, $8)',
        values: [
          order.userId,
          order.eventId,
          lines,
          order.holdMs,
          order.idempotencyKey ?? null,
          order.requestHash ?? null,
          Math.floor(Math.random() * MAX_STOCK_BUCKETS),
          order.queueAdmitted,
        ],
      });
      const { items, ...stored } = rows[0]!;
      return {
        ok: true,
        order: reservedOrder(
          order,
          stored,
          items.map((i) => ({ ...i, order_id: stored.id })),
        ),
      };
    } catch (error) {
      const { code, detail } = error as { code?: string; detail?: string };
      const reason = code ? RESERVATION_ERRORS[code] : undefined;
      if (reason === 'FOREIGN_CATEGORIES') {
        return { ok: false, reason, positions: (detail ?? '').split(',').map(Number) };
      }
      if (reason === 'SALES_CLOSED') {
        const closed = JSON.parse(detail ?? '[]') as Array<{
          category_id: string;
          sales_start: string | null;
          sales_end: string | null;
        }>;
        return {
          ok: false,
          reason,
          closed: closed.map((c) => ({
            categoryId: c.category_id,
            salesStart: toDate(c.sales_start),
            salesEnd: toDate(c.sales_end),
          })),
        };
      }
      if (reason === 'LIMIT_EXCEEDED') {
        const [max, current, requested] = (detail ?? '').split(',').map(Number) as [number, number, number];
        return { ok: false, reason, max, current, requested };
      }
      if (reason) return { ok: false, reason };
      throw error;
    }
  }

  /**
   * `reserve_orders()` (migrations/0015), for orders of one line each: one statement for all of
   * them. `undefined` for each order it left to `reserveOne()` (any refusal included, so the
   * refusal comes from the one function that words them).
   */
  async reserveMany(orders: NewOrder[]): Promise<Array<ReservationResult | undefined>> {
    const { rows } = await queryKeepingConnection<{
      ord: number;
      id: string;
      total_cents: number;
      expires_at: Date;
      created_at: Date;
      updated_at: Date;
      category_name: string;
      unit_price_cents: number;
      retry: boolean;
    }>(this.pool, {
      name: 'reserve_orders',
      text: 'SELECT * FROM reserve_orders($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::boolean[], $6::text[], $7::text[], $8, $9)',
      values: [
        orders.map((o) => o.userId),
        orders.map((o) => o.eventId),
        orders.map((o) => o.lines[0]!.categoryId),
        orders.map((o) => o.lines[0]!.quantity),
        orders.map((o) => o.queueAdmitted),
        orders.map((o) => o.idempotencyKey ?? null),
        orders.map((o) => o.requestHash ?? null),
        // Every order of a batch has the same hold time (the service's setting).
        orders[0]!.holdMs,
        Math.floor(Math.random() * MAX_STOCK_BUCKETS),
      ],
    });
    const results: Array<ReservationResult | undefined> = orders.map(() => undefined);
    for (const row of rows) {
      if (row.retry) continue;
      const order = orders[row.ord - 1]!;
      const line = order.lines[0]!;
      const stored = {
        id: row.id,
        user_id: order.userId,
        event_id: order.eventId,
        status: 'RESERVED' as const,
        total_cents: row.total_cents,
        expires_at: row.expires_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
      const item = {
        order_id: row.id,
        category_id: line.categoryId,
        category_name: row.category_name,
        quantity: line.quantity,
        unit_price_cents: row.unit_price_cents,
      };
      results[row.ord - 1] = { ok: true, order: reservedOrder(order, stored, [item]) };
    }
    return results;
  }

  findByIdempotencyKey(userId: string, key: string): Promise<OrderRow | undefined> {
    return this.db
      .selectFrom('orders')
      .selectAll()
      .where('user_id', '=', userId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  }

  async findById(id: string, db: Executor = this.db): Promise<OrderWithItems | undefined> {
    const order = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!order) return undefined;
    return (await this.withItems([order], db))[0];
  }

  async withItems(orders: OrderRow[], db: Executor = this.db): Promise<OrderWithItems[]> {
    if (orders.length === 0) return [];
    const items = await db
      .selectFrom('order_items')
      .selectAll()
      .where(
        'order_id',
        'in',
        orders.map((o) => o.id),
      )
      .execute();
    return orders.map((o) => ({ ...o, items: items.filter((i) => i.order_id === o.id) }));
  }

  /** Newest first. */
  async page(filters: OrderFilters, { page, limit }: Pagination): Promise<{ rows: OrderWithItems[]; total: number }> {
    let query = this.db.selectFrom('orders');
    if (filters.userId) query = query.where('user_id', '=', filters.userId);
    if (filters.eventId) query = query.where('event_id', '=', filters.eventId);
    if (filters.status) query = query.where('status', '=', filters.status);
    const [rows, count] = await Promise.all([
      query
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset((page - 1) * limit)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { rows: await this.withItems(rows), total: count.total };
  }

  /**
   * RESERVED → CONFIRMED in one statement, only while the hold is live by the database clock.
   * It takes the order's row lock, so it serializes with the expiry job and with cancellations;
   * whichever comes second re-reads the row and finds it no longer RESERVED.
   */
  async confirm(
    orderId: string,
    userId: string,
    payment: ConfirmedPayment,
  ): Promise<(OrderRow & { payment_row_id: number | null }) | undefined> {
    // The payment is recorded in the same statement: a confirmed order always has its payment row,
    // with the capture it is owed when the provider only authorized the money.
    const result = await sql<OrderRow & { payment_row_id: number | null }>`
      WITH confirmed AS (
        UPDATE orders
        SET status = 'CONFIRMED', payment_method = ${payment.method}, transaction_id = ${payment.transactionId},
            payment_provider = ${payment.provider}, confirmed_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = ${orderId} AND user_id = ${userId} AND status = 'RESERVED' AND expires_at > clock_timestamp()
        RETURNING *
      ), history AS (
        INSERT INTO order_status_changes (order_id, from_status, to_status, actor_id, reason)
        SELECT id, 'RESERVED', 'CONFIRMED', user_id, 'payment ' || transaction_id FROM confirmed
      ), paid AS (
        INSERT INTO payments AS p (order_id, kind, provider, provider_id, amount_cents, currency, state, wanted, next_attempt_at)
        SELECT id, 'payment', payment_provider, transaction_id, total_cents, ${payment.currency}, ${payment.state},
               ${payment.wanted}::text, CASE WHEN ${payment.wanted}::text IS NULL THEN NULL ELSE clock_timestamp() END
        FROM confirmed
        ON CONFLICT (provider, provider_id) DO UPDATE
          SET state = EXCLUDED.state, wanted = EXCLUDED.wanted, next_attempt_at = EXCLUDED.next_attempt_at,
              updated_at = clock_timestamp()
          WHERE p.order_id = EXCLUDED.order_id
        RETURNING p.id
      )
      SELECT confirmed.*, (SELECT id FROM paid) AS payment_row_id FROM confirmed`.execute(this.db);
    return result.rows[0];
  }

  /**
   * Locks the order and reads when its event starts: every cancellation and payment decision
   * starts here (lock-order table, docs/architecture.md).
   */
  async lockWithEventStart(
    trx: Transaction<DB>,
    orderId: string,
  ): Promise<(OrderRow & { event_starts_at: Date }) | undefined> {
    return trx
      .selectFrom('orders as o')
      .innerJoin('events as e', 'e.id', 'o.event_id')
      .selectAll('o')
      .select('e.starts_at as event_starts_at')
      .where('o.id', '=', orderId)
      .forUpdate('o')
      .executeTakeFirst();
  }

  async setStatus(
    trx: Transaction<DB>,
    order: OrderRow,
    to: OrderStatus,
    actorId: string | null,
    reason: string,
  ): Promise<OrderRow> {
    const updated = await trx
      .updateTable('orders')
      .set({ status: to, updated_at: sql`clock_timestamp()` })
      .where('id', '=', order.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('order_status_changes')
      .values({ order_id: order.id, from_status: order.status, to_status: to, actor_id: actorId, reason })
      .execute();
    return updated;
  }

  async quantitiesByCategory(trx: Transaction<DB>, orderIds: string[]): Promise<Map<string, number>> {
    const rows = await trx
      .selectFrom('order_items')
      .select(['category_id', sql<number>`sum(quantity)::int`.as('quantity')])
      .where('order_id', 'in', orderIds)
      .groupBy('category_id')
      .execute();
    return new Map(rows.map((r) => [r.category_id, r.quantity]));
  }

  /**
   * Marks up to `limit` overdue holds EXPIRED and returns their lines. SKIP LOCKED lets several
   * instances run this at once without waiting on, or double-processing, each other's rows; a
   * hold being confirmed right now is skipped and looked at again next round.
   */
  async expireDue(trx: Transaction<DB>, limit: number): Promise<ExpiredHold[]> {
    const result = await sql<{
      id: string;
      user_id: string;
      event_id: string;
      expires_at: Date;
      category_id: string;
      quantity: number;
    }>`
      WITH due AS (
        SELECT id FROM orders
        WHERE status = 'RESERVED' AND expires_at <= clock_timestamp()
        ORDER BY expires_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE orders o SET status = 'EXPIRED', updated_at = clock_timestamp()
        FROM due WHERE o.id = due.id
        RETURNING o.id, o.user_id, o.event_id, o.expires_at
      ), history AS (
        INSERT INTO order_status_changes (order_id, from_status, to_status, actor_id, reason)
        SELECT id, 'RESERVED', 'EXPIRED', NULL, 'hold expired' FROM expired
      )
      SELECT x.id, x.user_id, x.event_id, x.expires_at, i.category_id, i.quantity
      FROM expired x JOIN order_items i ON i.order_id = x.id`.execute(trx);
    return result.rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      eventId: r.event_id,
      expiresAt: r.expires_at,
      categoryId: r.category_id,
      quantity: r.quantity,
    }));
  }

  history(orderId: string) {
    return this.db
      .selectFrom('order_status_history')
      .select(['from_status', 'to_status', 'actor_id', 'reason', 'created_at'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
  }
}
