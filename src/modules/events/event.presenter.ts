import type { EventRow } from '../../shared/db/schema';
import { fromCents } from '../../shared/http/schemas';
import type { CategoryDto } from '../categories/categories.wire';
import type { EditedEventFields, EventDto } from './events.wire';

export function presentEvent(event: EventRow, categorias: CategoryDto[]): EventDto {
  return {
    id: event.id,
    nombre: event.name,
    descripcion: event.description,
    fecha: event.starts_at.toISOString(),
    ubicacion: event.location,
    capacidadTotal: event.capacity,
    precioBase: fromCents(event.base_price_cents),
    organizadorId: event.organizer_id,
    maxPorComprador: event.max_per_buyer,
    colaVirtual: event.virtual_queue,
    categorias,
    createdAt: event.created_at.toISOString(),
    updatedAt: event.updated_at.toISOString(),
  };
}

/** Each editable wire field and how it is read from a row; the type makes it list every one. */
const EDITABLE_FIELDS: {
  [K in keyof EditedEventFields]-?: (event: EventRow) => Exclude<EditedEventFields[K], undefined>;
} = {
  nombre: (e) => e.name,
  descripcion: (e) => e.description,
  fecha: (e) => e.starts_at.toISOString(),
  ubicacion: (e) => e.location,
  capacidadTotal: (e) => e.capacity,
  precioBase: (e) => fromCents(e.base_price_cents),
  maxPorComprador: (e) => e.max_per_buyer,
  colaVirtual: (e) => e.virtual_queue,
};

/** The edited fields with their new values, in wire names, for the `event:update` message. */
export function editedFields(before: EventRow, after: EventRow): EditedEventFields {
  const cambios: Record<string, unknown> = {};
  for (const [field, read] of Object.entries(EDITABLE_FIELDS) as [
    keyof EditedEventFields,
    (e: EventRow) => unknown,
  ][]) {
    const value = read(after);
    if (read(before) !== value) cambios[field] = value;
  }
  return cambios as EditedEventFields;
}
