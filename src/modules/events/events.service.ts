import type { Database } from '../../shared/db/database';
import type { EventRow } from '../../shared/db/schema';
import type { DomainEvents } from '../../shared/domain-events';
import { AppError, notFound } from '../../shared/errors';
import { toCents, type Pagination } from '../../shared/http/schemas';
import type { Page } from '../../shared/http/wire';
import { TtlCache } from '../../shared/ttl-cache';
import type { AuthUser } from '../auth/tokens';
import type { CategoryRepository } from '../categories/categories.repository';
import type { CategoryDto } from '../categories/categories.wire';
import { presentCategory } from '../categories/category.presenter';
import type { StockRepository } from '../inventory/stock.repository';
import { assertCanManageEvent } from '../policy/policy';
import { editedFields, presentEvent } from './event.presenter';
import type { EventDto } from './events.wire';
import type { EventChanges, EventFilters, EventRepository } from './events.repository';
import type { CreateEventInput, UpdateEventInput } from './events.schemas';

export const capacityExceeded = (message: string, details?: unknown) =>
  new AppError('CAPACITY_EXCEEDED', message, details);

/**
 * GET /api/events/:id is the page everyone refreshes during an on-sale. Its answer is kept this
 * long, and dropped at once when this instance (or, for stock, any instance) changes the event.
 */
const EVENT_CACHE_TTL_MS = 500;

export class EventService {
  private readonly cache = new TtlCache<string, EventDto>(EVENT_CACHE_TTL_MS);

  constructor(
    private readonly db: Database,
    private readonly events: EventRepository,
    private readonly categories: CategoryRepository,
    private readonly stock: StockRepository,
    private readonly bus: DomainEvents,
  ) {
    const drop = ({ eventId }: { eventId: string }) => this.cache.delete(eventId);
    bus.subscribe('stock.changed', drop);
    bus.subscribe('event.catalog-changed', drop);
    bus.subscribe('stock.changed-elsewhere', ({ categoryIds }) =>
      this.cache.deleteWhere((event) => event.categorias.some((c) => categoryIds.includes(c.id))),
    );
  }

  async list(filters: EventFilters, pagination: Pagination): Promise<Page<EventDto>> {
    const { rows, total } = await this.events.page(filters, pagination);
    return { data: await this.withCategories(rows), page: pagination.page, limit: pagination.limit, total };
  }

  async get(id: string): Promise<EventDto> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const stamp = this.cache.stamp(id);
    const event = await this.events.findById(id);
    if (!event) throw notFound('Event');
    const [dto] = await this.withCategories([event]);
    this.cache.setIfUnchanged(id, stamp, dto!);
    return dto!;
  }

  async create(user: AuthUser, input: CreateEventInput): Promise<EventDto> {
    const categoriesTotal = input.categorias.reduce((sum, c) => sum + c.cantidadTotal, 0);
    if (categoriesTotal > input.capacidadTotal) {
      throw capacityExceeded('The categories hold more tickets than the event capacity', {
        capacidadTotal: input.capacidadTotal,
        sumaCategorias: categoriesTotal,
      });
    }
    const eventId = await this.db.transaction().execute(async (trx) => {
      const event = await this.events.insert(trx, {
        name: input.nombre,
        description: input.descripcion,
        startsAt: new Date(input.fecha),
        location: input.ubicacion,
        capacity: input.capacidadTotal,
        basePriceCents: toCents(input.precioBase),
        organizerId: user.id,
        maxPerBuyer: input.maxPorComprador ?? null,
        virtualQueue: input.colaVirtual ?? false,
      });
      for (const c of input.categorias) {
        const category = await this.categories.insert(trx, event.id, {
          name: c.nombre,
          priceCents: toCents(c.precio),
          totalQuantity: c.cantidadTotal,
          benefits: c.beneficios,
          salesStart: c.ventaInicio,
          salesEnd: c.ventaFin,
        });
        await this.stock.rewrite(trx, category.id, c.cantidadTotal, c.cantidadTotal);
      }
      return event.id;
    });
    return this.get(eventId);
  }

  async update(user: AuthUser, id: string, patch: UpdateEventInput): Promise<EventDto> {
    const changes: EventChanges = {
      name: patch.nombre,
      description: patch.descripcion,
      startsAt: patch.fecha === undefined ? undefined : new Date(patch.fecha),
      location: patch.ubicacion,
      capacity: patch.capacidadTotal,
      basePriceCents: patch.precioBase === undefined ? undefined : toCents(patch.precioBase),
      maxPerBuyer: patch.maxPorComprador,
      virtualQueue: patch.colaVirtual,
    };
    const { before, after } = await this.db.transaction().execute(async (trx) => {
      const event = await this.events.lockForWrite(trx, id);
      if (!event) throw notFound('Event');
      assertCanManageEvent(user, event);
      if (changes.capacity !== undefined) {
        // Categories hold at least what is sold or held, so this also keeps capacity above that.
        const categoriesTotal = await this.categories.totalQuantity(trx, id);
        if (changes.capacity < categoriesTotal) {
          throw capacityExceeded('Capacity cannot go below the tickets of its categories', {
            capacidadTotal: changes.capacity,
            sumaCategorias: categoriesTotal,
          });
        }
      }
      return { before: event, after: await this.events.update(trx, id, changes) };
    });
    this.bus.publish('event.catalog-changed', { eventId: id });
    const cambios = editedFields(before, after);
    if (Object.keys(cambios).length > 0) this.bus.publish('event.updated', { eventId: id, changes: cambios });
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await this.events.lockForDelete(trx, id))) throw notFound('Event');
      await this.events.lockOpenOrders(trx, id);
      if (await this.events.hasOrdersInState(trx, id, 'CONFIRMED')) {
        throw new AppError('HAS_ORDERS', 'The event has confirmed orders and cannot be deleted');
      }
      await this.events.delete(trx, id);
    });
    this.bus.publish('event.catalog-changed', { eventId: id });
  }

  private async withCategories(events: EventRow[]): Promise<EventDto[]> {
    const categories = await this.categories.listByEvents(events.map((e) => e.id));
    const byEvent = new Map<string, CategoryDto[]>();
    for (const c of categories) {
      const list = byEvent.get(c.event_id) ?? [];
      list.push(presentCategory(c));
      byEvent.set(c.event_id, list);
    }
    return events.map((e) => presentEvent(e, byEvent.get(e.id) ?? []));
  }
}
