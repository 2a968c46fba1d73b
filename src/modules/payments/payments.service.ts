import type { Transaction } from 'kysely';
import type { Database } from '../../shared/db/database';
import type { DB, OrderRow, PaymentRow } from '../../shared/db/schema';
import type { DomainEvents } from '../../shared/domain-events';
import { AppError, notFound } from '../../shared/errors';
import { fromCents } from '../../shared/http/schemas';
import type { Logger } from '../../shared/logger';
import type { AuthUser } from '../auth/tokens';
import type { OrderRepository } from '../orders/orders.repository';
import { assertCanConfirmOrder, canSeeOrder } from '../policy/policy';
import type { PaymentRepository } from './payments.repository';
import {
  coversAmount,
  InvalidSignature,
  ProviderRequestError,
  ProviderUnavailable,
  type PaymentProvider,
  type ProviderEvent,
  type ProviderIntent,
} from './provider';
import { orderStatusChanged } from '../orders/order-status-event';

/** The events that say the money is there (authorized or captured). */
const PAYMENT_EVENTS = new Set(['payment_intent.amount_capturable_updated', 'payment_intent.succeeded']);

/** What the webhook transaction decided; the provider calls and announcements follow the commit. */
interface Decision {
  order?: OrderRow;
  followUps: (number | undefined)[];
  stockChanged?: { eventId: string; categoryIds: string[] };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A provider outage during a request: the client may retry. */
async function askProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderUnavailable) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The payment provider could not be reached; retry shortly');
    }
    throw error;
  }
}

/**
 * Payments: starting one for an order, checking with the provider before a confirmation, acting
 * on provider webhooks (including payments that arrive after the hold ended), and making the
 * provider calls the database has decided on (capture, cancel, refund) after each commit, retried
 * until they succeed. No provider call is ever made inside a database transaction.
 */
export class PaymentService {
  constructor(
    private readonly db: Database,
    private readonly orders: OrderRepository,
    private readonly payments: PaymentRepository,
    readonly provider: PaymentProvider,
    private readonly bus: DomainEvents,
    private readonly currency: string,
    private readonly logger: Logger,
  ) {}

  settings() {
    return { proveedor: this.provider.name, moneda: this.currency };
  }

  /** POST /api/orders/:id/payment: the order's payment intent, created once. */
  async start(user: AuthUser, orderId: string) {
    const order = await this.orders.findById(orderId);
    if (!order || !canSeeOrder(user, order)) throw notFound('Order');
    assertCanConfirmOrder(user, order);
    if (order.status === 'EXPIRED' || (order.status === 'RESERVED' && order.expires_at.getTime() <= Date.now())) {
      throw new AppError('ORDER_EXPIRED', 'The reservation expired before it was paid');
    }
    if (order.status !== 'RESERVED') {
      throw new AppError('INVALID_STATE', `An order in state ${order.status} cannot be paid`);
    }
    const existing = await this.payments.latestPayment(order.id, this.provider.name);
    // A repeat asks the provider for the intent it already has (its idempotency window is finite).
    const intent = await askProvider(() =>
      existing
        ? this.provider.retrieveIntent(existing.provider_id)
        : this.provider.createIntent({ orderId: order.id, amountCents: order.total_cents, currency: this.currency }),
    );
    await this.payments.recordIntent(order.id, this.provider.name, intent);
    return {
      proveedor: this.provider.name,
      paymentId: intent.id,
      clientSecret: intent.clientSecret,
      importe: fromCents(intent.amountCents),
      moneda: intent.currency,
      estado: intent.status,
    };
  }

  /**
   * Before a confirmation: the provider (never the client) must report this order's payment as
   * authorized or paid, for its full amount and currency. Called outside any transaction.
   */
  async verify(order: OrderRow, transactionId: string): Promise<ProviderIntent | undefined> {
    if (!this.provider.verifiesPayments) return undefined;
    const refuse = (why: string) =>
      new AppError('PAYMENT_REQUIRED', `The payment provider does not report this order as paid: ${why}`);
    const row = await this.payments.findPayment(order.id, this.provider.name, transactionId);
    if (!row) throw refuse('transactionId is not the paymentId of this order (POST /api/orders/:id/payment)');
    let intent: ProviderIntent;
    try {
      intent = await askProvider(() => this.provider.retrieveIntent(transactionId));
    } catch (error) {
      if (error instanceof ProviderRequestError) throw refuse(error.message);
      throw error;
    }
    if (intent.orderId !== order.id) throw refuse('the payment is for another order');
    if (!coversAmount(intent, order.total_cents, row.currency)) {
      throw refuse(`payment ${intent.id} is ${intent.status} for ${intent.amountCents / 100} ${intent.currency}`);
    }
    return intent;
  }

