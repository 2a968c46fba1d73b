import { ApiError, NETWORK_ERROR } from './api';
import { formatShortDate, h } from './dom';
import type { LimitExceeded, SalesClosed, StockShortage, ValidationDetail } from './types';

/** Human names for the wire's field paths, used in validation messages. */
const FIELD_NAMES: Record<string, string> = {
  nombre: 'Name',
  descripcion: 'Description',
  fecha: 'Date',
  ubicacion: 'Place',
  capacidadTotal: 'Total capacity',
  precioBase: 'Base price',
  precio: 'Price',
  cantidadTotal: 'Number of tickets',
  beneficios: 'Benefits',
  email: 'Email',
  password: 'Password',
  role: 'Account type',
  metodoPago: 'Payment method',
  transactionId: 'Payment reference',
  tickets: 'Tickets',
  cantidad: 'Quantity',
  categoriaId: 'Category',
  eventoId: 'Event',
  categorias: 'Categories',
  q: 'Search text',
  maxPorComprador: 'Tickets per buyer',
  ventaInicio: 'Sales open',
  ventaFin: 'Sales close',
  page: 'Page',
  limit: 'Page size',
};

export function fieldName(path: string): string {
  if (!path) return 'The request';
  const parts = path.split('.');
  const words: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      const base =
        part === 'categorias'
          ? 'Category'
          : part === 'tickets'
            ? 'Ticket line'
            : part === 'beneficios'
              ? 'Benefit'
              : (FIELD_NAMES[part] ?? part);
      words.push(`${base} ${Number(next) + 1}`);
      i++;
    } else {
      words.push(words.length ? (FIELD_NAMES[part] ?? part).toLowerCase() : (FIELD_NAMES[part] ?? part));
    }
  }
  return words.join(', ');
}

export interface Described {
  title: string;
  items: string[];
}

export interface DescribeContext {
  /** categoriaId → name, to name the categories in INSUFFICIENT_STOCK and SALES_CLOSED details. */
  categoryNames?: Map<string, string>;
}

/** The server's validator speaks to programmers; say the common cases in plain words. */
export function humanMessage(message: string): string {
  let m: RegExpExecArray | null;
  if (/received undefined$/.test(message) || /^Required$/i.test(message)) return 'This is required.';
  if (/expected number, received (string|NaN|nan)/i.test(message)) return 'Must be a number.';
  if (/expected int(eger)?, received number/i.test(message)) return 'Must be a whole number.';
  if (/^Too small: expected string to have >=1 characters?$/.test(message)) return 'This is required.';
  if ((m = /^Too small: expected string to have >=(\d+) characters?$/.exec(message)))
    return `Must be at least ${m[1]} characters.`;
  if ((m = /^Too big: expected string to have <=(\d+) characters?$/.exec(message)))
    return `Must be at most ${m[1]} characters.`;
  if ((m = /^Too small: expected number to be >=?(-?[\d.]+)$/.exec(message))) return `Must be at least ${m[1]}.`;
  if ((m = /^Too small: expected number to be >(-?[\d.]+)$/.exec(message))) return `Must be more than ${m[1]}.`;
  if ((m = /^Too big: expected number to be <=?(-?[\d.]+)$/.exec(message))) return `Must be at most ${m[1]}.`;
  if ((m = /^Too big: expected array to have <=(\d+) items?$/.exec(message))) return `At most ${m[1]} entries.`;
  if ((m = /^Too small: expected array to have >=(\d+) items?$/.exec(message))) return `At least ${m[1]} needed.`;
  if (/^Invalid email/i.test(message)) return 'Enter a valid email address.';
  return message;
}

function validationItems(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return (details as ValidationDetail[])
    .filter((d) => d && typeof d.message === 'string')
    .map((d) => `${fieldName(d.path ?? '')}: ${humanMessage(d.message)}`);
}

