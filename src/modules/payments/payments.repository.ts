import { sql, type Transaction } from 'kysely';
import type { Database, Executor } from '../../shared/db/database';
import type { DB, OrderRow, PaymentRow, PaymentWanted } from '../../shared/db/schema';
import { MAX_STOCK_BUCKETS, type OrderStatus } from '../../shared/domain';
import type { ProviderIntent } from './provider';

/** How long to wait before retrying a failed provider call: 5 s, doubling, at most an hour. */
const BACKOFF_SQL = sql`least(interval '1 hour', interval '5 seconds' * power(2, least(attempts, 12)))`;

/** SQL over `payments` and `provider_events` (migrations/0006). */
export class PaymentRepository {
  constructor(private readonly db: Database) {}

  findPayment(orderId: string, provider: string, providerId: string, db: Executor = this.db) {
    return db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('kind', '=', 'payment')
      .where('provider', '=', provider)
      .where('provider_id', '=', providerId)
      .executeTakeFirst();
  }

  latestPayment(orderId: string, provider: string): Promise<PaymentRow | undefined> {
    return this.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('kind', '=', 'payment')
      .where('provider', '=', provider)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  forOrder(orderId: string): Promise<PaymentRow[]> {
    return this.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
  }

  /** Records an intent the provider created (or reports again); a row already there keeps its pending call. */
  async recordIntent(
    orderId: string,
    provider: string,
    intent: ProviderIntent,
    db: Executor = this.db,
    overwrite = true,
  ): Promise<void> {
    await db
      .insertInto('payments')
      .values({
        order_id: orderId,
        kind: 'payment',
        provider,
        provider_id: intent.id,
        amount_cents: intent.amountCents,
        currency: intent.currency,
        state: intent.status,
      })
      .onConflict((oc) =>
        overwrite
          ? oc
              .columns(['provider', 'provider_id'])
              .doUpdateSet({ state: intent.status, updated_at: sql`clock_timestamp()` })
          : oc.columns(['provider', 'provider_id']).doNothing(),
      )
      .execute();
  }

  /**
   * Marks the event as processed; false when it already was (a redelivery). Taken inside the
   * transaction that acts on it, so an event counts as processed exactly when its effect commits.
   */
  async claimEvent(trx: Transaction<DB>, provider: string, eventId: string, type: string, orderId: string | null) {
    const row = await trx
      .insertInto('provider_events')
      .values({ provider, event_id: eventId, event_type: type, order_id: orderId })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Takes the order's tickets again under the purchase rules (retake_order_stock, migrations/0009):
   * null when taken, else why not ('stock': not all are there; 'limit': the buyer would pass the
   * event's per-buyer limit).
   */
  async retakeStock(trx: Transaction<DB>, orderId: string): Promise<'stock' | 'limit' | null> {
    const start = Math.floor(Math.random() * MAX_STOCK_BUCKETS);
    const { rows } = await sql<{
      refused: 'stock' | 'limit' | null;
    }>`SELECT retake_order_stock(${orderId}, ${start}) AS refused`.execute(trx);
    return rows[0]!.refused;
  }

  /** Any → CONFIRMED with the provider's payment, and the history entry saying why. */
  async confirmWithProvider(
    trx: Transaction<DB>,
    order: OrderRow,
    payment: { provider: string; transactionId: string; method: string },
    reason: string,
  ): Promise<OrderRow> {
    const updated = await trx
      .updateTable('orders')
      .set({
        status: 'CONFIRMED',
        payment_method: payment.method,
        transaction_id: payment.transactionId,
        payment_provider: payment.provider,
        confirmed_at: sql`clock_timestamp()`,
        updated_at: sql`clock_timestamp()`,
      })
      .where('id', '=', order.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.note(trx, order.id, order.status, 'CONFIRMED', reason);
    return updated;
  }

  /** A history entry; from = to when the order stayed as it was (e.g. a refused late payment). */
  async note(trx: Transaction<DB>, orderId: string, from: OrderStatus | null, to: OrderStatus, reason: string) {
    await trx
      .insertInto('order_status_changes')
      .values({ order_id: orderId, from_status: from, to_status: to, actor_id: null, reason })
      .execute();
  }

  /**
   * Records what the provider last said about the intent and which call it is owed, due now.
   * Release always wins over capture: once money must go back it is never taken.
   */
  async want(
    trx: Executor,
    orderId: string,
    provider: string,
    intentId: string,
    state: string | undefined,
    wanted: PaymentWanted | null,
  ): Promise<number | undefined> {
    const row = await trx
      .updateTable('payments')
      .set({
        ...(state ? { state } : {}),
        wanted: wanted === 'capture' ? sql`CASE WHEN wanted = 'release' THEN wanted ELSE 'capture' END` : wanted,
        // Attempts count the calls made for what is owed now.
        attempts: 0,
        next_attempt_at: sql`clock_timestamp()`,
        updated_at: sql`clock_timestamp()`,
      })
      .where('order_id', '=', orderId)
      .where('kind', '=', 'payment')
      .where('provider', '=', provider)
      .where('provider_id', '=', intentId)
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  /** Every payment of the order that may still hold money gets a release owed (a cancelled order). */
  async releaseAll(trx: Transaction<DB>, orderId: string): Promise<number[]> {
    const rows = await trx
      .updateTable('payments')
      .set({
        wanted: 'release',
        attempts: 0,
        next_attempt_at: sql`clock_timestamp()`,
        updated_at: sql`clock_timestamp()`,
      })
      .where('order_id', '=', orderId)
      .where('kind', '=', 'payment')
      .where('state', 'not in', ['canceled', 'refunded'])
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Rows with a provider call due, oldest first. */
  async due(limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('payments')
      .select('id')
      .where('wanted', 'is not', null)
      .where('next_attempt_at', '<=', sql<Date>`clock_timestamp()`)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Takes the row's owed call for this process: pushes its next attempt into the future (so no
   * other instance or loop makes the same call meanwhile) and counts the attempt. No lock is
   * held afterwards: the provider call happens outside any transaction.
   */
  async claim(id: number): Promise<PaymentRow | undefined> {
    return this.db
      .updateTable('payments')
      .set({
        attempts: sql`attempts + 1`,
        next_attempt_at: sql`clock_timestamp() + ${BACKOFF_SQL}`,
        updated_at: sql`clock_timestamp()`,
      })
      .where('id', '=', id)
      .where('wanted', 'is not', null)
      .where('next_attempt_at', '<=', sql<Date>`clock_timestamp()`)
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * The owed call was made: record the provider's state, and clear `wanted` unless it changed
   * meanwhile (a release decided while a capture was in flight is then made next).
   */
  async done(id: number, did: PaymentWanted, state: string): Promise<void> {
    await this.db
      .updateTable('payments')
      .set({
        state,
        wanted: sql`CASE WHEN wanted = ${did} THEN NULL ELSE wanted END`,
        next_attempt_at: sql`CASE WHEN wanted = ${did} THEN NULL ELSE clock_timestamp() END`,
        last_error: null,
        updated_at: sql`clock_timestamp()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async failed(id: number, error: string): Promise<void> {
    await this.db
      .updateTable('payments')
      .set({ last_error: error.slice(0, 500), updated_at: sql`clock_timestamp()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * The money of a payment went back (refund made or authorization cancelled): records the refund,
   * and stamps the order refunded when it had been confirmed and is now cancelled.
   */
  async released(
    payment: PaymentRow,
    state: string,
    refund: { provider: string; id: string; status: string; amountCents: number } | undefined,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // The order row first, as on every path that touches both (docs/architecture.md).
      await trx.selectFrom('orders').select('id').where('id', '=', payment.order_id).forUpdate().execute();
      if (refund) {
        await trx
          .insertInto('payments')
          .values({
            order_id: payment.order_id,
            kind: 'refund',
            provider: refund.provider,
            provider_id: refund.id,
            amount_cents: refund.amountCents || payment.amount_cents,
            currency: payment.currency,
            state: refund.status,
          })
          .onConflict((oc) => oc.columns(['provider', 'provider_id']).doUpdateSet({ state: refund.status }))
          .execute();
      }
      await trx
        .updateTable('payments')
        .set({
          state,
          wanted: sql`CASE WHEN wanted = 'release' THEN NULL ELSE wanted END`,
          next_attempt_at: null,
          last_error: null,
          updated_at: sql`clock_timestamp()`,
        })
        .where('id', '=', payment.id)
        .execute();
      await trx
        .updateTable('orders')
        .set({ refunded_at: sql`clock_timestamp()`, updated_at: sql`clock_timestamp()` })
        .where('id', '=', payment.order_id)
        .where('status', '=', 'CANCELLED')
        .where('confirmed_at', 'is not', null)
        .where('transaction_id', '=', payment.provider_id)
        .where('refunded_at', 'is', null)
        .execute();
    });
  }

  /** Simulated refunds happen at once, inside the cancellation's transaction. */
  async refundAtOnce(trx: Transaction<DB>, order: OrderRow, currency: string): Promise<void> {
    await trx
      .insertInto('payments')
      .values({
        order_id: order.id,
        kind: 'refund',
        provider: 'simulated',
        provider_id: `sim_re_${order.id}`,
        amount_cents: order.total_cents,
        currency,
        state: 'succeeded',
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_id']).doNothing())
      .execute();
    await trx
      .updateTable('payments')
      .set({ state: 'refunded', updated_at: sql`clock_timestamp()` })
      .where('order_id', '=', order.id)
      .where('kind', '=', 'payment')
      .where('provider_id', '=', order.transaction_id ?? '')
      .execute();
    await trx
      .updateTable('orders')
      .set({ refunded_at: sql`clock_timestamp()` })
      .where('id', '=', order.id)
      .execute();
  }
}
