import { get } from '../api';
import { formatShortDate, h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import { session } from '../session';
import type { Order, TicketEvent, Ticket } from '../types';
import { notice } from '../ui';
import type { ViewContext } from '../view';

export const TICKET_LABELS: Record<Ticket['estado'], string> = {
  VALIDO: 'Valid',
  USADO: 'Checked in',
  ANULADO: 'Voided',
};

/**
 * A ticket's QR code. The SVG comes from the API with the bearer token, so it is not an <img src>
 * the browser could fetch by itself; it is shown as a data: URL (the page's CSP allows data:
 * images, and no markup from the network is ever parsed into the page).
 */
export async function qrImage(ticket: Ticket, signal: AbortSignal, size: number): Promise<HTMLImageElement> {
  const headers: Record<string, string> = session.token ? { authorization: `Bearer ${session.token}` } : {};
  const res = await fetch(`/api/tickets/${ticket.id}/qr.svg`, { headers, signal });
  if (!res.ok) throw new Error(`QR code: ${res.status}`);
  const svgText = await res.text();
  const src = `data:image/svg+xml;base64,${btoa(svgText)}`;
  return h('img', {
    src,
    width: size,
    height: size,
    class: 'ticket-qr',
    alt: `QR code of the ${ticket.categoriaNombre} ticket`,
    'data-testid': 'ticket-qr',
  });
}

function ticketCard(ticket: Ticket, signal: AbortSignal, size: number): HTMLElement {
  const qrSlot = h('div', { class: 'ticket-qr-slot' }, h('p', { class: 'muted small' }, 'Loading QR code…'));
  qrImage(ticket, signal, size).then(
    (img) => replaceChildren(qrSlot, img),
    () => !signal.aborted && replaceChildren(qrSlot, h('p', { class: 'muted small' }, 'QR code unavailable')),
  );
  return h(
    'li',
    {
      class: `card ticket-card ticket-${ticket.estado.toLowerCase()}`,
      'data-testid': 'ticket',
      'data-ticket-id': ticket.id,
    },
    h(
      'p',
      null,
      h('strong', null, ticket.categoriaNombre),
      ' · ',
      h('span', { class: 'badge', 'data-testid': 'ticket-status' }, TICKET_LABELS[ticket.estado]),
    ),
    qrSlot,
    ticket.ingresoEn
      ? h(
          'p',
          { class: 'muted small' },
          `Checked in ${formatShortDate(ticket.ingresoEn)}${ticket.puerta ? ` at ${ticket.puerta}` : ''}`,
        )
      : null,
    h(
      'details',
      null,
      h('summary', null, 'Ticket code'),
      h('code', { class: 'ticket-code', 'data-testid': 'ticket-code' }, ticket.codigo),
    ),
  );
}

/** The tickets of a confirmed order, with their QR codes, for "My orders" and the order page. */
export function ticketsSection(order: Order, signal: AbortSignal): HTMLElement | null {
  if (order.estado !== 'CONFIRMED') return null;
  const list = h(
    'ul',
    { class: 'ticket-list', 'data-testid': 'ticket-list' },
    h('li', { class: 'muted small' }, 'Loading tickets…'),
  );
  get<Ticket[]>(`/api/orders/${order.id}/tickets`, { signal }).then(
    (tickets) =>
      replaceChildren(
        list,
        tickets.map((t) => ticketCard(t, signal, 140)),
      ),
    (error) => !signal.aborted && replaceChildren(list, h('li', null, errorBox(error))),
  );
  return h(
    'section',
    { class: 'tickets', 'aria-label': 'Tickets' },
    list,
    h(
      'p',
      null,
      h(
        'a',
        { class: 'btn btn-small', href: `#/orders/${order.id}/print`, 'data-testid': 'print-tickets' },
        'Print view',
      ),
    ),
  );
}

/** One page per ticket, large QR codes, for printing or showing at the door. */
export async function printTicketsView(ctx: ViewContext): Promise<void> {
  const [orderId] = ctx.params;
  if (!session.signedIn) {
    replaceChildren(ctx.root, ctx.heading('Tickets'), notice('Sign in to see your tickets.', 'info'));
    return;
  }
  try {
    const order = await get<Order>(`/api/orders/${orderId}`, { signal: ctx.signal });
    const [event, tickets] = await Promise.all([
      get<TicketEvent>(`/api/events/${order.eventoId}`, { signal: ctx.signal }),
      get<Ticket[]>(`/api/orders/${orderId}/tickets`, { signal: ctx.signal }),
    ]);
    if (ctx.signal.aborted) return;
    const printButton = h('button', { type: 'button', class: 'btn btn-primary no-print' }, 'Print');
    printButton.addEventListener('click', () => window.print());
    replaceChildren(
      ctx.root,
      ctx.heading(`Tickets · ${event.nombre}`, 'print-heading'),
      h('p', { class: 'no-print' }, h('a', { href: '#/orders' }, '← My orders'), ' ', printButton),
      tickets.length === 0 ? notice('This order has no tickets (only confirmed orders do).', 'info') : null,
      h(
        'ol',
        { class: 'print-tickets', 'data-testid': 'print-tickets-list' },
        tickets.map((t) =>
          h(
            'li',
            { class: 'print-ticket' },
            h('h2', null, event.nombre),
            h('p', null, formatShortDate(event.fecha), ' · ', event.ubicacion),
            h('p', null, h('strong', null, t.categoriaNombre), ` · ${TICKET_LABELS[t.estado]}`),
            ticketCard(t, ctx.signal, 320),
          ),
        ),
      ),
    );
  } catch (error) {
    if (!ctx.signal.aborted) replaceChildren(ctx.root, ctx.heading('Tickets'), errorBox(error));
  }
}
