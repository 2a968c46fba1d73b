/**
 * Wire types of the public API, inferred from the server's response schemas (`src/modules/<area>/<area>.wire.ts`):
 * a renamed or retyped field fails `tsc -p web/tsconfig.json`. Type-only imports: nothing of the
 * server is bundled.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/modules/realtime/realtime.events';

export type { OrderStatus, Role } from '../../src/shared/domain';
export type { Page, ValidationDetail } from '../../src/shared/http/wire';
export type { SessionDto as AuthResult, UserDto as User } from '../../src/modules/auth/auth.wire';
export type { CategoryDto as Category } from '../../src/modules/categories/categories.wire';
export type { EventDto as TicketEvent } from '../../src/modules/events/events.wire';
export type {
  LimitExceeded,
  OrderDto as Order,
  OrderLineDto as OrderLine,
  SalesClosed,
  StockShortage,
} from '../../src/modules/orders/orders.wire';
export type {
  PaymentConfigDto as PaymentSettings,
  PaymentDto as PaymentIntent,
} from '../../src/modules/payments/payments.wire';
export type { WaitlistEntryDto as WaitlistEntry } from '../../src/modules/waitlist/waitlist.wire';
export type { QueueTurnDto as QueueTurn } from '../../src/modules/queue/queue.wire';
export type { SalesCategoryDto as SalesCategory, SalesDto as Sales } from '../../src/modules/admin/admin.wire';
export type {
  Ack,
  AlmostSoldOut,
  CheckinUpdate,
  EventUpdate,
  OrderStatusChange,
  QueueAdmitted,
  QueuePosition,
  StockUpdate,
} from '../../src/modules/realtime/realtime.wire';
export type { ClientToServerEvents, ServerToClientEvents };

/** Tickets and check-in (API.md, Part 2). */
export interface Ticket {
  id: string;
  ordenId: string;
  eventoId: string;
  categoriaId: string;
  categoriaNombre: string;
  estado: 'VALIDO' | 'USADO' | 'ANULADO';
  codigo: string;
  ingresoEn: string | null;
  puerta: string | null;
}
export interface CheckinStats {
  emitidos: number;
  admitidos: number;
  porCategoria: { categoriaId: string; nombre: string; emitidos: number; admitidos: number }[];
}