  /** Inside a cancellation's transaction, for an order that was CONFIRMED: its money goes back. */
  async refundOnCancel(trx: Transaction<DB>, order: OrderRow): Promise<number[]> {
    if (this.provider.name === 'simulated' || order.payment_provider === 'simulated' || !order.payment_provider) {
      await this.payments.refundAtOnce(trx, order, this.currency);
      return [];
    }
    return this.payments.releaseAll(trx, order.id);
  }

  /** After a commit: make the owed calls now rather than at the next retry round. */
  afterCommit(ids: readonly (number | null | undefined)[]): Promise<void> {
    return Promise.all(ids.map((id) => (id ? this.followUp(id) : undefined))).then(() => undefined);
  }

  /** One retry round over every row with a provider call due; returns how many were attempted. */
  async runDue(limit = 100): Promise<number> {
    const ids = await this.payments.due(limit);
    for (const id of ids) await this.followUp(id);
    return ids.length;
  }

  /** Makes the call a payment row is owed (capture or release), recording any failure for a retry. */
  async followUp(id: number): Promise<void> {
    const row = await this.payments.claim(id);
    if (!row) return; // Nothing owed, or another loop is making the call right now.
    try {
      if (row.wanted === 'capture') await this.capture(row);
      else await this.release(row);
    } catch (error) {
      this.logger.warn(
        { err: error, paymentId: row.provider_id, wanted: row.wanted },
        'payment provider call failed; will retry',
      );
      await this.payments.failed(row.id, errorText(error));
    }
  }

  private async capture(row: PaymentRow): Promise<void> {
    try {
      const intent = await this.provider.capture(row.provider_id);
      await this.payments.done(row.id, 'capture', intent.status);
    } catch (error) {
      if (!(error instanceof ProviderRequestError)) throw error;
      // Refused: already captured (a retry after a lost answer) or no longer capturable.
      const intent = await this.provider.retrieveIntent(row.provider_id);
      if (intent.status !== 'succeeded' && intent.status !== 'canceled') throw error;
      if (intent.status === 'canceled') {
        this.logger.error(
          { paymentId: row.provider_id, orderId: row.order_id },
          'confirmed order whose payment can no longer be captured',
        );
      }
      await this.payments.done(row.id, 'capture', intent.status);
    }
  }

  /** Gives the money back: cancel while only authorized, refund once captured. */
  private async release(row: PaymentRow): Promise<void> {
    for (let round = 0; ; round++) {
      const intent = await this.provider.retrieveIntent(row.provider_id);
      try {
        if (intent.status === 'canceled') return await this.payments.released(row, 'canceled', undefined);
        if (intent.status === 'succeeded') {
          const refund = await this.provider.refund(intent.id);
          return await this.payments.released(row, 'refunded', { provider: this.provider.name, ...refund });
        }
        const cancelled = await this.provider.cancel(intent.id);
        return await this.payments.released(row, cancelled.status, undefined);
      } catch (error) {
        // The intent changed under us (a capture landed first): look again once.
        if (!(error instanceof ProviderRequestError) || round > 0) throw error;
      }
    }
  }

