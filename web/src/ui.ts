import { h } from './dom';

/** Screen-reader announcements (polite), for changes that are also visible on screen. */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated message announced again.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

let pendingFlash: { text: string; kind: 'success' | 'info' | 'error' } | null = null;

/** A message shown at the top of the next view (e.g. "Signed in" after redirecting). */
export function flashNext(text: string, kind: 'success' | 'info' | 'error' = 'success'): void {
  pendingFlash = { text, kind };
}

export function takeFlash(): HTMLElement | null {
  if (!pendingFlash) return null;
  const { text, kind } = pendingFlash;
  pendingFlash = null;
  return h('div', { class: `notice notice-${kind}`, role: 'status', 'data-testid': 'flash' }, text);
}

export function notice(
  text: string,
  kind: 'success' | 'info' | 'error' | 'warning' = 'info',
  testId?: string,
): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testId },
    text,
  );
}

/** Sets a button busy (disabled, with a busy label) while `work` runs. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

export function navigate(hash: string): void {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = hash;
}

/** Formats a remaining duration as m:ss (or h:mm:ss). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

export const STATUS_LABELS: Record<string, string> = {
  PENDING: 'Pending',
  RESERVED: 'Reserved',
  CONFIRMED: 'Confirmed',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

export function statusBadge(estado: string): HTMLElement {
  return h(
    'span',
    { class: `badge badge-${estado.toLowerCase()}`, 'data-testid': 'order-status', 'data-status': estado },
    STATUS_LABELS[estado] ?? estado,
  );
}
