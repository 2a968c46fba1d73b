import crypto from 'node:crypto';
import type { Database } from '../../shared/db/database';
import type { OrderRow } from '../../shared/db/schema';
import type { DomainEvents } from '../../shared/domain-events';
import { CANCELLABLE_STATUSES, isOneOf } from '../../shared/domain';
import { AppError, notFound } from '../../shared/errors';
import type { Pagination } from '../../shared/http/schemas';
import type { Page } from '../../shared/http/wire';
import { TtlCache } from '../../shared/ttl-cache';
import type { AuthUser } from '../auth/tokens';
import type { StockRepository, WaitlistOffer } from '../inventory/stock.repository';
import { assertCanConfirmOrder, canCancelOrder, canSeeOrder } from '../policy/policy';
import { presentOrder, presentOrderHistory, type OrderWithItems } from './order.presenter';
import type { OrderDto, OrderHistoryDto } from './orders.wire';
import type {
  ClosedCategory,
  OrderFilters,
  OrderRepository,
  RequestedLine,
  ReservationResult,
} from './orders.repository';
import type { ConfirmOrderInput, CreateOrderInput } from './orders.schemas';
import type { PaymentService } from '../payments/payments.service';
import type { ProviderIntent } from '../payments/provider';
import { offerMade, orderStatusChanged } from './order-status-event';

export interface OrderSettings {
  reservationTimeoutMs: number;
  maxTicketsPerOrder: number;
}

/** Checks a virtual-queue admission token in memory (signature, buyer, event, expiry). */
export interface AdmissionCheck {
  admits(token: string, userId: string, eventId: string): boolean;
}

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string; constraint?: string })?.code === UNIQUE_VIOLATION &&
  (error as { constraint?: string }).constraint === constraint;

/** Same order, same lines (in any order): the same request. */
function requestHash(input: CreateOrderInput): string {
  const lines = input.tickets
    .map((t) => `${t.categoriaId.toLowerCase()}:${t.cantidad}`)
    .sort()
    .join(',');
  return crypto.createHash('sha256').update(`${input.eventoId.toLowerCase()}|${lines}`).digest('hex');
}

/**
 * How long a category seen sold out is answered 409 without asking the database. Any stock
 * change announced for it (here or by another instance) ends that at once; the TTL bounds the
 * rare case of an announcement that never arrives.
 */
const SOLD_OUT_TTL_MS = 1000;

/** A category seen sold out: its event, and when its sales close (ms; null: when the event starts). */
interface SoldOut {
  eventId: string;
  closesAt: number | null;
  /**
   * Learnt from a request that carried a valid admission token: the event may sell through its
   * virtual queue, so only admitted requests may be answered from this memory (the others must
   * hear QUEUE_REQUIRED from the database, not that it is sold out).
   */
  queued: boolean;
}

export class OrderService {
  /** Sold-out categories → their event: a rush on a sold-out category costs no transaction. */
  private readonly soldOut = new TtlCache<string, SoldOut>(SOLD_OUT_TTL_MS);

  constructor(
    private readonly db: Database,
    private readonly orders: OrderRepository,
    private readonly stock: StockRepository,
    private readonly bus: DomainEvents,
    private readonly settings: OrderSettings,
    private readonly payments: PaymentService,
    private readonly admission: AdmissionCheck,
  ) {
    const forget = ({ categoryIds }: { categoryIds: string[] }) => categoryIds.forEach((id) => this.soldOut.delete(id));
    bus.subscribe('stock.changed', forget);
    bus.subscribe('stock.changed-elsewhere', forget);
    // A category edit may move its sales window: SALES_CLOSED must not be answered as sold out.
    bus.subscribe('event.catalog-changed', ({ eventId }) => this.soldOut.deleteWhere((s) => s.eventId === eventId));
  }

