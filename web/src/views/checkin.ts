import { ApiError, get, post } from '../api';
import { field, formatShortDate, h, replaceChildren, throttle } from '../dom';
import { errorBox } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { CheckinStats, Ticket, TicketEvent } from '../types';
import { announce, notice } from '../ui';
import type { ViewContext } from '../view';

/** The browser's barcode reader (Chrome, Edge, Android); not in every browser's DOM typings. */
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
type BarcodeDetectorCtor = new (options: { formats: string[] }) => BarcodeDetectorLike;
const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;

function statsTable(stats: CheckinStats): HTMLElement {
  const row = (name: string, admitted: number, issued: number, testId?: string) =>
    h(
      'tr',
      { 'data-testid': testId },
      h('th', { scope: 'row' }, name),
      h('td', { 'data-testid': testId && `${testId}-admitted` }, String(admitted)),
      h('td', { 'data-testid': testId && `${testId}-issued` }, String(issued)),
      h('td', null, h('progress', { max: Math.max(issued, 1), value: admitted }, `${admitted} of ${issued}`)),
    );
  return h(
    'table',
    { class: 'table', 'data-testid': 'checkin-stats' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Category'),
        h('th', null, 'Admitted'),
        h('th', null, 'Issued'),
        h('th', null, 'Progress'),
      ),
    ),
    h(
      'tbody',
      null,
      stats.porCategoria.map((c) => row(c.nombre, c.admitidos, c.emitidos, `stats-${c.categoriaId}`)),
    ),
    h('tfoot', null, row('All', stats.admitidos, stats.emitidos, 'stats-total')),
  );
}

/** What the door sees after a scan: admitted (green), or why not. */
function resultBox(outcome: { ok: true; ticket: Ticket } | { ok: false; error: unknown }): HTMLElement {
  if (outcome.ok) {
    return notice(`Admitted: ${outcome.ticket.categoriaNombre}`, 'success', 'checkin-result');
  }
  const error = outcome.error;
  if (error instanceof ApiError && error.code === 'ALREADY_CHECKED_IN') {
    const d = error.details as { ingresoEn: string; puerta: string | null };
    return notice(
      `Refused: already checked in at ${formatShortDate(d.ingresoEn)}${d.puerta ? ` (${d.puerta})` : ''}`,
      'error',
      'checkin-result',
    );
  }
  if (error instanceof ApiError && error.code === 'TICKET_REVOKED') {
    return notice('Refused: this ticket was voided (order cancelled or refunded)', 'error', 'checkin-result');
  }
  if (error instanceof ApiError && error.code === 'NOT_FOUND') {
    return notice('Refused: not a ticket of this event', 'error', 'checkin-result');
  }
  const box = errorBox(error);
  box.setAttribute('data-testid', 'checkin-result');
  return box;
}

