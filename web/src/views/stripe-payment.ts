import { get, post } from '../api';
import { h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import type { Order, PaymentIntent, PaymentSettings } from '../types';
import { busy, notice } from '../ui';

let settings: Promise<PaymentSettings> | undefined;

/** Which payment provider the server uses, asked once per page load. */
export function paymentSettings(): Promise<PaymentSettings> {
  settings ??= get<PaymentSettings>('/api/payments/config').catch(() => ({
    proveedor: 'simulated' as const,
    moneda: 'eur',
  }));
  return settings;
}

/**
 * The payment step with PAYMENT_PROVIDER=stripe. Card details must be entered in Stripe's own
 * field (Stripe.js, loaded from Stripe with the organizer's publishable key), so they never touch
 * this site; this client does not bundle Stripe.js. It starts the payment and waits: Stripe's
 * webhook confirms the order, and the page follows it live.
 */
export function stripePaymentCard(o: Order, cancel: HTMLElement, actionError: HTMLElement): HTMLElement {
  const details = h('div', { 'data-testid': 'stripe-intent' });
  const start = h(
    'button',
    { type: 'button', class: 'btn btn-primary', 'data-testid': 'start-card-payment' },
    'Start card payment',
  );
  start.addEventListener('click', async () => {
    replaceChildren(actionError);
    try {
      const intent = await busy(start, 'Starting…', () => post<PaymentIntent>(`/api/orders/${o.id}/payment`, {}));
      replaceChildren(
        details,
        h('p', null, `Payment reference: `, h('code', null, intent.paymentId), ` (${intent.estado}).`),
        h(
          'p',
          { class: 'hint' },
          'Complete it with Stripe.js (stripe.confirmCardPayment with this payment’s client secret). This page confirms by itself when Stripe reports the payment.',
        ),
      );
    } catch (error) {
      replaceChildren(actionError, errorBox(error));
    }
  });
  return h(
    'section',
    { class: 'card payment', 'aria-labelledby': 'pay-heading', 'data-testid': 'stripe-payment' },
    h('h2', { id: 'pay-heading' }, 'Payment by card'),
    notice(
      'Card payments are taken by Stripe. Entering a card needs Stripe.js, Stripe’s secure card field, which this page does not load: the organizer’s checkout adds it. Your order is confirmed as soon as Stripe reports the payment.',
      'info',
      'stripe-needed',
    ),
    details,
    actionError,
    h('div', { class: 'button-row' }, start, cancel),
  );
}
