import type { Role } from '../../shared/domain';
import { AppError, forbidden } from '../../shared/errors';

/**
 * Who may do what, in one place, for HTTP routes, services, Socket.IO and the web client alike.
 * Rules take plain `{ id, role }` callers and plain ids, so they hold for database rows and wire
 * objects both. The caller's role is the account's current one (see `auth/authenticate.ts`), never
 * only what a token claims.
 *
 * To add a rule: a `canX` predicate (and an `assertCanX` if a service throws on it) here, used from
 * the route (`requireRole(...ROLE_GATES.x)`) or the service; add its row to docs/architecture.md.
 */
export interface Actor {
  id: string;
  role: Role;
}

/** Route-level gates: the roles that may call a group of endpoints at all. */
export const ROLE_GATES = {
  /** Create and edit events, manage their categories (ownership is checked by `canManageEvent`). */
  manageEvents: ['ORGANIZADOR', 'ADMIN'],
  deleteEvents: ['ADMIN'],
  /** All orders, order history, platform statistics. */
  adminReports: ['ADMIN'],
  /** Per-event sales (ownership is checked by `canManageEvent`). */
  eventSales: ['ADMIN', 'ORGANIZADOR'],
  /**
   * Scan tickets at an event's doors (with a user token; door devices use check-in tokens of one
   * event instead). Ownership is checked by the admission statement itself, as `canManageEvent`.
   */
  checkIn: ['ORGANIZADOR', 'ADMIN'],
} as const satisfies Record<string, readonly Role[]>;

export const isAdmin = (actor: Actor): boolean => actor.role === 'ADMIN';

/** Organizers manage their own events; administrators manage all. */
export const canManageEvent = (actor: Actor, organizerId: string): boolean =>
  isAdmin(actor) || actor.id === organizerId;

export function assertCanManageEvent(actor: Actor, event: { organizer_id: string }): void {
  if (!canManageEvent(actor, event.organizer_id)) {
    throw new AppError('FORBIDDEN', 'Only the event organizer or an administrator can change this event');
  }
}

/** Buyers see (and may cancel) their own orders; administrators any. Others' are answered 404. */
export const canSeeOrder = (actor: Actor, order: { user_id: string }): boolean =>
  isAdmin(actor) || order.user_id === actor.id;
export const canCancelOrder = canSeeOrder;
/** A ticket, its code and QR code: its buyer's and administrators' (others get 404). */
export const canSeeTicket = canSeeOrder;

/** A waiting-list entry is left by its buyer only (others' entries are answered 404). */
export const canLeaveWaitlistEntry = (actor: Actor, entry: { user_id: string }): boolean => entry.user_id === actor.id;

/** Only the buyer pays for an order, administrators included. */
export function assertCanConfirmOrder(actor: Actor, order: { user_id: string }): void {
  if (order.user_id !== actor.id) throw forbidden('Only the buyer can confirm an order');
}

/** Administrators are made, not self-registered. */
export function assertCanSelfRegister(role: Role | undefined): void {
  if (role === 'ADMIN') throw forbidden('Administrators cannot self-register');
}

/** Socket.IO `join:user`: your own room; administrators any. */
export const canJoinUserRoom = (actor: Actor, userId: string): boolean => isAdmin(actor) || actor.id === userId;
