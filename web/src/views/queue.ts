import { ApiError, post, serverNow } from '../api';
import { formatNumber, h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { QueueTurn, TicketEvent } from '../types';
import { busy, formatRemaining, notice } from '../ui';

/** Admission tokens by event, for this tab: a reload keeps the admission until it expires. */
const STORE_KEY = (eventId: string) => `queue-token:${eventId}`;

interface StoredAdmission {
  token: string;
  expiraEn: string;
  userId: string;
}

/** The buyer's unexpired admission token for the event (the Queue-Token header), if any. */
export function queueToken(eventId: string): string | null {
  const raw = sessionStorage.getItem(STORE_KEY(eventId));
  if (!raw) return null;
  try {
    const stored = JSON.parse(raw) as StoredAdmission;
    if (stored.userId === session.user?.id && Date.parse(stored.expiraEn) > serverNow()) return stored.token;
  } catch {
    // Not ours: forget it.
  }
  sessionStorage.removeItem(STORE_KEY(eventId));
  return null;
}

function keep(eventId: string, token: string, expiraEn: string): void {
  const userId = session.user?.id;
  if (!userId) return;
  sessionStorage.setItem(STORE_KEY(eventId), JSON.stringify({ token, expiraEn, userId } satisfies StoredAdmission));
}

/** Forgets the admission (it was refused, or it expired). */
export function dropQueueToken(eventId: string): void {
  sessionStorage.removeItem(STORE_KEY(eventId));
}

/**
 * The waiting room of an event with a virtual queue: join, watch the position move live
 * (`queue:position`), and once `queue:admitted` arrives, keep the token and hand over to the
 * purchase form (`onAdmitted`). Joining again is harmless: the server answers the same turn.
 */
export function queueScreen(
  event: TicketEvent,
  onCleanup: (fn: () => void) => void,
  onAdmitted: () => void,
): HTMLElement {
  const root = h('div', { class: 'card queue', 'data-testid': 'queue' });
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'queue-status' });
  const errorSlot = h('div', { class: 'form-error-slot' });
  const join = h('button', { type: 'button', class: 'btn btn-primary btn-large', 'data-testid': 'queue-join' });
  // The button leaves the page once in the queue (`.btn` sets a display, so `hidden` would not hide it).
  const joinSlot = h('div', null, join);
  let turnId: string | null = null;
  let done = false;

  const show = (text: string, kind: 'info' | 'success' | 'warning' = 'info', position?: number) => {
    replaceChildren(status, notice(text, kind, 'queue-state'));
    if (position !== undefined) root.dataset.position = String(position);
  };

  const admitted = (token: string, expiraEn: string) => {
    if (done) return;
    done = true;
    keep(event.id, token, expiraEn);
    show(`It is your turn! You have ${formatRemaining(Date.parse(expiraEn) - serverNow())} to buy.`, 'success', 0);
    onAdmitted();
  };

  const apply = (turn: QueueTurn) => {
    turnId = turn.turnoId;
    if (turn.token && turn.expiraEn) return admitted(turn.token, turn.expiraEn);
    if (turn.agotado) return show('Sold out: every ticket was sold before your turn came.', 'warning', 0);
    show(
      turn.posicion === 1
        ? 'You are next in the queue. Keep this page open.'
        : `You are number ${formatNumber(turn.posicion)} in the queue. Keep this page open: it moves on its own.`,
      'info',
      turn.posicion,
    );
    replaceChildren(joinSlot);
  };

  const enter = async () => {
    replaceChildren(errorSlot);
    if (!session.signedIn) {
      replaceChildren(errorSlot, notice('Sign in to join the queue.', 'info'));
      return;
    }
    try {
      apply(await busy(join, 'Joining…', () => post<QueueTurn>(`/api/events/${event.id}/queue`, {})));
    } catch (error) {
      replaceChildren(errorSlot, errorBox(error));
      if (error instanceof ApiError && error.code === 'UNAUTHORIZED') replaceChildren(joinSlot, join);
    }
  };

  onCleanup(
    realtime.on('queue:position', (p) => {
      if (p.eventoId !== event.id || (turnId && p.turnoId !== turnId) || done) return;
      turnId = p.turnoId;
      if (p.agotado) show('Sold out: every ticket was sold before your turn came.', 'warning', 0);
      else
        apply({
          turnoId: p.turnoId,
          posicion: p.posicion,
          estado: 'ESPERANDO',
          agotado: false,
          token: null,
          expiraEn: null,
        });
    }),
  );
  onCleanup(
    realtime.on('queue:admitted', (a) => {
      if (a.eventoId === event.id) admitted(a.token, a.expiraEn);
    }),
  );
  // Anything pushed while the connection was down was missed: ask again (same turn).
  onCleanup(
    realtime.onResync(() => {
      if (turnId && !done) void enter();
    }),
  );

  join.textContent = 'Join the queue';
  join.addEventListener('click', () => void enter());
  replaceChildren(
    root,
    h('h3', null, 'Virtual queue'),
    h(
      'p',
      { class: 'muted' },
      'This event sells through a queue, so that everyone gets a fair chance. Whoever joins before sales open gets a random place; after that, places go in order of arrival. When your turn comes, the ticket form opens here.',
    ),
    status,
    joinSlot,
    errorSlot,
  );
  // Already in the queue (a reload): pick the turn up again.
  if (session.signedIn) void enter();
  return root;
}
