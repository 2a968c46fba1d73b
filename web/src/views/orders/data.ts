/** What the order screens read and write: every request they make, and nothing else. */
import { get, put } from '../../api';
import type { Order, Page, TicketEvent } from '../../types';

/** Event names for order lists, fetched once per page load. */
const eventCache = new Map<string, Promise<TicketEvent | null>>();
export function loadEvent(id: string): Promise<TicketEvent | null> {
  let p = eventCache.get(id);
  if (!p) {
    p = get<TicketEvent>(`/api/events/${id}`).catch(() => null);
    eventCache.set(id, p);
  }
  return p;
}

export const fetchOrder = (id: string, signal: AbortSignal) => get<Order>(`/api/orders/${id}`, { signal });
export const fetchMyOrders = (page: number, signal: AbortSignal) =>
  get<Page<Order>>('/api/orders/my-orders', { query: { page, limit: 20 }, signal });

export const confirmOrder = (id: string, body: { metodoPago: string; transactionId: string }) =>
  put<Order>(`/api/orders/${id}/confirm`, body);
export const cancelOrder = (id: string) => put<Order>(`/api/orders/${id}/cancel`, {});
