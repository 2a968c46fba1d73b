/**
 * The order screens: state, countdowns, live status changes and re-checks, wired to the requests
 * (data.ts), the DOM (render.ts) and the payment controls (forms.ts).
 */
import { ApiError, serverNow } from '../../api';
import { h, randomId, replaceChildren, throttle } from '../../dom';
import { errorBox, markInvalidFields } from '../../errors';
import { realtime } from '../../realtime';
import { session } from '../../session';
import type { Order, TicketEvent } from '../../types';
import { announce, busy, notice, STATUS_LABELS, takeFlash } from '../../ui';
import type { ViewContext } from '../../view';
import { ticketsSection } from '../tickets';
import { paymentSettings, stripePaymentCard } from '../stripe-payment';
import * as data from './data';
import { cancelButton as cancelControl, paymentForm as paymentControl } from './forms';
import {
  backToOrders,
  cancelledNotices,
  expiredNotice,
  noOrders,
  orderCard,
  orderSummary,
  pager as pagerOf,
  receipt,
  remainingText,
  signInPrompt,
} from './render';

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
    const { item, countdown, eventLink } = orderCard(order, ctx.signal);
    void data.loadEvent(order.eventoId).then((e) => {
      if (e) eventLink.textContent = e.nombre;
    });
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
    data
      .fetchOrder(id, ctx.signal)
      .then((o) => {
        if (!ctx.signal.aborted) replaceOrder(o);
      })
      .catch(() => undefined);
  };

  const load = async () => {
    const result = await data.fetchMyOrders(page, ctx.signal);
    if (ctx.signal.aborted) return;
    for (const e of orders.values()) if (e.recheck) window.clearTimeout(e.recheck);
    orders.clear();
    replaceChildren(list, result.data.length ? result.data.map(renderItem) : noOrders());
    pager = pagerOf(page, Math.max(1, Math.ceil(result.total / result.limit)));
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
      void data.loadEvent(entry.order.eventoId).then((e) => {
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
    const parts: (HTMLElement | null)[] = orderSummary(o, event);

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
        ...receipt(o),
        ticketsSection(o, ctx.signal),
        event && Date.parse(event.fecha) > Date.now() ? cancelButton(o, 'Cancel order and release tickets') : null,
      );
    } else if (o.estado === 'EXPIRED') {
      parts.push(...expiredNotice(o));
    } else if (o.estado === 'CANCELLED') {
      parts.push(...cancelledNotices(o));
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

  const paymentForm = (o: Order): HTMLElement =>
    paymentControl(o, {
      reference,
      actionError,
      cancel: cancelButton(o, 'Cancel reservation'),
      onSubmit: async (value, form, pay) => {
        replaceChildren(actionError);
        acting = true;
        try {
          const confirmed = await busy(pay, 'Paying…', () => data.confirmOrder(o.id, value));
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
      },
    });

  const cancelButton = (o: Order, label: string): HTMLButtonElement =>
    cancelControl(o, label, async (button) => {
      replaceChildren(actionError);
      acting = true;
      try {
        order = await busy(button, 'Cancelling…', () => data.cancelOrder(o.id));
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
      const fresh = await data.fetchOrder(id, ctx.signal);
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

  replaceChildren(root, backToOrders(), ctx.heading('Your order'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    order = await data.fetchOrder(id, ctx.signal);
    event = await data.loadEvent(order.eventoId);
  } catch (error) {
    if (ctx.signal.aborted) return;
    replaceChildren(root, backToOrders(), ctx.heading('Your order'), errorBox(error));
    return;
  }
  if (ctx.signal.aborted) return;
  render();
  replaceChildren(root, backToOrders(), flash, ctx.heading('Your order', 'order-title'), live, body);
}
