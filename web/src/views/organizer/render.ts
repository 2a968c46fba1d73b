/** What the organizer screens show: DOM built from data, with no requests and no state. */
import { formatMoney, formatNumber, formatShortDate, h, replaceChildren } from '../../dom';
import { session } from '../../session';
import type { Category, TicketEvent } from '../../types';
import { notice } from '../../ui';
import type { ViewContext } from '../../view';

/** Shows why the area is closed (and a sign-in link) unless an organizer is signed in. */
export function organizerGate(ctx: ViewContext, title: string): boolean {
  if (session.signedIn && session.isOrganizer) return true;
  replaceChildren(
    ctx.root,
    ctx.heading(title),
    session.signedIn
      ? notice('This area is for organizers. Register an organizer account to create events.', 'info')
      : notice('Sign in with an organizer account to manage events.', 'info'),
    session.signedIn
      ? null
      : h(
          'p',
          null,
          h(
            'a',
            {
              class: 'btn btn-primary',
              href: `#/login?next=${encodeURIComponent(window.location.hash || '#/organizer')}`,
            },
            'Sign in',
          ),
        ),
  );
  return false;
}

export const categorySummary = (available: number, c: Category) =>
  `(${formatNumber(available)} of ${formatNumber(c.cantidadTotal)} on sale, ${formatMoney(c.precio)})`;

/** The "n of m on sale" line of a category form, found again by `data-summary-for` when sales change. */
export const categorySummarySpan = (category: Category) =>
  h('span', { class: 'muted small', 'data-summary-for': category.id }, categorySummary(category.disponible, category));

/** The organizer's events as cards, or a hint to create the first one. */
export function myEventsList(events: TicketEvent[]): HTMLElement {
  if (!events.length) return h('p', { class: 'muted' }, 'No events yet: create your first one below.');
  return h(
    'ul',
    { class: 'event-grid', 'data-testid': 'my-events' },
    events.map((e) => {
      const left = e.categorias.reduce((n, c) => n + c.disponible, 0);
      return h(
        'li',
        { class: 'card event-card', 'data-event-id': e.id },
        h('h3', null, h('a', { href: `#/organizer/events/${e.id}` }, e.nombre)),
        h('p', { class: 'event-meta' }, formatShortDate(e.fecha), ' · ', e.ubicacion),
        h('p', { class: 'event-meta' }, `${formatNumber(left)} of ${formatNumber(e.capacidadTotal)} tickets left`),
        h(
          'p',
          null,
          h('a', { href: `#/organizer/events/${e.id}` }, 'Sales and settings'),
          ' · ',
          h('a', { href: `#/organizer/events/${e.id}/checkin`, 'data-testid': 'checkin-link' }, 'Check-in'),
          ' · ',
          h('a', { href: `#/events/${e.id}` }, 'Public page'),
        ),
      );
    }),
  );
}

export const backToOrganizer = () => h('p', null, h('a', { href: '#/organizer' }, '← Organizer'));

/** The heading block of the manage screen. */
export function manageTitle(ctx: ViewContext, event: TicketEvent): HTMLElement[] {
  return [
    backToOrganizer(),
    ctx.heading(`Manage: ${event.nombre}`, 'manage-title'),
    h(
      'p',
      { class: 'event-meta' },
      formatShortDate(event.fecha),
      ' · ',
      event.ubicacion,
      ' · ',
      h('a', { href: `#/events/${event.id}` }, 'Public page'),
    ),
  ];
}

/** One "almost sold out" alert, newest first in the list. */
export function soldOutAlert(categoryName: string, categoryId: string, stockRestante: number): HTMLElement {
  const text =
    stockRestante <= 0
      ? `${categoryName} is sold out.`
      : `${categoryName} is almost sold out: ${formatNumber(stockRestante)} left.`;
  return h(
    'li',
    { class: 'notice notice-warning', 'data-testid': 'organizer-alert', 'data-category-id': categoryId },
    h('time', { datetime: new Date().toISOString() }, new Date().toLocaleTimeString()),
    ' ',
    text,
  );
}

/** The manage screen's sales and alerts panels, around the slots the view keeps filling. */
export function salesPanels(slots: {
  refresh: HTMLElement;
  salesError: HTMLElement;
  chart: HTMLElement;
  table: HTMLElement;
  updated: HTMLElement;
  alertsEmpty: HTMLElement;
  alertList: HTMLElement;
}): HTMLElement {
  return h(
    'div',
    { class: 'manage-grid' },
    h(
      'section',
      { class: 'card sales', 'aria-labelledby': 'sales-heading' },
      h('div', { class: 'section-head' }, h('h2', { id: 'sales-heading' }, 'Sales'), slots.refresh),
      h('p', { class: 'muted small' }, 'Updates live as tickets are reserved, released and paid.'),
      slots.salesError,
      slots.chart,
      slots.table,
      slots.updated,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'alerts-heading' },
      h('h2', { id: 'alerts-heading' }, 'Almost sold out'),
      h('div', { 'aria-live': 'polite' }, slots.alertsEmpty, slots.alertList),
    ),
  );
}
