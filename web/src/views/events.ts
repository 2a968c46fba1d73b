import { get } from '../api';
import { field, formatMoney, formatNumber, formatShortDate, h, replaceChildren } from '../dom';
import { errorBox } from '../errors';
import type { Page, TicketEvent } from '../types';
import { announce, navigate, takeFlash } from '../ui';
import type { ViewContext } from '../view';

const PAGE_SIZE = 12;

/** The event list with search: date (UTC day), place, free text and "only with tickets left". */
export async function eventsView(ctx: ViewContext): Promise<void> {
  const { root, query } = ctx;
  const q = query.get('q') ?? '';
  const fecha = query.get('fecha') ?? '';
  const ubicacion = query.get('ubicacion') ?? '';
  const disponible = query.get('disponible') === 'true';
  const page = Math.max(1, Number(query.get('page')) || 1);

  const qInput = h('input', { type: 'search', name: 'q', value: q, autocomplete: 'off' });
  const dateInput = h('input', { type: 'date', name: 'fecha', value: fecha });
  const placeInput = h('input', { type: 'text', name: 'ubicacion', value: ubicacion, autocomplete: 'off' });
  const availableInput = h('input', { type: 'checkbox', name: 'disponible', checked: disponible });

  const toHash = (p: number) => {
    const params = new URLSearchParams();
    if (qInput.value.trim()) params.set('q', qInput.value.trim());
    if (dateInput.value) params.set('fecha', dateInput.value);
    if (placeInput.value.trim()) params.set('ubicacion', placeInput.value.trim());
    if (availableInput.checked) params.set('disponible', 'true');
    if (p > 1) params.set('page', String(p));
    const qs = params.toString();
    return qs ? `#/?${qs}` : '#/';
  };

  const form = h(
    'form',
    {
      class: 'search card',
      role: 'search',
      'aria-label': 'Search events',
      onsubmit: (e: Event) => {
        e.preventDefault();
        navigate(toHash(1));
      },
    },
    h(
      'div',
      { class: 'search-grid' },
      field('Name or description', qInput),
      field('Date', dateInput, 'Events on that day (UTC)'),
      field('Place', placeInput, 'Part of the venue or city'),
    ),
    h(
      'div',
      { class: 'search-actions' },
      field('Only events with tickets available', availableInput),
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            onclick: () => navigate('#/'),
          },
          'Clear',
        ),
      ),
    ),
  );

  const results = h('div', { class: 'results', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading events…'));
  const count = h('p', { class: 'muted', 'data-testid': 'results-count' });
  replaceChildren(root, takeFlash(), ctx.heading('Events'), form, count, results);

  let list: Page<TicketEvent>;
  try {
    list = await get<Page<TicketEvent>>('/api/events/search', {
      query: { q, fecha, ubicacion, disponible: disponible ? 'true' : undefined, page, limit: PAGE_SIZE },
      signal: ctx.signal,
    });
  } catch (error) {
    if (ctx.signal.aborted) return;
    results.removeAttribute('aria-busy');
    replaceChildren(results, errorBox(error));
    return;
  }
  if (ctx.signal.aborted) return;
  results.removeAttribute('aria-busy');

  const filtered = Boolean(q || fecha || ubicacion || disponible);
  count.textContent =
    list.total === 0
      ? filtered
        ? 'No events match your search.'
        : 'No events yet.'
      : `${formatNumber(list.total)} event${list.total === 1 ? '' : 's'}${filtered ? ' found' : ''}.`;
  announce(count.textContent);

  const pages = Math.max(1, Math.ceil(list.total / list.limit));
  replaceChildren(
    results,
    h('ul', { class: 'event-grid', 'data-testid': 'event-list' }, list.data.map(eventCard)),
    pages > 1
      ? h(
          'nav',
          { class: 'pager', 'aria-label': 'Pages' },
          page > 1 ? h('a', { class: 'btn', href: toHash(page - 1) }, '← Previous') : null,
          h('span', null, `Page ${page} of ${pages}`),
          page < pages ? h('a', { class: 'btn', href: toHash(page + 1) }, 'Next →') : null,
        )
      : null,
  );
}

function eventCard(event: TicketEvent): HTMLElement {
  const left = event.categorias.reduce((n, c) => n + c.disponible, 0);
  const prices = event.categorias.map((c) => c.precio);
  const from = prices.length ? Math.min(...prices) : event.precioBase;
  const past = Date.parse(event.fecha) < Date.now();
  return h(
    'li',
    { class: 'card event-card', 'data-testid': 'event-card', 'data-event-id': event.id },
    h('h2', null, h('a', { href: `#/events/${event.id}` }, event.nombre)),
    h(
      'p',
      { class: 'event-meta' },
      h('time', { datetime: event.fecha }, formatShortDate(event.fecha)),
      ' · ',
      event.ubicacion,
    ),
    h(
      'p',
      { class: 'event-meta' },
      h('span', null, `From ${formatMoney(from)}`),
      ' · ',
      past
        ? h('span', { class: 'tag' }, 'Past event')
        : left === 0
          ? h('span', { class: 'tag tag-soldout' }, 'Sold out')
          : h('span', null, `${formatNumber(left)} tickets left`),
    ),
  );
}
