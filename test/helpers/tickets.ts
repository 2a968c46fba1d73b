import type { TicketDto } from '../../src/modules/tickets/ticket.presenter';
import { confirm, line, payment, reserve } from './api';
import { call } from './http';
import type { EventBody, OrderBody, TestUser } from './factories';
import type { TestService } from './service';

/** A ticket as the API shows it: the server's presenter's type. */
export type TicketBody = TicketDto;

/** Reserves `lines` (category index → quantity) for `buyer` and confirms the order. */
export async function buyConfirmed(
  svc: TestService,
  buyer: TestUser,
  event: EventBody,
  lines: number[],
): Promise<OrderBody> {
  const tickets = lines.flatMap((cantidad, i) => (cantidad > 0 ? [line(event.categorias[i]!, cantidad)] : []));
  const order = await reserve(svc, buyer, event.id, tickets);
  return confirm(svc, buyer, order.id, payment(`tx-${order.id}`, 'card'));
}

export async function ticketsOf(svc: TestService, user: TestUser, orderId: string): Promise<TicketDto[]> {
  const res = await call(svc.url, 'GET', `/api/orders/${orderId}/tickets`, { token: user.token });
  if (res.status !== 200) throw new Error(`tickets failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const scan = (svc: TestService, token: string, eventId: string, codigo: string, puerta?: string) =>
  call(svc.url, 'POST', `/api/events/${eventId}/checkins`, { token, body: { codigo, ...(puerta ? { puerta } : {}) } });
