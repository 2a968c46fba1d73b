import type { TicketStatus } from '../../shared/domain';

export interface TicketRow {
  id: string;
  order_id: string;
  event_id: string;
  category_id: string;
  category_name: string;
  status: TicketStatus;
  checked_in_at: Date | null;
  door: string | null;
}

export function presentTicket(row: TicketRow, codigo: string) {
  return {
    id: row.id,
    ordenId: row.order_id,
    eventoId: row.event_id,
    categoriaId: row.category_id,
    categoriaNombre: row.category_name,
    estado: row.status,
    codigo,
    ingresoEn: row.checked_in_at ? row.checked_in_at.toISOString() : null,
    puerta: row.door,
  };
}
export type TicketDto = ReturnType<typeof presentTicket>;
