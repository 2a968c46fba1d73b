/**
 * The domain's fixed vocabulary, written once. Schemas (zod), database row types, presenters,
 * services, OpenAPI, the web client and the tests all derive from these lists; the SQL side
 * (enum types and functions in `migrations/`) is checked against them by `test/domain.test.ts`.
 *
 * To add a value: add it here, add a migration that extends the PostgreSQL enum
 * (`ALTER TYPE … ADD VALUE`), and let the type checker show every switch that must handle it.
 */

export const ROLES = ['ADMIN', 'ORGANIZADOR', 'COMPRADOR'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a visitor may pick when signing up (administrators are made, not self-registered). */
export const SELF_REGISTER_ROLES = ['ORGANIZADOR', 'COMPRADOR'] as const satisfies readonly Role[];
export const DEFAULT_ROLE: Role = 'COMPRADOR';

/** PostgreSQL enum `order_status` (migrations/0002). */
export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED', 'EXPIRED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** PostgreSQL enum `ticket_status` (migrations/0007): VALIDO, USADO (checked in), ANULADO (voided). */
export const TICKET_STATUSES = ['VALIDO', 'USADO', 'ANULADO'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
/** What an offline scan turned out to be (POST /api/events/:id/checkins/sync), per nonce. */
export const SYNC_RESULTS = ['ADMITIDO', 'DUPLICADO', 'ANULADO', 'INVALIDO'] as const;
export type SyncResult = (typeof SYNC_RESULTS)[number];
/** Offline scans per sync request. */
export const MAX_SYNC_SCANS = 500;

/**
 * PostgreSQL enum `waitlist_status` (migrations/0010): EN_ESPERA (waiting), OFERTADO (a RESERVED
 * order was made for it), EXPIRADO (that hold ran out; the turn passed on), CANCELADO (left the
 * list, or cancelled the offered order).
 */
export const WAITLIST_STATUSES = ['EN_ESPERA', 'OFERTADO', 'EXPIRADO', 'CANCELADO'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/**
 * PostgreSQL enum `queue_turn_status` (migrations/0011): ESPERANDO (in an event's virtual queue),
 * ADMITIDO (holds an admission token), AGOTADO (the event sold out before the turn came).
 */
export const QUEUE_TURN_STATUSES = ['ESPERANDO', 'ADMITIDO', 'AGOTADO'] as const;
export type QueueTurnStatus = (typeof QUEUE_TURN_STATUSES)[number];

/** Narrows `value` to a member of `list` (for the `as const` lists above). */
export const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

/** States from which a buyer or an administrator may cancel (tickets go back on sale). */
export const CANCELLABLE_STATUSES = ['RESERVED', 'CONFIRMED'] as const satisfies readonly OrderStatus[];
/** States whose tickets count as taken (sold or held) for an event. */
export const OPEN_STATUSES = ['RESERVED', 'CONFIRMED'] as const satisfies readonly OrderStatus[];

/**
 * Every error code of the wire contract with its HTTP status. `AppError` (shared/errors.ts)
 * carries a code; one middleware turns it into this status; OpenAPI lists them per route.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_SIGNATURE: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  QUEUE_REQUIRED: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  INSUFFICIENT_STOCK: 409,
  ORDER_EXPIRED: 409,
  INVALID_STATE: 409,
  CAPACITY_EXCEEDED: 409,
  HAS_ORDERS: 409,
  DUPLICATE_TRANSACTION: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  LIMIT_EXCEEDED: 409,
  SALES_CLOSED: 409,
  ALREADY_CHECKED_IN: 409,
  TICKET_REVOKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** Codes a Socket.IO acknowledgement can carry (`{ ok: false, error: { code, message } }`). */
export const SOCKET_ACK_ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'RATE_LIMITED',
  'LIMIT_EXCEEDED',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];
export type SocketAckErrorCode = (typeof SOCKET_ACK_ERROR_CODES)[number];

/**
 * Stock of a category is split over up to this many `category_stock` rows ("buckets") so buyers
 * lock different rows; more stopped helping. `take_stock()` in migrations/0003 spreads buyers with
 * `% 16`: migrations are append-only, so `test/domain.test.ts` asserts the two agree.
 */
export const MAX_STOCK_BUCKETS = 16;
/** Buckets stay big enough that a usual order fits in one, so orders rarely combine buckets. */
export const MIN_TICKETS_PER_BUCKET = 25;

/** PAYMENT_PROVIDER values: who takes the money (see README, "Payments"). */
export const PAYMENT_PROVIDERS = ['simulated', 'stripe'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

/** Upper bounds of the wire contract. */
export const MAX_ORDER_LINES = 50;
export const MAX_PAGE_SIZE = 100;
