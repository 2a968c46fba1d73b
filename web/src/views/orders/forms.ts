/** The order screen's controls: the payment form (simulated provider) and the cancel button. */
import { field, formatMoney, h } from '../../dom';
import { clearInvalidFields } from '../../errors';
import type { Order } from '../../types';

export const PAYMENT_METHODS: [string, string][] = [
  ['credit_card', 'Credit card'],
  ['debit_card', 'Debit card'],
  ['paypal', 'PayPal'],
  ['bank_transfer', 'Bank transfer'],
];
export const methodLabel = (m: string | null) => PAYMENT_METHODS.find(([v]) => v === m)?.[1] ?? m;

/**
 * The payment form of a hold. On submit (after clearing old errors) `onSubmit` gets what was
 * entered, the form and its Pay button.
 */
export function paymentForm(
  o: Order,
  opts: {
    /** The page's payment reference, so a retried confirmation is recognised as the same payment. */
    reference: string;
    actionError: HTMLElement;
    cancel: HTMLElement;
    onSubmit(
      value: { metodoPago: string; transactionId: string },
      form: HTMLFormElement,
      pay: HTMLButtonElement,
    ): Promise<void>;
  },
): HTMLFormElement {
  const method = h(
    'select',
    { name: 'metodoPago', 'data-testid': 'payment-method' },
    PAYMENT_METHODS.map(([v, l]) => h('option', { value: v }, l)),
  );
  const txn = h('input', {
    type: 'text',
    name: 'transactionId',
    value: opts.reference,
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
    opts.actionError,
    h('div', { class: 'button-row' }, pay, opts.cancel),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearInvalidFields(form);
    await opts.onSubmit({ metodoPago: method.value, transactionId: txn.value.trim() }, form, pay);
  });
  return form;
}

/** The cancel button of an order; a paid order asks first. */
export function cancelButton(o: Order, label: string, onCancel: (button: HTMLButtonElement) => Promise<void>) {
  const button = h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'cancel-order' }, label);
  button.addEventListener('click', async () => {
    if (o.estado === 'CONFIRMED' && !window.confirm('Cancel this paid order and release its tickets?')) return;
    await onCancel(button);
  });
  return button;
}