  /**
   * Reserves every line or none, in one short transaction. Returns the order and whether it was
   * created now (false: an earlier request with the same Idempotency-Key made it).
   */
  async reserve(
    user: AuthUser,
    input: CreateOrderInput,
    idempotencyKey?: string,
    queueToken?: string,
  ): Promise<{ order: OrderDto; created: boolean }> {
    const hash = idempotencyKey ? requestHash(input) : undefined;
    if (idempotencyKey) {
      const previous = await this.orders.findByIdempotencyKey(user.id, idempotencyKey);
      if (previous) return { order: await this.replay(previous, hash!), created: false };
    }

    const requested = input.tickets.reduce((sum, t) => sum + t.cantidad, 0);
    if (requested > this.settings.maxTicketsPerOrder) {
      throw new AppError('VALIDATION_ERROR', `At most ${this.settings.maxTicketsPerOrder} tickets per order`, [
        {
          in: 'body',
          path: 'tickets',
          message: `the quantities add up to ${requested}, over the limit of ${this.settings.maxTicketsPerOrder}`,
        },
      ]);
    }
    const eventId = input.eventoId.toLowerCase();
    const lines = input.tickets.map((t) => ({ categoryId: t.categoriaId.toLowerCase(), quantity: t.cantidad }));
    const now = Date.now();
    const admitted = queueToken !== undefined && this.admission.admits(queueToken, user.id, eventId);
    const soldOut = lines.filter((l) => {
      const known = this.soldOut.get(l.categoryId);
      // Past its closing time the database answers, with SALES_CLOSED.
      return (
        known?.eventId === eventId && (!known.queued || admitted) && (known.closesAt === null || known.closesAt > now)
      );
    });
    if (soldOut.length > 0) {
      throw new AppError(
        'INSUFFICIENT_STOCK',
        'Not enough tickets left for this order',
        soldOut.map((l) => ({ categoriaId: l.categoryId, solicitadas: l.quantity, disponibles: 0 })),
      );
    }

    let result: ReservationResult;
    try {
      result = await this.orders.reserve({
        userId: user.id,
        eventId,
        lines,
        holdMs: this.settings.reservationTimeoutMs,
        idempotencyKey,
        requestHash: hash,
        // Whether the event needs it is decided inside the statement, under the event's lock.
        queueAdmitted: admitted,
      });
    } catch (error) {
      if (idempotencyKey && isUniqueViolation(error, 'orders_idempotency_key')) {
        // A concurrent request with the same key committed first; ours reserved nothing.
        const winner = await this.orders.findByIdempotencyKey(user.id, idempotencyKey);
        if (winner) return { order: await this.replay(winner, hash!), created: false };
      }
      throw error;
    }
    if (!result.ok) throw await this.refusal(result, eventId, lines, admitted);

    const order = result.order;
    this.publishStatus(order);
    this.bus.publish('stock.changed', { eventId, categoryIds: lines.map((l) => l.categoryId) });
    return { order: presentOrder(order), created: true };
  }

  async confirm(user: AuthUser, orderId: string, payment: ConfirmOrderInput): Promise<OrderDto> {
    const provider = this.payments.provider;
    let verified: ProviderIntent | undefined;
    if (provider.verifiesPayments) {
      // Ask the provider first, outside any transaction; only a live hold is worth the call.
      const order = await this.orders.findById(orderId);
      if (
        order &&
        order.user_id === user.id &&
        order.status === 'RESERVED' &&
        order.expires_at.getTime() > Date.now()
      ) {
        verified = await this.payments.verify(order, payment.transactionId);
      }
    }
    let confirmed: (OrderRow & { payment_row_id: number | null }) | undefined;
    if (!provider.verifiesPayments || verified) {
      try {
        confirmed = await this.orders.confirm(orderId, user.id, {
          method: payment.metodoPago,
          transactionId: payment.transactionId,
          provider: provider.name,
          currency: this.payments.settings().moneda,
          state: verified?.status ?? 'succeeded',
          wanted: verified?.status === 'requires_capture' ? 'capture' : null,
        });
      } catch (error) {
        if (isUniqueViolation(error, 'orders_transaction_id_key')) {
          throw new AppError('DUPLICATE_TRANSACTION', 'This transactionId was already used for another order');
        }
        throw error;
      }
    }
    if (confirmed) {
      this.publishStatus(confirmed);
      // The capture follows the commit; a failure is recorded and retried by the payments job.
      if (verified?.status === 'requires_capture')
        void this.payments.afterCommit([confirmed.payment_row_id]).catch(() => undefined);
      return this.get(user, orderId);
    }

    // Nothing changed: explain why.
    const order = await this.orders.findById(orderId);
    if (!order || !canSeeOrder(user, order)) throw notFound('Order');
    assertCanConfirmOrder(user, order);
    if (order.status === 'CONFIRMED' && order.transaction_id === payment.transactionId) {
      return presentOrder(order); // A repeated confirmation: same answer, nothing done twice.
    }
    // Still RESERVED although our update did not apply: the database clock says the hold is over.
    if (order.status === 'EXPIRED' || order.status === 'RESERVED') {
      throw new AppError('ORDER_EXPIRED', 'The reservation expired before it was confirmed');
    }
    throw new AppError('INVALID_STATE', `An order in state ${order.status} cannot be confirmed`);
  }

