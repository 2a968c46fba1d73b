import { z } from 'zod';
import { ORDER_STATUSES, SOCKET_ACK_ERROR_CODES } from '../../shared/domain';
import { id, timestamp } from '../../shared/http/wire';
import { editedEventFields } from '../events/events.wire';

/** Payloads of the Socket.IO contract (API.md, "Real time"); documented under `x-socketio`. */

export const realtimeInfoResponse = z
  .object({ wsPort: z.int().nullable().describe('null: same origin as the API'), path: z.string() })
  .strict();

export const joinEventPayload = z.object({ eventId: id });
export const joinUserPayload = z.object({ userId: id });

export const ack = z.union([
  z.object({ ok: z.literal(true) }).strict(),
  z
    .object({
      ok: z.literal(false),
      error: z.object({ code: z.enum(SOCKET_ACK_ERROR_CODES), message: z.string() }).strict(),
    })
    .strict(),
]);
export type Ack = z.infer<typeof ack>;

export const stockUpdate = z.object({ eventoId: id, categoriaId: id, nuevoStock: z.int().min(0) }).strict();
export type StockUpdate = z.infer<typeof stockUpdate>;

export const orderStatusChange = z
  .object({ orderId: id, nuevoEstado: z.enum(ORDER_STATUSES), expiraEn: timestamp })
  .strict();
export type OrderStatusChange = z.infer<typeof orderStatusChange>;

export const eventUpdate = z.object({ eventoId: id, cambios: editedEventFields }).strict();
export type EventUpdate = z.infer<typeof eventUpdate>;

export const almostSoldOut = z.object({ eventoId: id, categoriaId: id, stockRestante: z.int().min(0) }).strict();
export type AlmostSoldOut = z.infer<typeof almostSoldOut>;

export const queuePosition = z
  .object({
    eventoId: id,
    turnoId: id,
    posicion: z.int().min(0).describe('1: next; 0 with agotado: the event sold out before this turn came'),
    agotado: z.literal(true).optional().describe('Present when the event sold out: this turn will not be admitted'),
  })
  .strict();
export type QueuePosition = z.infer<typeof queuePosition>;

export const queueAdmitted = z
  .object({
    eventoId: id,
    turnoId: id,
    token: z.string().describe('Send as the Queue-Token header of POST /api/orders for this event'),
    expiraEn: timestamp,
  })
  .strict();
export type QueueAdmitted = z.infer<typeof queueAdmitted>;

export const checkinUpdate = z.object({ eventoId: id, emitidos: z.int().min(0), admitidos: z.int().min(0) }).strict();
export type CheckinUpdate = z.infer<typeof checkinUpdate>;
