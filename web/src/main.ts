import { ApiError, get, onSessionExpired } from './api';
import { h, replaceChildren } from './dom';
import { realtime, type ConnectionState } from './realtime';
import { session } from './session';
import type { User } from './types';
import { flashNext, navigate } from './ui';
import type { View, ViewContext } from './view';
import { authView } from './views/auth';
import { eventView } from './views/event';
import { eventsView } from './views/events';
import { orderView, ordersView } from './views/orders';
import { checkinView } from './views/checkin';
import { manageEventView, organizerView } from './views/organizer';
import { printTicketsView } from './views/tickets';

const routes: [RegExp, View][] = [
  [/^\/?$/, eventsView],
  [/^\/events\/([^/]+)$/, eventView],
  [/^\/login$/, authView],
  [/^\/orders$/, ordersView],
  [/^\/orders\/([^/]+)$/, orderView],
  [/^\/orders\/([^/]+)\/print$/, printTicketsView],
  [/^\/organizer$/, organizerView],
  [/^\/organizer\/events\/([^/]+)$/, manageEventView],
  [/^\/organizer\/events\/([^/]+)\/checkin$/, checkinView],
];

const notFoundView: View = (ctx) => {
  replaceChildren(ctx.root, ctx.heading('Page not found'), h('p', null, h('a', { href: '#/' }, 'Go to the events')));
};

const main = document.getElementById('main') as HTMLElement;
const header = document.getElementById('site-header') as HTMLElement;

let current: { controller: AbortController; cleanups: (() => void)[] } | null = null;
let firstRender = true;

async function route(): Promise<void> {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  if (!raw.startsWith('/')) return; // an in-page anchor, not a route
  const [path = '/', search = ''] = raw.split('?');

  if (current) {
    current.controller.abort();
    for (const fn of current.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // A cleanup must not stop the next view.
      }
    }
  }
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  current = { controller, cleanups };

  let params: string[] = [];
  let view: View = notFoundView;
  for (const [pattern, candidate] of routes) {
    const match = pattern.exec(path);
    if (match) {
      params = match.slice(1).map(decodeURIComponent);
      view = candidate;
      break;
    }
  }

  const container = h('div', { class: 'view' });
  main.replaceChildren(container);
  let headingEl: HTMLHeadingElement | null = null;
  const ctx: ViewContext = {
    root: container,
    params,
    query: new URLSearchParams(search),
    signal: controller.signal,
    onCleanup: (fn) => {
      if (controller.signal.aborted) fn();
      else cleanups.push(fn);
    },
    heading: (text, testId) => {
      document.title = `${text} · Tickets`;
      const el = h('h1', { tabindex: -1, 'data-testid': testId }, text);
      headingEl = el;
      return el;
    },
  };
  updateNav(path);
  try {
    await view(ctx);
  } catch (error) {
    if (controller.signal.aborted) return;
    replaceChildren(
      container,
      h('h1', null, 'Something went wrong'),
      h('p', null, String((error as Error)?.message ?? error)),
    );
  }
  if (controller.signal.aborted) return;
  // Move focus to the new page's heading, as a screen reader user would expect after navigating.
  const heading = headingEl as HTMLHeadingElement | null;
  if (!firstRender && heading?.isConnected) heading.focus({ preventScroll: false });
  else if (!firstRender) main.focus();
  if (!firstRender) window.scrollTo(0, 0);
  firstRender = false;
}

function navLink(href: string, label: string, active: boolean): HTMLElement {
  return h('li', null, h('a', { href, 'aria-current': active ? 'page' : undefined }, label));
}

let connectionState: ConnectionState = 'connecting';
const connection = h('span', { class: 'connection', 'data-testid': 'connection', role: 'status' });
function renderConnection(): void {
  connection.dataset.state = connectionState;
  connection.textContent =
    connectionState === 'live' ? 'Live' : connectionState === 'connecting' ? 'Connecting…' : 'Offline: reconnecting…';
}

function updateNav(path = (window.location.hash.replace(/^#/, '') || '/').split('?')[0] ?? '/'): void {
  const user = session.user;
  const signOut = h(
    'button',
    { type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': 'sign-out' },
    'Sign out',
  );
  signOut.addEventListener('click', () => {
    session.clear();
    flashNext('You have signed out.', 'info');
    navigate('#/');
  });
  replaceChildren(
    header,
    h(
      'div',
      { class: 'header-inner' },
      h('a', { class: 'brand', href: '#/' }, 'Tickets'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        h(
          'ul',
          null,
          navLink('#/', 'Events', path === '/' || path.startsWith('/events')),
          session.signedIn ? navLink('#/orders', 'My orders', path.startsWith('/orders')) : null,
          session.isOrganizer ? navLink('#/organizer', 'Organizer', path.startsWith('/organizer')) : null,
          session.signedIn ? null : navLink('#/login', 'Sign in', path === '/login'),
        ),
      ),
      h(
        'div',
        { class: 'header-user' },
        connection,
        user ? h('span', { class: 'user-name', 'data-testid': 'user-name' }, user.nombre) : null,
        session.signedIn ? signOut : null,
      ),
    ),
  );
}

async function start(): Promise<void> {
  document.querySelector('.skip-link')?.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });

  // Refresh the signed-in user (role, name); a token the server refuses signs the page out.
  if (session.token) {
    try {
      const user = await get<User>('/api/auth/profile');
      if (session.token) session.set(session.token, user);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) session.clear();
    }
  }

  onSessionExpired(() => {
    session.clear();
    flashNext('Your session has expired. Please sign in again.', 'info');
  });

  let signature = `${session.token}|${session.user?.role}`;
  session.subscribe(() => {
    const next = `${session.token}|${session.user?.role}`;
    updateNav();
    if (next === signature) return;
    signature = next;
    // Views that depend on who is signed in are drawn again.
    const path = window.location.hash.replace(/^#/, '');
    if (/^\/(orders|organizer)/.test(path)) void route();
  });

  realtime.onState((s) => {
    connectionState = s;
    renderConnection();
  });
  void realtime.start();

  window.addEventListener('hashchange', () => void route());
  await route();
}

void start();