  async cancel(user: AuthUser, orderId: string): Promise<OrderDto> {
    const cancelled = await this.db.transaction().execute(async (trx) => {
      const order = await this.orders.lockWithEventStart(trx, orderId);
      if (!order || !canCancelOrder(user, order)) throw notFound('Order');
      if (!isOneOf(CANCELLABLE_STATUSES, order.status)) {
        throw new AppError('INVALID_STATE', `An order in state ${order.status} cannot be cancelled`);
      }
      if (order.event_starts_at.getTime() <= Date.now()) {
        throw new AppError('INVALID_STATE', 'The event has already started');
      }
      const by = user.id === order.user_id ? 'buyer' : 'administrator';
      const updated = await this.orders.setStatus(trx, order, 'CANCELLED', user.id, `cancelled by ${by}`);
      // Payments before stock: the table order of docs/architecture.md (orders → payments → buckets).
      const refunds = order.status === 'CONFIRMED' ? await this.payments.refundOnCancel(trx, order) : [];
      // The row lock and the status check above make sure the stock goes back exactly once.
      // The waiting list is served first, in this transaction (migrations/0010, release_stock).
      const quantities = await this.orders.quantitiesByCategory(trx, [order.id]);
      const offers = await this.stock.release(trx, quantities, this.settings.reservationTimeoutMs);
      return { order: updated, categoryIds: [...quantities.keys()], refunds, offers };
    });
    // Provider refunds only after the cancellation committed; a failed call is retried by the job.
    await this.payments.afterCommit(cancelled.refunds).catch(() => undefined);
    this.publishStatus(cancelled.order);
    this.publishOffers(cancelled.offers);
    this.bus.publish('stock.changed', { eventId: cancelled.order.event_id, categoryIds: cancelled.categoryIds });
    return this.get(user, orderId);
  }

  async get(user: AuthUser, orderId: string): Promise<OrderDto> {
    const order = await this.orders.findById(orderId);
    // Someone else's order is answered like a missing one: its existence is not disclosed.
    if (!order || !canSeeOrder(user, order)) throw notFound('Order');
    return presentOrder(order);
  }

  /** Every state change of an order (who, when, from, to, why), for support staff. */
  async history(orderId: string): Promise<OrderHistoryDto> {
    const order = await this.orders.findById(orderId);
    if (!order) throw notFound('Order');
    return presentOrderHistory(order, await this.orders.history(orderId), await this.payments.records(orderId));
  }

  async list(filters: OrderFilters, pagination: Pagination): Promise<Page<OrderDto>> {
    const { rows, total } = await this.orders.page(filters, pagination);
    return { data: rows.map(presentOrder), page: pagination.page, limit: pagination.limit, total };
  }

  /**
   * Expires one batch of overdue holds and returns their tickets to sale, in one short
   * transaction. Returns how many orders it expired.
   */
  async expireDueHolds(batchSize: number, db: Database = this.db): Promise<number> {
    const result = await db.transaction().execute(async (trx) => {
      const holds = await this.orders.expireDue(trx, batchSize);
      const quantities = new Map<string, number>();
      for (const h of holds) quantities.set(h.categoryId, (quantities.get(h.categoryId) ?? 0) + h.quantity);
      // Expired offers pass to the next entry here: the trigger marked them EXPIRADO above.
      const offers = await this.stock.release(trx, quantities, this.settings.reservationTimeoutMs);
      return { holds, offers };
    });
    const { holds: expired, offers } = result;
    const orders = new Map(expired.map((h) => [h.id, h]));
    for (const h of orders.values()) {
      this.bus.publish('order.status-changed', {
        orderId: h.id,
        userId: h.userId,
        eventId: h.eventId,
        status: 'EXPIRED',
        expiresAt: h.expiresAt,
      });
    }
    const byEvent = new Map<string, Set<string>>();
    for (const h of expired) byEvent.set(h.eventId, (byEvent.get(h.eventId) ?? new Set()).add(h.categoryId));
    for (const [eventId, categories] of byEvent) {
      this.bus.publish('stock.changed', { eventId, categoryIds: [...categories] });
    }
    this.publishOffers(offers);
    return orders.size;
  }

