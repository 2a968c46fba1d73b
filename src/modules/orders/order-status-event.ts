import type { OrderRow } from '../../shared/db/schema';
import type { DomainEventMap } from '../../shared/domain-events';
import type { WaitlistOffer } from '../inventory/stock.repository';

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

/** An order made for a waiting-list entry reaches its buyer as any new order does. */
export function offerMade(offer: WaitlistOffer): DomainEventMap['order.status-changed'] {
  return {
    orderId: offer.orderId,
    userId: offer.userId,
    eventId: offer.eventId,
    status: 'RESERVED',
    expiresAt: offer.expiresAt,
  };
}