/** A clear, human message for every error code of the contract. */
export function describeError(error: unknown, context: DescribeContext = {}): Described {
  if (!(error instanceof ApiError)) {
    return { title: 'Something went wrong in the page. Please reload and try again.', items: [] };
  }
  switch (error.code) {
    case NETWORK_ERROR:
      return { title: 'The server could not be reached. Check your connection and try again.', items: [] };
    case 'VALIDATION_ERROR': {
      const items = validationItems(error.details);
      return {
        title: items.length ? 'Please correct the following:' : `Please check what you entered (${error.message}).`,
        items,
      };
    }
    case 'UNAUTHORIZED':
      return { title: 'Please sign in to continue. If you were signed in, your session has expired.', items: [] };
    case 'INVALID_CREDENTIALS':
      return { title: 'Email or password is incorrect.', items: [] };
    case 'FORBIDDEN':
      return { title: 'You do not have permission to do that.', items: error.message ? [error.message] : [] };
    case 'NOT_FOUND':
      return { title: 'Not found: it may have been removed, or you may not have access to it.', items: [] };
    case 'EMAIL_TAKEN':
      return { title: 'An account with this email already exists. Sign in instead, or use another email.', items: [] };
    case 'INSUFFICIENT_STOCK': {
      const shortages = Array.isArray(error.details) ? (error.details as StockShortage[]) : [];
      const items = shortages.map((s) => {
        const name = context.categoryNames?.get(s.categoriaId) ?? 'A category';
        return s.disponibles === 0
          ? `${name}: sold out (you asked for ${s.solicitadas}).`
          : `${name}: you asked for ${s.solicitadas}, only ${s.disponibles} left.`;
      });
      return { title: 'Not enough tickets left. Nothing was reserved; adjust the quantities and try again.', items };
    }
    case 'LIMIT_EXCEEDED': {
      const d = (error.details ?? {}) as Partial<LimitExceeded>;
      if (typeof d.maxPorComprador !== 'number') {
        return {
          title: 'That would take you over the number of tickets one person may have for this event.',
          items: [],
        };
      }
      const left = Math.max(0, d.maxPorComprador - (d.actuales ?? 0));
      return {
        title: `Each person can have at most ${d.maxPorComprador} ticket${d.maxPorComprador === 1 ? '' : 's'} for this event. Nothing was reserved.`,
        items: [
          `You already have ${d.actuales ?? 0} (reserved or bought) and asked for ${d.solicitadas ?? 0} more.`,
          left > 0 ? `You can still get ${left}.` : 'You cannot get more for this event.',
        ],
      };
    }
    case 'SALES_CLOSED': {
      const closed = Array.isArray(error.details) ? (error.details as SalesClosed[]) : [];
      const now = Date.now();
      const items = closed.map((c) => {
        const name = context.categoryNames?.get(c.categoriaId) ?? 'A category';
        if (c.ventaInicio && Date.parse(c.ventaInicio) > now)
          return `${name}: sales open on ${formatShortDate(c.ventaInicio)}.`;
        if (c.ventaFin) return `${name}: sales closed on ${formatShortDate(c.ventaFin)}.`;
        return `${name}: not on sale right now.`;
      });
      return { title: 'These tickets are not on sale right now. Nothing was reserved.', items };
    }
    case 'ORDER_EXPIRED':
      return {
        title:
          'This reservation has expired and its tickets went back on sale. Nothing was charged; please reserve again.',
        items: [],
      };
    case 'INVALID_STATE':
      return {
        title: 'This order can no longer be changed in its current state.',
        items: error.message ? [error.message] : [],
      };
    case 'CAPACITY_EXCEEDED':
      return {
        title:
          "That does not fit: the categories' tickets would exceed the event's capacity, or go below what is already sold or held.",
        items: error.message ? [error.message] : [],
      };
    case 'HAS_ORDERS':
      return { title: 'This cannot be deleted because orders already reference it.', items: [] };
    case 'DUPLICATE_TRANSACTION':
      return {
        title: 'That payment reference has already been used for another order. Check the reference.',
        items: [],
      };
    case 'IDEMPOTENCY_KEY_REUSED':
      return { title: 'This request was already sent with different content. Please try again.', items: [] };
    case 'QUEUE_REQUIRED':
      return {
        title:
          'This event sells through its virtual queue: wait for your turn in the queue on the event page, then buy before your admission expires.',
        items: [],
      };
    case 'PAYLOAD_TOO_LARGE':
      return { title: 'What you sent is too large. Shorten the text and try again.', items: [] };
    case 'RATE_LIMITED': {
      const wait = error.retryAfter ? `${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}` : 'a minute';
      return {
        title: `Too many attempts in a short time. Please wait ${wait} and try again.`,
        items: ['This limit keeps sales fair for everyone; nothing was reserved or changed.'],
      };
    }
    case 'SERVICE_UNAVAILABLE':
      return { title: 'The service is busy right now. Please try again in a moment.', items: [] };
    case 'INTERNAL':
      return { title: 'Something went wrong on our side. Please try again.', items: [] };
    default:
      return { title: error.message || `Request failed (${error.status}).`, items: [] };
  }
}

/** An error box (role="alert") with the message and its details. */
export function errorBox(error: unknown, context?: DescribeContext): HTMLElement {
  const { title, items } = describeError(error, context);
  const code = error instanceof ApiError ? error.code : 'CLIENT_ERROR';
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert', 'data-testid': 'error', 'data-code': code },
    h('p', null, h('strong', null, title)),
    items.length
      ? h(
          'ul',
          null,
          items.map((i) => h('li', null, i)),
        )
      : null,
  );
}

/** Marks the form controls named by VALIDATION_ERROR details (name = wire path) as invalid. */
export function markInvalidFields(form: HTMLFormElement, error: unknown): void {
  clearInvalidFields(form);
  if (!(error instanceof ApiError) || error.code !== 'VALIDATION_ERROR' || !Array.isArray(error.details)) return;
  let first: HTMLElement | null = null;
  for (const d of error.details as ValidationDetail[]) {
    const control = form.querySelector<HTMLInputElement>(`[name="${CSS.escape(d.path ?? '')}"]`);
    if (!control) continue;
    control.setAttribute('aria-invalid', 'true');
    const msg = document.getElementById(`${control.id}-error`);
    if (msg) {
      msg.textContent = humanMessage(d.message);
      msg.hidden = false;
    }
    first ??= control;
  }
  first?.focus();
}

export function clearInvalidFields(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll<HTMLElement>('.field-error')) {
    el.textContent = '';
    el.hidden = true;
  }
}
