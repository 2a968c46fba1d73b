import type { Server } from 'socket.io';
import type { OrderStatus, SocketAckErrorCode } from '../../shared/domain';
import type { AuthUser } from '../auth/tokens';

/** Wire payloads of the Socket.IO contract (API.md, "Real time"); shared by server and tests. */
export interface StockUpdate {
  eventoId: string;
  categoriaId: string;
  nuevoStock: number;
}
export interface OrderStatusChange {
  orderId: string;
  nuevoEstado: OrderStatus;
  expiraEn: string;
}
export interface EventUpdate {
  eventoId: string;
  cambios: Record<string, unknown>;
}
export interface AlmostSoldOut {
  eventoId: string;
  categoriaId: string;
  stockRestante: number;
}

export type AckError = { code: SocketAckErrorCode; message: string };
export type Ack = { ok: true } | { ok: false; error: AckError };
export type AckCallback = (result: Ack) => void;

export interface ServerToClientEvents {
  'ticket:stock-update': (payload: StockUpdate) => void;
  'order:status-change': (payload: OrderStatusChange) => void;
  'event:update': (payload: EventUpdate) => void;
  'ticket:almost-sold-out': (payload: AlmostSoldOut) => void;
}

export interface ClientToServerEvents {
  'join:event': (payload: { eventId: string }, ack?: AckCallback) => void;
  'leave:event': (payload: { eventId: string }, ack?: AckCallback) => void;
  'join:user': (payload: { userId: string }, ack?: AckCallback) => void;
}

/** Between instances: "these categories' stock moved; read it and tell your own clients", and order changes. */
export interface InterServerEvents {
  'stock:dirty': (categoryIds: string[]) => void;
  /** Order state changes made on the sending instance, for buyers connected elsewhere. */
  'orders:status': (changes: Array<OrderStatusChange & { userId: string }>) => void;
}

export interface SocketData {
  /** Set when the handshake carried a valid token. */
  user?: AuthUser;
  token?: string;
}

export const eventRoom = (eventId: string) => `event:${eventId}`;
export const userRoom = (userId: string) => `user:${userId}`;

/** The typed Socket.IO server. */
export type IO = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
