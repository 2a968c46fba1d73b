import { ApiError, get, put, serverNow } from '../api';
import {
  field,
  formatDate,
  formatMoney,
  formatNumber,
  formatShortDate,
  h,
  randomId,
  replaceChildren,
  throttle,
} from '../dom';
import { clearInvalidFields, errorBox, markInvalidFields } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { Order, Page, TicketEvent } from '../types';
import { announce, busy, formatRemaining, notice, STATUS_LABELS, statusBadge, takeFlash } from '../ui';
import type { ViewContext } from '../view';
import { ticketsSection } from './tickets';
import { paymentSettings, stripePaymentCard } from './stripe-payment';

export const PAYMENT_METHODS: [string, string][] = [
  ['credit_card', 'Credit card'],
  ['debit_card', 'Debit card'],
  ['paypal', 'PayPal'],
  ['bank_transfer', 'Bank transfer'],
];
const methodLabel = (m: string | null) => PAYMENT_METHODS.find(([v]) => v === m)?.[1] ?? m;

/** Event names for order lists, fetched once per page load. */
const eventCache = new Map<string, Promise<TicketEvent | null>>();
function loadEvent(id: string): Promise<TicketEvent | null> {
  let p = eventCache.get(id);
  if (!p) {
    p = get<TicketEvent>(`/api/events/${id}`).catch(() => null);
    eventCache.set(id, p);
  }
  return p;
}

function signInPrompt(ctx: ViewContext, title: string, next: string): void {
  replaceChildren(
    ctx.root,
    ctx.heading(title),
    notice('Sign in to see your orders.', 'info'),
    h('p', null, h('a', { class: 'btn btn-primary', href: `#/login?next=${encodeURIComponent(next)}` }, 'Sign in')),
  );
}

/** Countdown text for a hold: `Hold expires in 2:31`. */
function remainingText(expiraEn: string): { text: string; over: boolean } {
  const ms = Date.parse(expiraEn) - serverNow();
  return ms > 0
    ? { text: `Hold expires in ${formatRemaining(ms)}`, over: false }
    : { text: 'Hold ran out: releasing the tickets…', over: true };
}

function ticketSummary(order: Order): string {
  return order.tickets.map((t) => `${t.cantidad} × ${t.nombre}`).join(', ');
}

