import crypto from 'node:crypto';
import type { Database } from '../../shared/db/database';
import type { OrderRow } from '../../shared/db/schema';
import type { DomainEvents } from '../../shared/domain-events';
import { AppError, forbidden, notFound } from '../../shared/errors';
import type { Page, Pagination } from '../../shared/http/schemas';
import type { AuthUser } from '../auth/tokens';
import type { StockRepository } from '../inventory/stock.repository';
import { presentOrder, type OrderDto, type OrderWithItems } from './order.presenter';
import type { OrderFilters, OrderLine, OrderRepository } from './orders.repository';
import type { ConfirmOrderInput, CreateOrderInput } from './orders.schemas';

export interface OrderSettings {
  reservationTimeoutMs: number;
  maxTicketsPerOrder: number;
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

export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly orders: OrderRepository,
    private readonly stock: StockRepository,
    private readonly bus: DomainEvents,
    private readonly settings: OrderSettings,
  ) {}

  /**
   * Reserves every line or none, in one short transaction. Returns the order and whether it was
   * created now (false: an earlier request with the same Idempotency-Key made it).
   */
  async reserve(
    user: AuthUser,
    input: CreateOrderInput,
    idempotencyKey?: string,
  ): Promise<{ order: OrderDto; created: boolean }> {
    const hash = idempotencyKey ? requestHash(input) : undefined;
    if (idempotencyKey) {
      const previous = await this.orders.findByIdempotencyKey(user.id, idempotencyKey);
      if (previous) return { order: await this.replay(previous, hash!), created: false };
    }

    const requested = input.tickets.reduce((sum, t) => sum + t.cantidad, 0);
    if (requested > this.settings.maxTicketsPerOrder) {
      throw new AppError('VALIDATION_ERROR', `At most ${this.settings.maxTicketsPerOrder} tickets per order`, [
        { in: 'body', path: 'tickets', message: `the quantities add up to ${requested}, over the limit of ${this.settings.maxTicketsPerOrder}` },
      ]);
    }
    const eventId = input.eventoId.toLowerCase();
    const lines = await this.priceLines(eventId, input);
    const totalCents = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);

    let order: OrderRow | undefined;
    try {
      order = await this.orders.reserve({
        userId: user.id,
        eventId,
        lines,
        totalCents,
        holdMs: this.settings.reservationTimeoutMs,
        idempotencyKey,
        requestHash: hash,
      });
    } catch (error) {
      if (idempotencyKey && isUniqueViolation(error, 'orders_idempotency_key')) {
        // A concurrent request with the same key committed first; ours reserved nothing.
        const winner = await this.orders.findByIdempotencyKey(user.id, idempotencyKey);
        if (winner) return { order: await this.replay(winner, hash!), created: false };
      }
      throw error;
    }
    if (!order) throw await this.insufficientStock(lines);

    const orderId = order.id;
    const items = lines.map((l) => ({
      order_id: orderId,
      category_id: l.categoryId,
      category_name: l.name,
      quantity: l.quantity,
      unit_price_cents: l.unitPriceCents,
    }));
    this.publishStatus(order);
    this.bus.publish('stock.changed', { eventId, categoryIds: lines.map((l) => l.categoryId) });
    return { order: presentOrder({ ...order, items }), created: true };
  }

  async confirm(user: AuthUser, orderId: string, payment: ConfirmOrderInput): Promise<OrderDto> {
    let confirmed: OrderRow | undefined;
    try {
      confirmed = await this.orders.confirm(orderId, user.id, {
        method: payment.metodoPago,
        transactionId: payment.transactionId,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'orders_transaction_id_key')) {
        throw new AppError('DUPLICATE_TRANSACTION', 'This transactionId was already used for another order');
      }
      throw error;
    }
    if (confirmed) {
      this.publishStatus(confirmed);
      return this.get(user, orderId);
    }

    // Nothing changed: explain why.
    const order = await this.orders.findById(orderId);
    if (!order || !this.canSee(user, order)) throw notFound('Order');
    if (order.user_id !== user.id) throw forbidden('Only the buyer can confirm an order');
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
      const order = await this.orders.lockForCancel(trx, orderId);
      if (!order || !this.canSee(user, order)) throw notFound('Order');
      if (order.status !== 'RESERVED' && order.status !== 'CONFIRMED') {
        throw new AppError('INVALID_STATE', `An order in state ${order.status} cannot be cancelled`);
      }
      if (order.event_starts_at.getTime() <= Date.now()) {
        throw new AppError('INVALID_STATE', 'The event has already started');
      }
      const by = user.id === order.user_id ? 'buyer' : 'administrator';
      const updated = await this.orders.setStatus(trx, order, 'CANCELLED', user.id, `cancelled by ${by}`);
      // The row lock and the status check above make sure the stock goes back exactly once.
      const quantities = await this.orders.quantitiesByCategory(trx, [order.id]);
      await this.stock.release(trx, quantities);
      return { order: updated, categoryIds: [...quantities.keys()] };
    });
    this.publishStatus(cancelled.order);
    this.bus.publish('stock.changed', { eventId: cancelled.order.event_id, categoryIds: cancelled.categoryIds });
    return this.get(user, orderId);
  }

  async get(user: AuthUser, orderId: string): Promise<OrderDto> {
    const order = await this.orders.findById(orderId);
    // Someone else's order is answered like a missing one: its existence is not disclosed.
    if (!order || !this.canSee(user, order)) throw notFound('Order');
    return presentOrder(order);
  }

  async list(filters: OrderFilters, pagination: Pagination): Promise<Page<OrderDto>> {
    const { rows, total } = await this.orders.page(filters, pagination);
    return { data: rows.map(presentOrder), page: pagination.page, limit: pagination.limit, total };
  }

  /**
   * Expires one batch of overdue holds and returns their tickets to sale, in one short
   * transaction. Returns how many orders it expired.
   */
  async expireDueHolds(batchSize: number): Promise<number> {
    const expired = await this.db.transaction().execute(async (trx) => {
      const holds = await this.orders.expireDue(trx, batchSize);
      const quantities = new Map<string, number>();
      for (const h of holds) quantities.set(h.categoryId, (quantities.get(h.categoryId) ?? 0) + h.quantity);
      await this.stock.release(trx, quantities);
      return holds;
    });
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
    return orders.size;
  }

  private canSee(user: AuthUser, order: OrderRow): boolean {
    return user.role === 'ADMIN' || order.user_id === user.id;
  }

  private async replay(previous: OrderRow, hash: string): Promise<OrderDto> {
    if (previous.request_hash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different order request');
    }
    const order = (await this.orders.findById(previous.id)) as OrderWithItems;
    return presentOrder(order);
  }

  /** Checks the event and categories and fixes each line's price at the moment of purchase. */
  private async priceLines(eventId: string, input: CreateOrderInput): Promise<OrderLine[]> {
    const categoryIds = input.tickets.map((t) => t.categoriaId.toLowerCase());
    const context = await this.orders.purchaseContext(eventId, categoryIds);
    if (!context) throw notFound('Event');
    const foreign = input.tickets
      .map((t, index) => ({ index, id: t.categoriaId.toLowerCase() }))
      .filter((t) => !context.categories.has(t.id));
    if (foreign.length > 0) {
      throw new AppError(
        'VALIDATION_ERROR',
        'Every category must belong to the event',
        foreign.map((f) => ({ in: 'body', path: `tickets.${f.index}.categoriaId`, message: 'is not a category of this event' })),
      );
    }
    if (context.startsAt.getTime() <= Date.now()) {
      throw new AppError('INVALID_STATE', 'The event has already started; tickets are no longer sold');
    }
    return input.tickets.map((t) => {
      const category = context.categories.get(t.categoriaId.toLowerCase())!;
      return { categoryId: t.categoriaId.toLowerCase(), name: category.name, quantity: t.cantidad, unitPriceCents: category.priceCents };
    });
  }

  private async insufficientStock(lines: OrderLine[]): Promise<AppError> {
    const available = await this.stock.availability(this.db, lines.map((l) => l.categoryId));
    const short = lines
      .map((l) => ({ categoriaId: l.categoryId, solicitadas: l.quantity, disponibles: available.get(l.categoryId) ?? 0 }))
      .filter((l) => l.solicitadas > l.disponibles);
    // A line can look fine again a moment later (someone cancelled); still say which were asked.
    const details = short.length > 0 ? short : lines.map((l) => ({ categoriaId: l.categoryId, solicitadas: l.quantity, disponibles: available.get(l.categoryId) ?? 0 }));
    return new AppError('INSUFFICIENT_STOCK', 'Not enough tickets left for this order', details);
  }

  private publishStatus(order: OrderRow): void {
    this.bus.publish('order.status-changed', {
      orderId: order.id,
      userId: order.user_id,
      eventId: order.event_id,
      status: order.status,
      expiresAt: order.expires_at,
    });
  }
}
