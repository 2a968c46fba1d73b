import { ORDER_STATUSES, ROLES } from '../../shared/domain';
import { fromCents } from '../../shared/http/schemas';
import type { CategorySales } from './admin.repository';
import type { SalesDto, StatsDto } from './admin.wire';

/** Every key present, zero where nothing was counted, so dashboards need no special cases. */
const countsFor = <K extends string>(keys: readonly K[], counts: Map<string, number>) =>
  Object.fromEntries(keys.map((k) => [k, counts.get(k) ?? 0])) as Record<K, number>;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export interface PlatformCounts {
  usersByRole: Map<string, number>;
  events: { total: number; upcoming: number };
  ordersByStatus: Map<string, number>;
  confirmed: { tickets: number; revenue_cents: number };
}

export function presentStats(counts: PlatformCounts): StatsDto {
  const porRol = countsFor(ROLES, counts.usersByRole);
  const porEstado = countsFor(ORDER_STATUSES, counts.ordersByStatus);
  return {
    usuarios: { total: sum(porRol), porRol },
    eventos: { total: counts.events.total, proximos: counts.events.upcoming },
    ordenes: { total: sum(porEstado), porEstado },
    ticketsVendidos: counts.confirmed.tickets,
    ingresos: fromCents(counts.confirmed.revenue_cents),
  };
}

export function presentSales(eventId: string, rows: CategorySales[]): SalesDto {
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