/** "My orders", with live status changes and countdowns for holds. */
export async function ordersView(ctx: ViewContext): Promise<void> {
  if (!session.signedIn) return signInPrompt(ctx, 'My orders', '#/orders');
  const { root, query } = ctx;
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = h('ul', { class: 'order-list', 'data-testid': 'order-list' });
  const status = h('div', { 'aria-live': 'polite', class: 'live-notes' });
  const flash = takeFlash();
  const orders = new Map<
    string,
    { order: Order; item: HTMLLIElement; countdown: HTMLElement | null; recheck?: number }
  >();
  let pager: HTMLElement | null = null;

  const renderItem = (order: Order): HTMLLIElement => {
    const countdown =
      order.estado === 'RESERVED' ? h('p', { class: 'countdown', role: 'timer', 'data-testid': 'countdown' }) : null;
    const eventLink = h('a', { href: `#/orders/${order.id}` }, 'Order');
    void loadEvent(order.eventoId).then((e) => {
      if (e) eventLink.textContent = e.nombre;
    });
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
      ticketsSection(order, ctx.signal),
      order.estado === 'RESERVED'
        ? h('p', null, h('a', { class: 'btn btn-primary', href: `#/orders/${order.id}` }, 'Pay or cancel'))
        : null,
    );
    const previous = orders.get(order.id);
    if (previous?.recheck) window.clearTimeout(previous.recheck);
    orders.set(order.id, { order, item, countdown });
    return item;
  };

  const tick = () => {
    for (const entry of orders.values()) {
      if (!entry.countdown || entry.order.estado !== 'RESERVED') continue;
      const { text, over } = remainingText(entry.order.expiraEn);
      entry.countdown.textContent = text;
      // The server flips the order within ~2 s and tells us; if that message was lost, ask.
      if (over && !entry.recheck) {
        entry.recheck = window.setTimeout(() => refreshOne(entry.order.id), 3000);
      }
    }
  };
  const timer = window.setInterval(tick, 250);
  ctx.onCleanup(() => window.clearInterval(timer));
  ctx.onCleanup(() => {
    for (const e of orders.values()) if (e.recheck) window.clearTimeout(e.recheck);
  });

  const replaceOrder = (order: Order) => {
    const entry = orders.get(order.id);
    if (!entry) return;
    const item = renderItem(order);
    entry.item.replaceWith(item);
    tick();
  };

  const refreshOne = (id: string) => {
    get<Order>(`/api/orders/${id}`, { signal: ctx.signal })
      .then((o) => {
        if (!ctx.signal.aborted) replaceOrder(o);
      })
      .catch(() => undefined);
  };

  const load = async () => {
    const result = await get<Page<Order>>('/api/orders/my-orders', { query: { page, limit: 20 }, signal: ctx.signal });
    if (ctx.signal.aborted) return;
    for (const e of orders.values()) if (e.recheck) window.clearTimeout(e.recheck);
    orders.clear();
    replaceChildren(
      list,
      result.data.length
        ? result.data.map(renderItem)
        : h('li', { class: 'muted' }, 'You have no orders yet. ', h('a', { href: '#/' }, 'Browse events')),
    );
    const pages = Math.max(1, Math.ceil(result.total / result.limit));
    pager =
      pages > 1
        ? h(
            'nav',
            { class: 'pager', 'aria-label': 'Pages' },
            page > 1 ? h('a', { class: 'btn', href: `#/orders?page=${page - 1}` }, '← Newer') : null,
            h('span', null, `Page ${page} of ${pages}`),
            page < pages ? h('a', { class: 'btn', href: `#/orders?page=${page + 1}` }, 'Older →') : null,
          )
        : null;
    tick();
  };
  const reload = throttle(() => {
    load().catch(() => undefined);
  }, 1000);
  ctx.onCleanup(() => reload.cancel());

  ctx.onCleanup(
    realtime.on('order:status-change', (change) => {
      const entry = orders.get(change.orderId);
      if (!entry) {
        if (page === 1) reload(); // a new order (e.g. from another tab)
        return;
      }
      replaceOrder({ ...entry.order, estado: change.nuevoEstado, expiraEn: change.expiraEn });
      const label = (STATUS_LABELS[change.nuevoEstado] ?? change.nuevoEstado).toLowerCase();
      const kind = change.nuevoEstado === 'EXPIRED' ? 'warning' : 'info';
      void loadEvent(entry.order.eventoId).then((e) => {
        if (ctx.signal.aborted) return;
        const what = e ? `Your order for ${e.nombre}` : 'An order';
        const hint = change.nuevoEstado === 'EXPIRED' ? ': the hold ran out and its tickets went back on sale' : '';
        replaceChildren(status, notice(`${what} is now ${label}${hint}.`, kind, 'orders-live'));
      });
      // Fetch the full order (payment details, timestamps) in the background.
      refreshOne(change.orderId);
    }),
  );
  ctx.onCleanup(realtime.onResync(() => reload()));

  replaceChildren(root, flash, ctx.heading('My orders'), h('p', { class: 'muted' }, 'Loading your orders…'));
  try {
    await load();
  } catch (error) {
    if (ctx.signal.aborted) return;
    replaceChildren(root, ctx.heading('My orders'), errorBox(error));
    return;
  }
  if (ctx.signal.aborted) return;
  replaceChildren(
    root,
    flash,
    ctx.heading('My orders'),
    h('p', { class: 'muted small' }, 'Status changes appear here live.'),
    status,
    list,
    pager,
  );
}