  /**
   * Serves waiting lists that a release could not serve at once (see
   * StockRepository.categoriesOwedToWaitlists), one short transaction per category, through the
   * same `release_stock()` with nothing freed. Returns how many offers it made.
   */
  async serveOwedWaitlists(db: Database = this.db): Promise<number> {
    let made = 0;
    for (const categoryId of (await this.stock.categoriesOwedToWaitlists(db, 50)).sort()) {
      const offers = await db
        .transaction()
        .execute((trx) => this.stock.release(trx, new Map([[categoryId, 0]]), this.settings.reservationTimeoutMs));
      if (offers.length === 0) continue;
      made += offers.length;
      this.bus.publish('stock.changed', { eventId: offers[0]!.eventId, categoryIds: [categoryId] });
      this.publishOffers(offers);
    }
    return made;
  }

  /** Orders made for waiting-list entries reach their buyers as any new order does. */
  private publishOffers(offers: readonly WaitlistOffer[]): void {
    for (const o of offers) this.bus.publish('order.status-changed', offerMade(o));
  }

  private async replay(previous: OrderRow, hash: string): Promise<OrderDto> {
    if (previous.request_hash !== hash) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different order request',
      );
    }
    const order = (await this.orders.findById(previous.id)) as OrderWithItems;
    return presentOrder(order);
  }

  private async refusal(
    result: Exclude<ReservationResult, { ok: true }>,
    eventId: string,
    lines: RequestedLine[],
    admitted: boolean,
  ): Promise<AppError> {
    switch (result.reason) {
      case 'EVENT_NOT_FOUND':
        return notFound('Event');
      case 'EVENT_STARTED':
        return new AppError('INVALID_STATE', 'The event has already started; tickets are no longer sold');
      case 'FOREIGN_CATEGORIES':
        return new AppError(
          'VALIDATION_ERROR',
          'Every category must belong to the event',
          result.positions.map((i) => ({
            in: 'body',
            path: `tickets.${i}.categoriaId`,
            message: 'is not a category of this event',
          })),
        );
      case 'INSUFFICIENT_STOCK':
        return this.insufficientStock(eventId, lines, admitted);
      case 'QUEUE_REQUIRED':
        return new AppError(
          'QUEUE_REQUIRED',
          'This event sells through its virtual queue: join it (POST /api/events/{id}/queue) and send the admission token as the Queue-Token header',
        );
      case 'SALES_CLOSED':
        return salesClosed(result.closed);
      case 'LIMIT_EXCEEDED':
        return new AppError(
          'LIMIT_EXCEEDED',
          `At most ${result.max} tickets of this event per buyer; you already hold or own ${result.current}`,
          { maxPorComprador: result.max, actuales: result.current, solicitadas: result.requested },
        );
    }
  }

  private async insufficientStock(eventId: string, lines: RequestedLine[], admitted: boolean): Promise<AppError> {
    const stamps = new Map(lines.map((l) => [l.categoryId, this.soldOut.stamp(l.categoryId)]));
    const state = await this.stock.saleState(
      this.db,
      lines.map((l) => l.categoryId),
    );
    for (const l of lines) {
      const category = state.get(l.categoryId);
      if (category && category.available === 0) {
        this.soldOut.setIfUnchanged(l.categoryId, stamps.get(l.categoryId)!, {
          eventId,
          closesAt: category.salesEnd?.getTime() ?? null,
          queued: admitted,
        });
      }
    }
    const all = lines.map((l) => ({
      categoriaId: l.categoryId,
      solicitadas: l.quantity,
      disponibles: state.get(l.categoryId)?.available ?? 0,
    }));
    // A line can look fine again a moment later (someone cancelled); then still say what was asked.
    const short = all.filter((l) => l.solicitadas > l.disponibles);
    return new AppError('INSUFFICIENT_STOCK', 'Not enough tickets left for this order', short.length > 0 ? short : all);
  }

  private publishStatus(order: OrderRow): void {
    this.bus.publish('order.status-changed', orderStatusChanged(order));
  }
}

/** Says when each closed category opens or closed, so the client can show it. */
function salesClosed(closed: ClosedCategory[]): AppError {
  const first = closed[0];
  const now = Date.now();
  const message =
    first?.salesStart && first.salesStart.getTime() > now
      ? `Sales for this category open at ${first.salesStart.toISOString()}`
      : `Sales for this category closed at ${first?.salesEnd?.toISOString() ?? 'an earlier time'}`;
  return new AppError(
    'SALES_CLOSED',
    message,
    closed.map((c) => ({
      categoriaId: c.categoryId,
      ventaInicio: c.salesStart?.toISOString() ?? null,
      ventaFin: c.salesEnd?.toISOString() ?? null,
    })),
  );
}
