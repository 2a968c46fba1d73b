import { del, get, post } from '../api';
import { field, formatNumber, h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { Category, WaitlistEntry } from '../types';
import { busy, notice } from '../ui';
import { queueToken } from './queue';

/** How often a waiting buyer's place is read again when nothing was pushed. */
const WAITING_POLL_MS = 10_000;

/** The waiting-list part of a category on the event page: shown while the category is sold out. */
export interface WaitlistControl {
  element: HTMLElement;
  /** Called with the category's live stock: the control shows itself at 0 (or while the buyer has an entry). */
  setAvailable(available: number): void;
}

/**
 * One shared copy of the buyer's entries for the page, refreshed when an order of theirs changes
 * (an offer arrives as `order:status-change`, and so does its expiry or cancellation).
 */
class MyEntries {
  private entries: WaitlistEntry[] = [];
  private readonly listeners = new Set<() => void>();
  private loading: Promise<void> | null = null;

  waiting(): boolean {
    return this.entries.some((e) => e.estado === 'EN_ESPERA');
  }

  current(categoryId: string): WaitlistEntry | undefined {
    return this.entries.find((e) => e.categoriaId === categoryId);
  }

  refresh(): Promise<void> {
    if (!session.signedIn) {
      this.entries = [];
      this.notify();
      return Promise.resolve();
    }
    this.loading ??= get<WaitlistEntry[]>('/api/waitlist/mine')
      .then((entries) => {
        this.entries = entries;
        this.notify();
      })
      .catch(() => undefined)
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

/** The entries of the page being shown; created by `waitlistFor` and dropped with the page. */
export function waitlistFor(eventId: string, onCleanup: (fn: () => void) => void) {
  const mine = new MyEntries();
  onCleanup(realtime.on('order:status-change', () => void mine.refresh()));
  // Others being served move a waiting buyer up; stock moving in this event is the hint, and a
  // slow poll covers releases that handed every freed ticket to the list (stock stays at 0).
  onCleanup(
    realtime.on('ticket:stock-update', (u) => {
      if (u.eventoId === eventId) void mine.refresh();
    }),
  );
  const poll = setInterval(() => {
    if (mine.waiting()) void mine.refresh();
  }, WAITING_POLL_MS);
  onCleanup(() => clearInterval(poll));
  onCleanup(realtime.onResync(() => void mine.refresh()));
  onCleanup(session.subscribe(() => void mine.refresh()));
  void mine.refresh();
  return (category: Category): WaitlistControl => waitlistControl(category, mine, onCleanup);
}

function entryText(entry: WaitlistEntry): string {
  switch (entry.estado) {
    case 'EN_ESPERA':
      return `You are number ${formatNumber(entry.posicion ?? 0)} on the waiting list for ${entry.cantidad} ticket${entry.cantidad === 1 ? '' : 's'}. If tickets are freed, an order is reserved for you automatically.`;
    case 'OFERTADO':
      return 'Tickets were freed for you: an order is reserved in your name. Pay it before its timer runs out.';
    case 'EXPIRADO':
      return 'The order reserved for you from the waiting list expired; the tickets went to the next person.';
    case 'CANCELADO':
      return 'You are no longer on this waiting list.';
  }
}

function waitlistControl(category: Category, mine: MyEntries, onCleanup: (fn: () => void) => void): WaitlistControl {
  const element = h('div', { class: 'waitlist', 'data-testid': 'waitlist', hidden: true });
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'waitlist-status' });
  const errorSlot = h('div', { class: 'form-error-slot' });
  const qty = h('input', {
    type: 'number',
    min: 1,
    step: 1,
    value: '1',
    inputmode: 'numeric',
    'data-testid': 'waitlist-quantity',
  });
  const join = h('button', { type: 'button', class: 'btn', 'data-testid': 'waitlist-join' }, 'Join the waiting list');
  const leave = h('button', { type: 'button', class: 'btn', 'data-testid': 'waitlist-leave' }, 'Leave the list');
  let available = category.disponible;

  const render = () => {
    const entry = mine.current(category.id);
    // An old entry that ended is only news while the category is still sold out.
    const live = entry && (entry.estado === 'EN_ESPERA' || entry.estado === 'OFERTADO');
    element.hidden = !(available <= 0 || live);
    if (element.hidden) return;
    if (entry && (live || available <= 0)) {
      replaceChildren(
        status,
        notice(entryText(entry), entry.estado === 'OFERTADO' ? 'success' : 'info', 'waitlist-state'),
        entry.estado === 'OFERTADO' && entry.ordenId
          ? h(
              'p',
              null,
              h('a', { href: `#/orders/${entry.ordenId}`, 'data-testid': 'waitlist-order' }, 'Go to the order and pay'),
            )
          : null,
      );
      element.dataset.state = entry.estado;
    } else {
      replaceChildren(status);
      delete element.dataset.state;
    }
    const canJoin = available <= 0 && !live;
    replaceChildren(
      element,
      h('h4', null, 'Waiting list'),
      status,
      canJoin ? h('div', { class: 'waitlist-join' }, field(`Tickets of ${category.nombre} wanted`, qty), join) : null,
      entry?.estado === 'EN_ESPERA' ? leave : null,
      errorSlot,
    );
  };

  join.addEventListener('click', () => {
    replaceChildren(errorSlot);
    if (!session.signedIn) {
      replaceChildren(errorSlot, notice('Sign in to join the waiting list.', 'info'));
      return;
    }
    void busy(join, 'Joining…', () =>
      post<WaitlistEntry>(
        `/api/events/${category.eventoId}/categories/${category.id}/waitlist`,
        { cantidad: Number(qty.value) },
        // An event with a virtual queue: only a buyer it admitted may wait for freed tickets.
        { headers: queueHeader(category.eventoId) },
      ),
    )
      .then(() => mine.refresh())
      .catch((error: unknown) => replaceChildren(errorSlot, errorBox(error)));
  });
  leave.addEventListener('click', () => {
    const entry = mine.current(category.id);
    if (!entry) return;
    replaceChildren(errorSlot);
    void busy(leave, 'Leaving…', () => del(`/api/waitlist/${entry.id}`))
      .then(() => mine.refresh())
      .catch((error: unknown) => replaceChildren(errorSlot, errorBox(error)));
  });
  onCleanup(mine.subscribe(render));
  render();

  return {
    element,
    setAvailable(n: number) {
      available = n;
      render();
    },
  };
}

function queueHeader(eventId: string): Record<string, string> {
  const token = queueToken(eventId);
  return token ? { 'Queue-Token': token } : {};
}
