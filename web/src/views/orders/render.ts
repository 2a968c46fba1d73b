/** What the order screens show: DOM built from data, with no requests and no state. */
import { serverNow } from '../../api';
import { formatDate, formatMoney, formatNumber, formatShortDate, h, replaceChildren } from '../../dom';
import type { Order, TicketEvent } from '../../types';
import { formatRemaining, notice, statusBadge } from '../../ui';
import type { ViewContext } from '../../view';
import { ticketsSection } from '../tickets';
import { methodLabel } from './forms';

export function signInPrompt(ctx: ViewContext, title: string, next: string): void {
  replaceChildren(
    ctx.root,
    ctx.heading(title),
    notice('Sign in to see your orders.', 'info'),
    h('p', null, h('a', { class: 'btn btn-primary', href: `#/login?next=${encodeURIComponent(next)}` }, 'Sign in')),
  );
}

/** Countdown text for a hold: `Hold expires in 2:31`. */
export function remainingText(expiraEn: string): { text: string; over: boolean } {
  const ms = Date.parse(expiraEn) - serverNow();
  return ms > 0
    ? { text: `Hold expires in ${formatRemaining(ms)}`, over: false }
    : { text: 'Hold ran out: releasing the tickets…', over: true };
}

function ticketSummary(order: Order): string {
  return order.tickets.map((t) => `${t.cantidad} × ${t.nombre}`).join(', ');
}

/** One order of "My orders"; `eventLink` gets the event's name once it is known. */
export function orderCard(order: Order, signal: AbortSignal) {
  const countdown =
    order.estado === 'RESERVED' ? h('p', { class: 'countdown', role: 'timer', 'data-testid': 'countdown' }) : null;
  const eventLink = h('a', { href: `#/orders/${order.id}` }, 'Order');
  const item = h(
    'li',
    {
      class: `card order-card status-${order.estado.toLowerCase()}`,
      'data-testid': 'order',
      'data-order-id': order.id,
    },
    h('div', { class: 'order-head' }, h('h2', null, eventLink), statusBadge(order.estado)),
    h('p', null, ticketSummary(order), ' · ', h('strong', null, `Total ${formatMoney(order.total)}`)),
    h(
      'p',
      { class: 'muted small' },
      'Ordered ',
      h('time', { datetime: order.createdAt }, formatShortDate(order.createdAt)),
    ),
    countdown,
    ticketsSection(order, signal),
    order.estado === 'RESERVED'
      ? h('p', null, h('a', { class: 'btn btn-primary', href: `#/orders/${order.id}` }, 'Pay or cancel'))
      : null,
  );
  return { item, countdown, eventLink };
}

export const noOrders = () =>
  h('li', { class: 'muted' }, 'You have no orders yet. ', h('a', { href: '#/' }, 'Browse events'));

/** Newer/older links when there is more than one page. */
export function pager(page: number, pages: number): HTMLElement | null {
  if (pages <= 1) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    page > 1 ? h('a', { class: 'btn', href: `#/orders?page=${page - 1}` }, '← Newer') : null,
    h('span', null, `Page ${page} of ${pages}`),
    page < pages ? h('a', { class: 'btn', href: `#/orders?page=${page + 1}` }, 'Older →') : null,
  );
}

export const backToOrders = () => h('p', null, h('a', { href: '#/orders' }, '← My orders'));

/** The order's event and status, then its lines with the total. */
export function orderSummary(o: Order, event: TicketEvent | null): HTMLElement[] {
  const lines = h(
    'table',
    { class: 'lines' },
    h('caption', { class: 'visually-hidden' }, 'Tickets in this order'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Category'),
        h('th', { scope: 'col', class: 'num' }, 'Quantity'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Subtotal'),
      ),
    ),
    h(
      'tbody',
      null,
      o.tickets.map((t) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, t.nombre),
          h('td', { class: 'num' }, formatNumber(t.cantidad)),
          h('td', { class: 'num' }, formatMoney(t.precioUnitario)),
          h('td', { class: 'num' }, formatMoney(t.subtotal)),
        ),
      ),
    ),
    h(
      'tfoot',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'row', colspan: 3 }, 'Total'),
        h('td', { class: 'num', 'data-testid': 'order-total' }, formatMoney(o.total)),
      ),
    ),
  );
  return [
    h(
      'div',
      { class: 'order-head' },
      h(
        'p',
        { class: 'event-line' },
        event ? h('a', { href: `#/events/${event.id}` }, event.nombre) : 'Event',
        event ? ` · ${formatShortDate(event.fecha)}` : '',
      ),
      statusBadge(o.estado),
    ),
    lines,
  ];
}

/** A confirmed order's notice and payment facts. */
export function receipt(o: Order): (HTMLElement | null)[] {
  return [
    notice('Payment confirmed. Your tickets are booked.', 'success', 'confirmed'),
    o.pago
      ? h(
          'dl',
          { class: 'facts' },
          h('div', null, h('dt', null, 'Paid with'), h('dd', null, methodLabel(o.pago.metodoPago))),
          h('div', null, h('dt', null, 'Reference'), h('dd', null, o.pago.transactionId)),
          h('div', null, h('dt', null, 'On'), h('dd', null, formatDate(o.pago.confirmadoEn))),
        )
      : null,
  ];
}

export const expiredNotice = (o: Order) => [
  notice(
    'This hold expired before payment, and its tickets went back on sale. Nothing was charged.',
    'warning',
    'expired',
  ),
  h('p', null, h('a', { class: 'btn', href: `#/events/${o.eventoId}` }, 'Reserve again')),
];

export function cancelledNotices(o: Order): HTMLElement[] {
  const parts = [notice('This order was cancelled and its tickets went back on sale.', 'info', 'cancelled')];
  if (o.pago?.reembolsadoEn) parts.push(notice(`Refunded on ${formatDate(o.pago.reembolsadoEn)}.`, 'info', 'refunded'));
  return parts;
}