/** One order: countdown, payment form and cancel for a hold; receipt for a confirmed order. */
export async function orderView(ctx: ViewContext): Promise<void> {
  const id = ctx.params[0]!;
  if (!session.signedIn) return signInPrompt(ctx, 'Your order', `#/orders/${id}`);
  const { root } = ctx;
  const flash = takeFlash();
  const body = h('div', { class: 'order-detail' });
  const live = h('div', { 'aria-live': 'polite', class: 'live-notes', 'data-testid': 'order-live' });
  let order: Order | null = null;
  let event: TicketEvent | null = null;
  let countdown: HTMLElement | null = null;
  let announcedMinute = false;
  let recheck: number | undefined;
  // One payment reference per page, so a retried confirmation is recognised as the same payment.
  const reference = `txn_${randomId().replace(/-/g, '').slice(0, 16)}`;
  const { proveedor } = await paymentSettings();

  /** Set while this page's own confirm/cancel runs: its result is shown, not announced twice. */
  let acting = false;

  const render = () => {
    if (!order) return;
    const o = order;
    countdown = null;
    // "Reserved, pay before…" no longer applies once the order has moved on.
    if (o.estado !== 'RESERVED') flash?.remove();
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

    const parts: (HTMLElement | null)[] = [
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

    if (o.estado === 'RESERVED') {
      countdown = h('p', { class: 'countdown countdown-large', role: 'timer', 'data-testid': 'countdown' });
      parts.push(
        countdown,
        proveedor === 'stripe'
          ? stripePaymentCard(o, cancelButton(o, 'Cancel reservation'), actionError)
          : paymentForm(o),
      );
    } else if (o.estado === 'CONFIRMED') {
      parts.push(
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
        ticketsSection(o, ctx.signal),
        event && Date.parse(event.fecha) > Date.now() ? cancelButton(o, 'Cancel order and release tickets') : null,
      );
    } else if (o.estado === 'EXPIRED') {
      parts.push(
        notice(
          'This hold expired before payment, and its tickets went back on sale. Nothing was charged.',
          'warning',
          'expired',
        ),
        h('p', null, h('a', { class: 'btn', href: `#/events/${o.eventoId}` }, 'Reserve again')),
      );
    } else if (o.estado === 'CANCELLED') {
      parts.push(notice('This order was cancelled and its tickets went back on sale.', 'info', 'cancelled'));
      if (o.pago?.reembolsadoEn)
        parts.push(notice(`Refunded on ${formatDate(o.pago.reembolsadoEn)}.`, 'info', 'refunded'));
    }
    replaceChildren(body, parts);
    tick();
  };

  const actionError = h('div', { class: 'form-error-slot' });

  const handleActionError = (error: unknown, form?: HTMLFormElement) => {
    if (ctx.signal.aborted) return;
    replaceChildren(actionError, errorBox(error));
    if (form) markInvalidFields(form, error);
    if (error instanceof ApiError && ['ORDER_EXPIRED', 'INVALID_STATE'].includes(error.code)) void refresh();
    actionError.querySelector<HTMLElement>('[role="alert"]')?.focus();
  };

  const paymentForm = (o: Order): HTMLElement => {
    const method = h(
      'select',
      { name: 'metodoPago', 'data-testid': 'payment-method' },
      PAYMENT_METHODS.map(([v, l]) => h('option', { value: v }, l)),
    );
    const txn = h('input', {
      type: 'text',
      name: 'transactionId',
      value: reference,
      autocomplete: 'off',
      required: true,
      'data-testid': 'transaction-id',
    });
    const pay = h(
      'button',
      { type: 'submit', class: 'btn btn-primary', 'data-testid': 'confirm-payment' },
      `Pay ${formatMoney(o.total)}`,
    );
    const form = h(
      'form',
      { class: 'card payment', 'aria-labelledby': 'pay-heading', novalidate: true },
      h('h2', { id: 'pay-heading' }, 'Payment'),
      field('Payment method', method),
      field('Payment reference (transaction id)', txn, 'The reference your payment provider gave you.'),
      actionError,
      h('div', { class: 'button-row' }, pay, cancelButton(o, 'Cancel reservation')),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearInvalidFields(form);
      replaceChildren(actionError);
      acting = true;
      try {
        const confirmed = await busy(pay, 'Paying…', () =>
          put<Order>(`/api/orders/${o.id}/confirm`, { metodoPago: method.value, transactionId: txn.value.trim() }),
        );
        if (ctx.signal.aborted) return;
        order = confirmed;
        render();
        announce('Payment confirmed. Your tickets are booked.');
        body.querySelector<HTMLElement>('[data-testid="confirmed"]')?.setAttribute('tabindex', '-1');
        body.querySelector<HTMLElement>('[data-testid="confirmed"]')?.focus();
      } catch (error) {
        handleActionError(error, form);
      } finally {
        acting = false;
      }
    });
    return form;
  };

  const cancelButton = (o: Order, label: string): HTMLButtonElement => {
    const button = h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'cancel-order' }, label);
    button.addEventListener('click', async () => {
      if (o.estado === 'CONFIRMED' && !window.confirm('Cancel this paid order and release its tickets?')) return;
      replaceChildren(actionError);
      acting = true;
      try {
        order = await busy(button, 'Cancelling…', () => put<Order>(`/api/orders/${o.id}/cancel`, {}));
        if (ctx.signal.aborted) return;
        render();
        announce('The order was cancelled.');
      } catch (error) {
        if (!actionError.isConnected) body.append(actionError);
        handleActionError(error);
      } finally {
        acting = false;
      }
    });
    return button;
  };

  const tick = () => {
    if (!countdown || !order || order.estado !== 'RESERVED') return;
    const ms = Date.parse(order.expiraEn) - serverNow();
    const { text, over } = remainingText(order.expiraEn);
    countdown.textContent = text;
    countdown.classList.toggle('countdown-urgent', ms < 60_000);
    if (!announcedMinute && ms < 60_000 && ms > 0) {
      announcedMinute = true;
      // Only when the minute mark is crossed on screen, not for holds that start shorter.
      if (ms > 50_000) announce('One minute left to pay.');
    }
    if (over) {
      for (const b of body.querySelectorAll<HTMLButtonElement>('form.payment button[type="submit"]')) b.disabled = true;
      recheck ??= window.setTimeout(() => void refresh(), 3000);
    }
  };
  const timer = window.setInterval(tick, 250);
  ctx.onCleanup(() => window.clearInterval(timer));
  ctx.onCleanup(() => window.clearTimeout(recheck));

  const refresh = async () => {
    try {
      const fresh = await get<Order>(`/api/orders/${id}`, { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      const changed = !order || fresh.estado !== order.estado;
      order = fresh;
      recheck = undefined;
      if (changed) render();
    } catch {
      // Keep what is on screen; the next status message or reload will fix it.
    }
  };

  ctx.onCleanup(
    realtime.on('order:status-change', (change) => {
      if (change.orderId !== id || !order) return;
      if (change.nuevoEstado !== order.estado) {
        order = { ...order, estado: change.nuevoEstado, expiraEn: change.expiraEn };
        render();
        const label = STATUS_LABELS[change.nuevoEstado] ?? change.nuevoEstado;
        if (!acting) {
          replaceChildren(
            live,
            notice(`This order is now ${label.toLowerCase()}.`, change.nuevoEstado === 'EXPIRED' ? 'warning' : 'info'),
          );
        }
      }
      void refresh();
    }),
  );
  ctx.onCleanup(realtime.onResync(() => void refresh()));

  replaceChildren(
    root,
    h('p', null, h('a', { href: '#/orders' }, '← My orders')),
    ctx.heading('Your order'),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  try {
    order = await get<Order>(`/api/orders/${id}`, { signal: ctx.signal });
    event = await loadEvent(order.eventoId);
  } catch (error) {
    if (ctx.signal.aborted) return;
    replaceChildren(
      root,
      h('p', null, h('a', { href: '#/orders' }, '← My orders')),
      ctx.heading('Your order'),
      errorBox(error),
    );
    return;
  }
  if (ctx.signal.aborted) return;
  render();
  replaceChildren(
    root,
    h('p', null, h('a', { href: '#/orders' }, '← My orders')),
    flash,
    ctx.heading('Your order', 'order-title'),
    live,
    body,
  );
}
