import type { Transaction } from 'kysely';
import type { Database } from '../../shared/db/database';
import type { CategoryRow, DB, EventRow } from '../../shared/db/schema';
import type { DomainEvents } from '../../shared/domain-events';
import { AppError, notFound } from '../../shared/errors';
import { toCents } from '../../shared/http/schemas';
import type { AuthUser } from '../auth/tokens';
import type { EventRepository } from '../events/events.repository';
import { capacityExceeded } from '../events/events.service';
import { assertCanManageEvent } from '../policy/policy';
import type { StockRepository } from '../inventory/stock.repository';
import type { CategoryRepository } from './categories.repository';
import type { CategoryInput, CategoryPatch } from './categories.schemas';
import type { CategoryDto } from './categories.wire';
import { presentCategory } from './category.presenter';
import { offerMade } from '../orders/order-status-event';

export class CategoryService {
  constructor(
    private readonly db: Database,
    private readonly events: EventRepository,
    private readonly categories: CategoryRepository,
    private readonly stock: StockRepository,
    private readonly bus: DomainEvents,
    /** Hold time of an order made for a waiting-list entry (ORDER_RESERVATION_TIMEOUT_MINUTES). */
    private readonly holdMs: number,
  ) {}

  async list(eventId: string): Promise<CategoryDto[]> {
    if (!(await this.events.findById(eventId))) throw notFound('Event');
    return (await this.categories.listByEvents([eventId])).map(presentCategory);
  }

  async create(user: AuthUser, eventId: string, input: CategoryInput): Promise<CategoryDto> {
    const categoryId = await this.db.transaction().execute(async (trx) => {
      const event = await this.lockManagedEvent(trx, user, eventId);
      await this.assertFitsCapacity(trx, event, input.cantidadTotal);
      const category = await this.categories.insert(trx, eventId, {
        name: input.nombre,
        priceCents: toCents(input.precio),
        totalQuantity: input.cantidadTotal,
        benefits: input.beneficios,
        salesStart: input.ventaInicio,
        salesEnd: input.ventaFin,
      });
      await this.stock.rewrite(trx, category.id, input.cantidadTotal, input.cantidadTotal);
      return category.id;
    });
    this.bus.publish('event.catalog-changed', { eventId });
    this.bus.publish('stock.changed', { eventId, categoryIds: [categoryId] });
    return this.getOne(eventId, categoryId);
  }

  async update(user: AuthUser, eventId: string, categoryId: string, patch: CategoryPatch): Promise<CategoryDto> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      let toList = 0;
      const event = await this.lockManagedEvent(trx, user, eventId);
      const category = await this.categories.lockForWrite(trx, eventId, categoryId);
      if (!category) throw notFound('Category');
      assertWindowInOrder(category, patch);
      const newTotal = patch.cantidadTotal;
      if (newTotal !== undefined && newTotal !== category.total_quantity) {
        await this.assertFitsCapacity(trx, event, newTotal, categoryId);
        // With every bucket locked, total - available is exactly what is sold or held.
        const available = await this.stock.lockAvailable(trx, categoryId);
        const soldOrHeld = category.total_quantity - available;
        if (newTotal < soldOrHeld) {
          throw capacityExceeded('cantidadTotal cannot go below the tickets already sold or held', {
            cantidadTotal: newTotal,
            vendidasOReservadas: soldOrHeld,
          });
        }
        // Tickets added while buyers wait go to the waiting list first, as freed tickets do: the
        // buckets are emptied, and release_stock() (after the category row is updated, so offers
        // carry the new price) gets everything on sale at once, so an entry is served from the
        // combined amount, not from one bucket's share; the rest goes back on sale.
        toList =
          newTotal > category.total_quantity && (await this.stock.hasWaitingEntries(trx, categoryId))
            ? newTotal - soldOrHeld
            : 0;
        await this.stock.rewrite(trx, categoryId, newTotal - soldOrHeld - toList, newTotal);
      }
      await this.categories.update(trx, categoryId, {
        name: patch.nombre,
        priceCents: patch.precio === undefined ? undefined : toCents(patch.precio),
        totalQuantity: newTotal,
        benefits: patch.beneficios,
        salesStart: patch.ventaInicio,
        salesEnd: patch.ventaFin,
      });
      const offers = toList > 0 ? await this.stock.release(trx, new Map([[categoryId, toList]]), this.holdMs) : [];
      return { moved: newTotal !== undefined && newTotal !== category.total_quantity, offers };
    });
    this.bus.publish('event.catalog-changed', { eventId });
    if (outcome.moved) this.bus.publish('stock.changed', { eventId, categoryIds: [categoryId] });
    for (const offer of outcome.offers) this.bus.publish('order.status-changed', offerMade(offer));
    return this.getOne(eventId, categoryId);
  }

  async remove(user: AuthUser, eventId: string, categoryId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.lockManagedEvent(trx, user, eventId);
      const category = await this.categories.lockForWrite(trx, eventId, categoryId);
      if (!category) throw notFound('Category');
      // Locking the stock makes a reservation in flight finish (or wait) before we look for orders.
      await this.stock.lockAvailable(trx, categoryId);
      if (await this.categories.hasOrders(trx, categoryId)) {
        throw new AppError('HAS_ORDERS', 'Orders reference this category; it cannot be deleted');
      }
      await this.categories.delete(trx, categoryId);
    });
    this.bus.publish('event.catalog-changed', { eventId });
  }

  private async getOne(eventId: string, categoryId: string): Promise<CategoryDto> {
    const category = (await this.categories.listByEvents([eventId])).find((c) => c.id === categoryId);
    if (!category) throw notFound('Category');
    return presentCategory(category);
  }

  private async lockManagedEvent(trx: Transaction<DB>, user: AuthUser, eventId: string): Promise<EventRow> {
    const event = await this.events.lockForWrite(trx, eventId);
    if (!event) throw notFound('Event');
    assertCanManageEvent(user, event);
    return event;
  }

  /** The event row is locked, so no other category write can slip in between sum and insert. */
  private async assertFitsCapacity(
    trx: Transaction<DB>,
    event: EventRow,
    quantity: number,
    exceptCategoryId?: string,
  ): Promise<void> {
    const others = await this.categories.totalQuantity(trx, event.id, exceptCategoryId);
    if (others + quantity > event.capacity) {
      throw capacityExceeded('The categories would hold more tickets than the event capacity', {
        capacidadTotal: event.capacity,
        sumaCategorias: others + quantity,
      });
    }
  }
}

/** The window after the patch (one bound may change alone) must not be empty. */
function assertWindowInOrder(category: CategoryRow, patch: CategoryPatch): void {
  const start =
    patch.ventaInicio === undefined ? category.sales_start : patch.ventaInicio && new Date(patch.ventaInicio);
  const end = patch.ventaFin === undefined ? category.sales_end : patch.ventaFin && new Date(patch.ventaFin);
  if (start && end && start >= end) {
    throw new AppError('VALIDATION_ERROR', 'Invalid request body', [
      {
        in: 'body',
        path: patch.ventaFin === undefined ? 'ventaInicio' : 'ventaFin',
        message: 'the sales window would end before it opens',
      },
    ]);
  }
}
