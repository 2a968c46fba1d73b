/** Wire types of the public API (see API.md); field names are the API's. */

import type { OrderStatus, Role } from '../../src/shared/domain';

export type { OrderStatus, Role };

export interface User {
  id: string;
  nombre: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface AuthResult {
  token: string;
  user: User;
}

export interface Category {
  id: string;
  eventoId: string;
  nombre: string;
  precio: number;
  cantidadTotal: number;
  disponible: number;
  beneficios: string[];
}

export interface TicketEvent {
  id: string;
  nombre: string;
  descripcion: string;
  fecha: string;
  ubicacion: string;
  capacidadTotal: number;
  precioBase: number;
  organizadorId: string;
  categorias: Category[];
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
}

export interface OrderLine {
  categoriaId: string;
  nombre: string;
  cantidad: number;
  precioUnitario: number;
  subtotal: number;
}

export interface Order {
  id: string;
  usuarioId: string;
  eventoId: string;
  estado: OrderStatus;
  tickets: OrderLine[];
  total: number;
  expiraEn: string;
  pago?: { metodoPago: string; transactionId: string; confirmadoEn: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface SalesCategory {
  categoriaId: string;
  nombre: string;
  cantidadTotal: number;
  vendidas: number;
  reservadas: number;
  disponibles: number;
  ingresos: number;
}

export interface Sales {
  eventoId: string;
  categorias: SalesCategory[];
  totales: { vendidas: number; reservadas: number; disponibles: number; ingresos: number };
}

export interface ValidationDetail {
  in?: string;
  path: string;
  message: string;
}

export interface StockShortage {
  categoriaId: string;
  solicitadas: number;
  disponibles: number;
}

/** Socket.IO payloads. */
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
  cambios: Partial<Pick<TicketEvent, 'nombre' | 'descripcion' | 'fecha' | 'ubicacion' | 'capacidadTotal' | 'precioBase'>>;
}
export interface AlmostSoldOut {
  eventoId: string;
  categoriaId: string;
  stockRestante: number;
}
export type Ack = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface ServerToClientEvents {
  'ticket:stock-update': (payload: StockUpdate) => void;
  'order:status-change': (payload: OrderStatusChange) => void;
  'event:update': (payload: EventUpdate) => void;
  'ticket:almost-sold-out': (payload: AlmostSoldOut) => void;
}
export interface ClientToServerEvents {
  'join:event': (payload: { eventId: string }, ack: (a: Ack) => void) => void;
  'leave:event': (payload: { eventId: string }, ack: (a: Ack) => void) => void;
  'join:user': (payload: { userId: string }, ack: (a: Ack) => void) => void;
}
