import { fromCents } from '../../shared/http/schemas';
import type { CategoryWithStock } from './categories.repository';
import type { CategoryDto } from './categories.wire';

export function presentCategory(category: CategoryWithStock): CategoryDto {
  return {
    id: category.id,
    eventoId: category.event_id,
    nombre: category.name,
    precio: fromCents(category.price_cents),
    cantidadTotal: category.total_quantity,
    disponible: category.available,
    beneficios: category.benefits,
    ventaInicio: category.sales_start?.toISOString() ?? null,
    ventaFin: category.sales_end?.toISOString() ?? null,
  };
}
