import type { WaitlistEntryRow } from '../../shared/db/schema';
import type { WaitlistEntryDto } from './waitlist.wire';

export type WaitlistEntryWithPosition = WaitlistEntryRow & { position: number | null };

export function presentWaitlistEntry(row: WaitlistEntryWithPosition): WaitlistEntryDto {
  return {
    id: row.id,
    eventoId: row.event_id,
    categoriaId: row.category_id,
    cantidad: row.quantity,
    posicion: row.status === 'EN_ESPERA' ? row.position : null,
    estado: row.status,
    ordenId: row.order_id,
    creadoEn: row.created_at.toISOString(),
  };
}