  /** POST /api/payments/stripe/webhook. Returns once the event's effect is committed. */
  async handleWebhook(rawBody: Buffer, signature: string | undefined): Promise<void> {
    let event: ProviderEvent;
    try {
      event = this.provider.verifyWebhook(rawBody, signature);
    } catch (error) {
      if (error instanceof InvalidSignature) throw new AppError('INVALID_SIGNATURE', error.message);
      throw error;
    }
    const intent = PAYMENT_EVENTS.has(event.type) ? event.intent : undefined;
    const orderId =
      intent?.orderId && /^[0-9a-f-]{36}$/i.test(intent.orderId) ? intent.orderId.toLowerCase() : undefined;
    if (!intent || !orderId) {
      // Irrelevant to us: remembered so a redelivery is recognized, answered 2xx so it is not retried.
      await this.db
        .transaction()
        .execute((trx) => this.payments.claimEvent(trx, this.provider.name, event.id, event.type, null));
      return;
    }
    const decision = await this.db.transaction().execute(async (trx): Promise<Decision> => {
      if (!(await this.payments.claimEvent(trx, this.provider.name, event.id, event.type, null)))
        return { followUps: [] };
      const order = await this.orders.lockWithEventStart(trx, orderId);
      if (!order) {
        this.logger.warn({ eventId: event.id, orderId }, 'payment for an unknown order; left to the provider account');
        return { followUps: [] };
      }
      // Events can come out of order: what they say about the intent is written only with a decision.
      await this.payments.recordIntent(order.id, this.provider.name, intent, trx, false);
      return this.applyPayment(trx, order, intent);
    });
    if (decision.order) this.publishStatus(decision.order);
    if (decision.stockChanged) this.bus.publish('stock.changed', decision.stockChanged);
    await this.afterCommit(decision.followUps);
  }

  /** The money for `order` is there (authorized or captured): confirm, honour late, or give it back. */
  private async applyPayment(
    trx: Transaction<DB>,
    order: OrderRow & { event_starts_at: Date },
    intent: ProviderIntent,
  ): Promise<Decision> {
    const release = async (why: string): Promise<Decision> => {
      await this.payments.note(trx, order.id, order.status, order.status, why);
      const id = await this.payments.want(trx, order.id, this.provider.name, intent.id, intent.status, 'release');
      return { followUps: [id] };
    };
    const confirm = async (reason: string): Promise<Decision> => {
      const confirmed = await this.payments.confirmWithProvider(
        trx,
        order,
        { provider: this.provider.name, transactionId: intent.id, method: order.payment_method ?? 'card' },
        reason,
      );
      const wanted = intent.status === 'requires_capture' ? 'capture' : null;
      const id = await this.payments.want(trx, order.id, this.provider.name, intent.id, intent.status, wanted);
      return { order: confirmed, followUps: wanted ? [id] : [] };
    };
    const giveBack = intent.status === 'succeeded' ? 'refunded' : 'cancelled';

    if (!coversAmount(intent, order.total_cents, this.currency)) {
      return release(
        `payment ${intent.id} does not match the order (${intent.amountCents / 100} ${intent.currency}); ${giveBack}`,
      );
    }
    if (order.status === 'CONFIRMED' || order.confirmed_at) {
      // The same payment again (the other event, or out of order): nothing to do.
      if (order.transaction_id === intent.id) return { followUps: [] };
      return release(`second payment ${intent.id} for an order already paid; ${giveBack}`);
    }
    if (order.status === 'RESERVED' && order.expires_at.getTime() > Date.now()) {
      return confirm(`payment ${intent.id} (provider webhook)`);
    }
    if (order.status === 'RESERVED') {
      // Past its deadline but not yet released by the expiry job: its tickets are still held.
      return confirm(`late payment honoured: payment ${intent.id} after the hold ran out, tickets still held`);
    }
    if (order.status !== 'EXPIRED' && order.status !== 'CANCELLED') {
      return release(`payment ${intent.id} for an order in state ${order.status}; ${giveBack}`);
    }
    if (order.event_starts_at.getTime() <= Date.now()) {
      return release(`late payment refused: the event has started; payment ${intent.id} ${giveBack}`);
    }
    const refused = await this.payments.retakeStock(trx, order.id);
    if (refused === 'stock') {
      return release(`late payment refused: the tickets are no longer available; payment ${intent.id} ${giveBack}`);
    }
    if (refused === 'limit') {
      return release(
        `late payment refused: the buyer already holds or owns the event's per-buyer limit; payment ${intent.id} ${giveBack}`,
      );
    }
    const decision = await confirm(
      `late payment honoured: payment ${intent.id} arrived after the order was ${order.status}`,
    );
    const quantities = await this.orders.quantitiesByCategory(trx, [order.id]);
    return { ...decision, stockChanged: { eventId: order.event_id, categoryIds: [...quantities.keys()] } };
  }

  /** Payment attempts and refunds of an order, oldest first, for the admin history. */
  records(orderId: string): Promise<PaymentRow[]> {
    return this.payments.forOrder(orderId);
  }

  private publishStatus(order: OrderRow): void {
    this.bus.publish('order.status-changed', orderStatusChanged(order));
  }
}
