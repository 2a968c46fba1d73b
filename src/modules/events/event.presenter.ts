import type { EventRow } from '../../shared/db/schema';
import { fromCents } from '../../shared/http/schemas';
import type { CategoryDto } from '../categories/category.presenter';

export function presentEvent(event: EventRow, categorias: CategoryDto[]) {
  return {
    id: event.id,
    nombre: event.name,
    descripcion: event.description,
    fecha: event.starts_at.toISOString(),
    ubicacion: event.location,
    capacidadTotal: event.capacity,
    precioBase: fromCents(event.base_price_cents),
    organizadorId: event.organizer_id,
    categorias,
    createdAt: event.created_at.toISOString(),
    updatedAt: event.updated_at.toISOString(),
  };
}
export type EventDto = ReturnType<typeof presentEvent>;