/** The door: paste, type or scan (camera) a code; live admitted / issued per category. */
export async function checkinView(ctx: ViewContext): Promise<void> {
  const [eventId] = ctx.params;
  if (!session.signedIn || session.user?.role === 'COMPRADOR') {
    replaceChildren(
      ctx.root,
      ctx.heading('Check-in'),
      notice('Sign in as the event’s organizer to check tickets in.', 'info'),
    );
    return;
  }
  const statsSlot = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const resultSlot = h('div', { 'aria-live': 'assertive' });
  const code = h('textarea', {
    name: 'codigo',
    rows: 3,
    required: true,
    autocomplete: 'off',
    spellcheck: false,
    'data-testid': 'checkin-code',
  });
  const door = h('input', {
    name: 'puerta',
    type: 'text',
    value: localStorage.getItem('checkin-door') ?? 'Main entrance',
    'data-testid': 'checkin-door',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'checkin-submit' }, 'Check in');
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    field('Ticket code', code, 'Paste or type the code under the QR code'),
    field('Door', door),
    submit,
    resultSlot,
  );

  const loadStats = async () => {
    try {
      const stats = await get<CheckinStats>(`/api/events/${eventId}/checkins/stats`, { signal: ctx.signal });
      if (!ctx.signal.aborted) replaceChildren(statsSlot, statsTable(stats));
    } catch (error) {
      if (!ctx.signal.aborted) replaceChildren(statsSlot, errorBox(error));
    }
  };
  // Live: each checkin:update (already coalesced by the server) re-reads the per-category counts.
  const refresh = throttle(() => void loadStats(), 300);
  ctx.onCleanup(() => refresh.cancel());
  ctx.onCleanup(realtime.on('checkin:update', (u) => u.eventoId === eventId && refresh()));
  ctx.onCleanup(realtime.onResync(() => refresh()));
  void realtime.start();

  let scanning = false;
  const checkIn = async (raw: string) => {
    const codigo = raw.trim();
    if (!codigo || scanning) return;
    scanning = true;
    localStorage.setItem('checkin-door', door.value);
    try {
      const res = await post<{ resultado: string; ticket: Ticket }>(`/api/events/${eventId}/checkins`, {
        codigo,
        ...(door.value.trim() ? { puerta: door.value.trim() } : {}),
      });
      replaceChildren(resultSlot, resultBox({ ok: true, ticket: res.ticket }));
      announce('Admitted');
    } catch (error) {
      replaceChildren(resultSlot, resultBox({ ok: false, error }));
      announce('Refused');
    } finally {
      scanning = false;
      code.value = '';
      code.focus();
      refresh();
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void checkIn(code.value);
  });

  const camera = Detector
    ? cameraScanner(ctx, (value) => void checkIn(value))
    : notice(
        'Camera scanning needs a browser with BarcodeDetector (e.g. Chrome); paste or type codes instead.',
        'info',
      );
  let title = 'Check-in';
  try {
    title = `Check-in · ${(await get<TicketEvent>(`/api/events/${eventId}`, { signal: ctx.signal })).nombre}`;
  } catch {
    // The stats below say why (404, 403).
  }
  if (ctx.signal.aborted) return;
  replaceChildren(
    ctx.root,
    ctx.heading(title, 'checkin-heading'),
    h('p', null, h('a', { href: `#/organizer/events/${eventId}` }, '← Sales and settings')),
    h(
      'section',
      { 'aria-labelledby': 'door-heading' },
      h('h2', { id: 'door-heading' }, 'Admitted / issued'),
      statsSlot,
    ),
    h('section', { 'aria-labelledby': 'scan-heading' }, h('h2', { id: 'scan-heading' }, 'Scan a ticket'), form, camera),
  );
  await loadStats();
}

/** Camera preview; every 250 ms a frame goes through BarcodeDetector, and a QR code found is checked in. */
function cameraScanner(ctx: ViewContext, onCode: (value: string) => void): HTMLElement {
  const video = h('video', { playsinline: true, muted: true, class: 'checkin-video', hidden: true });
  const start = h('button', { type: 'button', class: 'btn' }, 'Scan with the camera');
  let stream: MediaStream | null = null;
  let timer = 0;
  let last = '';
  const stop = () => {
    window.clearInterval(timer);
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
  };
  ctx.onCleanup(stop);
  start.addEventListener('click', async () => {
    if (stream) {
      stop();
      video.hidden = true;
      start.textContent = 'Scan with the camera';
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      start.textContent = 'Stop the camera';
      const detector = new Detector!({ formats: ['qr_code'] });
      timer = window.setInterval(async () => {
        const found = await detector.detect(video).catch(() => []);
        const value = found[0]?.rawValue;
        // The same code stays in view for a while: check it in once, not every frame.
        if (value && value !== last) {
          last = value;
          onCode(value);
        }
      }, 250);
    } catch (error) {
      start.replaceWith(errorBox(error));
    }
  });
  return h('div', { class: 'card' }, start, video);
}
