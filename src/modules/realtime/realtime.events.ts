import type { Server } from 'socket.io';
import type { AuthUser } from '../auth/tokens';
import type {
  Ack,
  AlmostSoldOut,
  CheckinUpdate,
  EventUpdate,
  OrderStatusChange,
  QueueAdmitted,
  QueuePosition,
  StockUpdate,
} from './realtime.wire';

/** The typed Socket.IO events (payload shapes in `realtime.wire.ts`); shared by server, tests and web. */
export type AckCallback = (result: Ack) => void;

export interface ServerToClientEvents {
  'ticket:stock-update': (payload: StockUpdate) => void;
  'order:status-change': (payload: OrderStatusChange) => void;
  'event:update': (payload: EventUpdate) => void;
  'ticket:almost-sold-out': (payload: AlmostSoldOut) => void;
  'checkin:update': (payload: CheckinUpdate) => void;
  'queue:position': (payload: QueuePosition) => void;
  'queue:admitted': (payload: QueueAdmitted) => void;
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
  /** Tickets of these events were admitted, issued or voided on the sending instance. */
  'checkin:dirty': (eventIds: string[]) => void;
  /** Admissions made by the admitter on the sending instance, for buyers connected anywhere. */
  'queue:admitted': (admissions: Array<QueueAdmitted & { userId: string }>) => void;
  /** Positions in this event's queue moved: each instance pushes them to its own sockets. */
  'queue:moved': (eventId: string) => void;
}

export interface SocketData {
  /** Set when the handshake carried a valid token. */
  user?: AuthUser;
  token?: string;
}

export const EVENT_ROOM_PREFIX = 'event:';
export const eventRoom = (eventId: string) => `${EVENT_ROOM_PREFIX}${eventId}`;
export const userRoom = (userId: string) => `user:${userId}`;

/** The typed Socket.IO server. */
export type IO = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
