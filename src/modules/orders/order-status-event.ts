import type { OrderRow } from '../../shared/db/schema';
import type { DomainEventMap } from '../../shared/domain-events';

/** The `order.status-changed` payload of an order row, whichever service changed it. */
export function orderStatusChanged(order: OrderRow): DomainEventMap['order.status-changed'] {
  return {
    orderId: order.id,
    userId: order.user_id,
    eventId: order.event_id,
    status: order.status,
    expiresAt: order.expires_at,
  };
}
