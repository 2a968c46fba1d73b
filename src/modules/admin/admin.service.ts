import { ORDER_STATUSES, ROLES } from '../../shared/domain';
import { notFound } from '../../shared/errors';
import { fromCents } from '../../shared/http/schemas';
import type { AuthUser } from '../auth/tokens';
import type { EventRepository } from '../events/events.repository';
import { assertCanManageEvent } from '../policy/policy';
import type { AdminRepository } from './admin.repository';


/** Every key present, zero where nothing was counted, so dashboards need no special cases. */
const countsFor = <K extends string>(keys: readonly K[], counts: Map<string, number>) =>
  Object.fromEntries(keys.map((k) => [k, counts.get(k) ?? 0])) as Record<K, number>;

export class AdminService {
  constructor(
    private readonly reports: AdminRepository,
    private readonly events: EventRepository,
  ) {}

  async stats() {
    const [users, events, orders, confirmed] = await Promise.all([
      this.reports.usersByRole(),
      this.reports.eventCounts(),
      this.reports.ordersByStatus(),
      this.reports.confirmedTotals(),
    ]);
    const porRol = countsFor(ROLES, users);
    const porEstado = countsFor(ORDER_STATUSES, orders);
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      usuarios: { total: sum(porRol), porRol },
      eventos: { total: events.total, proximos: events.upcoming },
      ordenes: { total: sum(porEstado), porEstado },
      ticketsVendidos: confirmed.tickets,
      ingresos: fromCents(confirmed.revenue_cents),
    };
  }

  /** For an administrator or the event's own organizer. */
  async eventSales(user: AuthUser, eventId: string) {
    const event = await this.events.findById(eventId);
    if (!event) throw notFound('Event');
    assertCanManageEvent(user, event);
    const rows = await this.reports.categorySales(eventId);
    const totals = { vendidas: 0, reservadas: 0, disponibles: 0, ingresosCents: 0 };
    const categorias = rows.map((r) => {
      totals.vendidas += r.sold;
      totals.reservadas += r.held;
      totals.disponibles += r.available;
      totals.ingresosCents += r.revenue_cents;
      return {
        categoriaId: r.category_id,
        nombre: r.name,
        cantidadTotal: r.total_quantity,
        vendidas: r.sold,
        reservadas: r.held,
        disponibles: r.available,
        ingresos: fromCents(r.revenue_cents),
      };
    });
    return {
      eventoId: eventId,
      categorias,
      totales: {
        vendidas: totals.vendidas,
        reservadas: totals.reservadas,
        disponibles: totals.disponibles,
        ingresos: fromCents(totals.ingresosCents),
      },
    };
  }
}
