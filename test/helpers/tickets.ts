import { call } from './http';
import type { EventBody, OrderBody, TestUser } from './factories';
import type { TestService } from './service';

export interface TicketBody {
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

/** Reserves `lines` (category index → quantity) for `buyer` and confirms the order. */
export async function buyConfirmed(
  svc: TestService,
  buyer: TestUser,
  event: EventBody,
  lines: number[],
): Promise<OrderBody> {
  const tickets = lines.flatMap((cantidad, i) =>
    cantidad > 0 ? [{ categoriaId: event.categorias[i]!.id, cantidad }] : [],
  );
  const order = await call(svc.url, 'POST', '/api/orders', {
    token: buyer.token,
    body: { eventoId: event.id, tickets },
  });
  if (order.status !== 201) throw new Error(`reserve failed: ${order.status} ${JSON.stringify(order.body)}`);
  const confirmed = await call(svc.url, 'PUT', `/api/orders/${order.body.id}/confirm`, {
    token: buyer.token,
    body: { metodoPago: 'card', transactionId: `tx-${order.body.id}` },
  });
  if (confirmed.status !== 200)
    throw new Error(`confirm failed: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return confirmed.body;
}

export async function ticketsOf(svc: TestService, user: TestUser, orderId: string): Promise<TicketBody[]> {
  const res = await call(svc.url, 'GET', `/api/orders/${orderId}/tickets`, { token: user.token });
  if (res.status !== 200) throw new Error(`tickets failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const scan = (svc: TestService, token: string, eventId: string, codigo: string, puerta?: string) =>
  call(svc.url, 'POST', `/api/events/${eventId}/checkins`, { token, body: { codigo, ...(puerta ? { puerta } : {}) } });
