import type { ColumnType, Generated, Selectable } from 'kysely';
import type { OrderStatus, QueueTurnStatus, Role, WaitlistStatus } from '../domain';

/** Table types for Kysely, kept by hand in step with `migrations/`; enums come from `shared/domain.ts`. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface UsersTable {
  id: Generated<string>;
  name: string;
  email: string;
  password_hash: string;
  role: Role;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface EventsTable {
  id: Generated<string>;
  name: string;
  description: string;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  location: string;
  capacity: number;
  base_price_cents: number;
  organizer_id: string;
  /** Tickets one buyer may hold or own of this event; null: no limit. */
  max_per_buyer: ColumnType<number | null, number | null | undefined, number | null>;
  /** Buyers queue and buy with an admission token (migrations/0011). */
  virtual_queue: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TicketCategoriesTable {
  id: Generated<string>;
  event_id: string;
  name: string;
  price_cents: number;
  total_quantity: number;
  benefits: string[];
  low_stock_alerted: Generated<boolean>;
  /** The sales window; null: open from creation, or until the event starts. */
  sales_start: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  sales_end: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface CategoryStockTable {
  category_id: string;
  bucket: number;
  available: number;
}

export interface OrdersTable {
  id: Generated<string>;
  user_id: string;
  event_id: string;
  status: OrderStatus;
  total_cents: number;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  payment_method: string | null;
  transaction_id: string | null;
  confirmed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  idempotency_key: string | null;
  request_hash: string | null;
  payment_provider: string | null;
  refunded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OrderItemsTable {
  order_id: string;
  category_id: string;
  category_name: string;
  quantity: number;
  unit_price_cents: number;
}

export interface OrderStatusHistoryTable {
  id: Generated<number>;
  order_id: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor_id: string | null;
  reason: string | null;
  created_at: CreatedAt;
}

export type PaymentKind = 'payment' | 'refund';
export type PaymentWanted = 'capture' | 'release';

export interface PaymentsTable {
  id: Generated<number>;
  order_id: string;
  kind: PaymentKind;
  provider: string;
  provider_id: string;
  amount_cents: number;
  currency: string;
  state: string;
  wanted: PaymentWanted | null;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ProviderEventsTable {
  provider: string;
  event_id: string;
  event_type: string;
  order_id: string | null;
  processed_at: CreatedAt;
}

export interface WaitlistEntriesTable {
  id: Generated<string>;
  seq: Generated<number>;
  event_id: string;
  category_id: string;
  user_id: string;
  quantity: number;
  status: Generated<WaitlistStatus>;
  order_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface QueueTurnsTable {
  id: Generated<string>;
  event_id: string;
  user_id: string;
  place: number;
  status: Generated<QueueTurnStatus>;
  admitted_at: Date | null;
  token_expires_at: Date | null;
  created_at: CreatedAt;
}

export interface QueueStateTable {
  event_id: string;
  credit: Generated<number>;
  ticked_at: Generated<Date>;
  moved: Generated<boolean>;
  pushed_at: Generated<Date>;
  pushed_waiting: Generated<number>;
  sold_out: Generated<boolean>;
}

export interface DB {
  users: UsersTable;
  events: EventsTable;
  ticket_categories: TicketCategoriesTable;
  category_stock: CategoryStockTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  /** A view (migrations/0012): each order's creation, derived from the order row, then its stored changes. */
  order_status_history: OrderStatusHistoryTable;
  /** The stored transitions (every one but the creation); written here. */
  order_status_changes: OrderStatusHistoryTable;
  payments: PaymentsTable;
  provider_events: ProviderEventsTable;
  waitlist_entries: WaitlistEntriesTable;
  queue_turns: QueueTurnsTable;
  queue_state: QueueStateTable;
}

export type UserRow = Selectable<UsersTable>;
export type EventRow = Selectable<EventsTable>;
export type CategoryRow = Selectable<TicketCategoriesTable>;
export type OrderRow = Selectable<OrdersTable>;
export type OrderItemRow = Selectable<OrderItemsTable>;
export type OrderStatusHistoryRow = Selectable<OrderStatusHistoryTable>;
export type PaymentRow = Selectable<PaymentsTable>;
export type WaitlistEntryRow = Selectable<WaitlistEntriesTable>;
export type QueueTurnRow = Selectable<QueueTurnsTable>;
