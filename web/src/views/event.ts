import { canManageEvent } from '../../../src/modules/policy/policy';
import { ApiError, get, NETWORK_ERROR, post } from '../api';
import {
  field,
  formatDate,
  formatMoney,
  formatNumber,
  formatShortDate,
  h,
  randomId,
  replaceChildren,
  throttle,
} from '../dom';
import { clearInvalidFields, errorBox, markInvalidFields } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { Category, Order, StockShortage, TicketEvent } from '../types';
import { announce, busy, flashNext, navigate, notice, takeFlash } from '../ui';
import type { ViewContext } from '../view';
import { dropQueueToken, queueScreen, queueToken } from './queue';
import { waitlistFor, type WaitlistControl } from './waitlist';

/** Share of a category's tickets under which its bar turns "low" (the server's default threshold is 10%). */
const LOW_SHARE = 0.1;

interface CategoryUi {
  category: Category;
  item: HTMLLIElement;
  bar: HTMLDivElement;
  fill: HTMLSpanElement;
  text: HTMLParagraphElement;
  qty: HTMLInputElement;
  warning: HTMLParagraphElement;
  waitlist: WaitlistControl;
}

/** When a category can be bought, in words; null when it is simply on sale until the event. */
export function salesWindowText(category: Pick<Category, 'ventaInicio' | 'ventaFin'>, now = Date.now()): string | null {
  const { ventaInicio, ventaFin } = category;
  if (ventaInicio && Date.parse(ventaInicio) > now) {
    return `Sales open on ${formatShortDate(ventaInicio)}${ventaFin ? ` and close on ${formatShortDate(ventaFin)}` : ''}.`;
  }
  if (ventaFin && Date.parse(ventaFin) <= now) return `Sales closed on ${formatShortDate(ventaFin)}.`;
  if (ventaFin) return `On sale until ${formatShortDate(ventaFin)}.`;
  return null;
}

/** A stock bar: role="meter" with the number left, and a polite live text beside it. */
export function stockText(available: number, total: number): string {
  if (available <= 0) return `Sold out (0 of ${formatNumber(total)} left)`;
  return `${formatNumber(available)} of ${formatNumber(total)} left`;
}

export async function eventView(ctx: ViewContext): Promise<void> {
  const eventId = ctx.params[0]!;
  const { root } = ctx;

  // Join first, so nothing that happens while the page loads is missed.
  ctx.onCleanup(realtime.joinEvent(eventId));
  const early = new Map<string, number>();
  let event: TicketEvent | null = null;
  const cats = new Map<string, CategoryUi>();
  const waitlist = waitlistFor(eventId, ctx.onCleanup);

  const header = h('div', { class: 'event-header' });
  const updates = h('div', { class: 'live-notes', 'aria-live': 'polite', 'data-testid': 'event-updates' });
  const alerts = h('div', { class: 'alerts', 'aria-live': 'assertive', 'data-testid': 'alerts' });
  const categoryList = h('ul', { class: 'category-list' });
  const totalText = h('p', { class: 'order-total', 'aria-live': 'polite', 'data-testid': 'order-total' });
  const formError = h('div', { class: 'form-error-slot' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', 'data-testid': 'reserve' });
  let idempotencyKey: string | null = null;
  let lastSelection = '';

  const selection = () =>
    [...cats.values()]
      .map((c) => ({ categoriaId: c.category.id, cantidad: Number(c.qty.value) }))
      .filter((t) => t.cantidad !== 0 || Number.isNaN(t.cantidad));

  const updateTotal = () => {
    let total = 0;
    let count = 0;
    for (const c of cats.values()) {
      const n = Number(c.qty.value);
      if (Number.isInteger(n) && n > 0) {
        total += n * Math.round(c.category.precio * 100);
        count += n;
      }
      c.warning.hidden = !(n > c.category.disponible);
      c.warning.textContent =
        n > c.category.disponible ? `Only ${formatNumber(c.category.disponible)} left in ${c.category.nombre}.` : '';
    }
    totalText.textContent = count
      ? `${count} ticket${count === 1 ? '' : 's'} · Total ${formatMoney(total / 100)}`
      : 'No tickets selected yet.';
  };

  const form = h(
    'form',
    { class: 'ticket-form', novalidate: true, 'aria-labelledby': 'tickets-heading' },
    categoryList,
    h('div', { class: 'order-bar card' }, totalText, submit, formError),
  );
  form.addEventListener('input', updateTotal);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void reserve();
  });

  const renderHeader = () => {
    if (!event) return;
    const canManage = session.user && canManageEvent(session.user, event.organizadorId);
    replaceChildren(
      header,
      ctx.heading(event.nombre, 'event-title'),
      h(
        'dl',
        { class: 'facts' },
        h(
          'div',
          null,
          h('dt', null, 'When'),
          h('dd', { 'data-testid': 'event-date' }, h('time', { datetime: event.fecha }, formatDate(event.fecha))),
        ),
        h('div', null, h('dt', null, 'Where'), h('dd', { 'data-testid': 'event-place' }, event.ubicacion)),
        h('div', null, h('dt', null, 'Capacity'), h('dd', null, formatNumber(event.capacidadTotal))),
        event.maxPorComprador
          ? h(
              'div',
              null,
              h('dt', null, 'Limit per person'),
              h(
                'dd',
                { 'data-testid': 'max-per-buyer' },
                `${formatNumber(event.maxPorComprador)} ticket${event.maxPorComprador === 1 ? '' : 's'} (reserved and bought together)`,
              ),
            )
          : null,
      ),
      event.descripcion ? h('p', { class: 'description' }, event.descripcion) : null,
      canManage
        ? h('p', null, h('a', { href: `#/organizer/events/${event.id}` }, 'Manage this event and see its sales'))
        : null,
    );
  };

  const applyStock = (ui: CategoryUi, available: number) => {
    const { category } = ui;
    category.disponible = available;
    const total = Math.max(category.cantidadTotal, available);
    const share = total > 0 ? available / total : 0;
    ui.fill.style.width = `${(share * 100).toFixed(2)}%`;
    ui.bar.setAttribute('aria-valuenow', String(available));
    ui.bar.setAttribute('aria-valuemax', String(total));
    ui.bar.setAttribute('aria-valuetext', stockText(available, total));
    ui.bar.classList.toggle('bar-low', available > 0 && share <= LOW_SHARE);
    ui.bar.classList.toggle('bar-empty', available <= 0);
    ui.item.dataset.available = String(available);
    ui.item.classList.toggle('sold-out', available <= 0);
    ui.text.textContent = stockText(available, total);
    ui.qty.max = String(Math.max(0, available));
    // Nothing to choose in a sold-out category (unless a quantity was already typed: keep it visible).
    ui.qty.disabled = available <= 0 && (ui.qty.value === '' || Number(ui.qty.value) === 0);
    ui.waitlist.setAvailable(available);
    updateTotal();
  };

  const renderCategories = () => {
    if (!event) return;
    const previous = new Map([...cats].map(([id, c]) => [id, c.qty.value]));
    cats.clear();
    const items = event.categorias.map((category) => {
      const fill = h('span', { class: 'bar-fill' });
      const bar = h(
        'div',
        {
          class: 'bar',
          role: 'meter',
          'aria-label': `${category.nombre}: tickets left`,
          'aria-valuemin': 0,
          'data-testid': 'stock-bar',
        },
        fill,
      );
      const text = h('p', { class: 'stock-text', 'aria-live': 'polite', 'data-testid': 'stock-count' });
      const qty = h('input', {
        type: 'number',
        name: `qty-${category.id}`,
        min: 0,
        step: 1,
        inputmode: 'numeric',
        value: previous.get(category.id) ?? '0',
        'data-testid': 'quantity',
      });
      const warning = h('p', { class: 'field-warning', hidden: true });
      const salesWindow = salesWindowText(category);
      const waitlistUi = waitlist(category);
      const item = h(
        'li',
        { class: 'card category', 'data-testid': 'category', 'data-category-id': category.id },
        h(
          'div',
          { class: 'category-head' },
          h('h3', null, category.nombre),
          h('p', { class: 'price', 'data-testid': 'price' }, formatMoney(category.precio)),
        ),
        category.beneficios.length
          ? h(
              'ul',
              { class: 'benefits', 'aria-label': `${category.nombre} benefits` },
              category.beneficios.map((b) => h('li', null, b)),
            )
          : null,
        salesWindow ? h('p', { class: 'sales-window', 'data-testid': 'sales-window' }, salesWindow) : null,
        h('div', { class: 'stock' }, bar, text),
        field(`Quantity of ${category.nombre} tickets`, qty),
        warning,
        waitlistUi.element,
      );
      const ui: CategoryUi = { category, item, bar, fill, text, qty, warning, waitlist: waitlistUi };
      cats.set(category.id, ui);
      applyStock(ui, category.disponible);
      return item;
    });
    replaceChildren(
      categoryList,
      items.length ? items : h('li', { class: 'muted' }, 'No tickets are on sale for this event yet.'),
    );
    updateSubmit();
    updateTotal();
  };

  const updateSubmit = () => {
    const past = event ? Date.parse(event.fecha) < Date.now() : false;
    submit.disabled = past || cats.size === 0;
    submit.textContent = past
      ? 'This event has already started'
      : session.signedIn
        ? 'Reserve tickets'
        : 'Sign in to reserve';
  };

  const load = async () => {
    const fresh = await get<TicketEvent>(`/api/events/${eventId}`, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    event = fresh;
    renderHeader();
    renderCategories();
  };
  const reload = throttle(() => {
    load().catch(() => undefined);
  }, 1000);
  ctx.onCleanup(() => reload.cancel());

  const reserve = async () => {
    if (!event) return;
    clearInvalidFields(form);
    replaceChildren(formError);
    if (!session.signedIn) {
      flashNext('Sign in or create an account to reserve tickets.', 'info');
      navigate(`#/login?next=${encodeURIComponent(`#/events/${event.id}`)}`);
      return;
    }
    const tickets = selection();
    const invalid = tickets.find((t) => !Number.isInteger(t.cantidad) || t.cantidad < 0);
    if (invalid) {
      const name = cats.get(invalid.categoriaId)?.category.nombre ?? 'a category';
      replaceChildren(
        formError,
        notice(`The quantity for ${name} must be a whole number, 0 or more.`, 'error', 'error'),
      );
      cats.get(invalid.categoriaId)?.qty.focus();
      return;
    }
    if (tickets.length === 0) {
      replaceChildren(
        formError,
        notice('Choose how many tickets you want in at least one category.', 'error', 'error'),
      );
      cats.values().next().value?.qty.focus();
      return;
    }
    // One key per submit; kept only to retry a submit whose answer never arrived.
    const key = JSON.stringify(tickets);
    if (!idempotencyKey || key !== lastSelection) idempotencyKey = randomId();
    lastSelection = key;
    try {
      const order = await busy(submit, 'Reserving…', () =>
        post<Order>(
          '/api/orders',
          { eventoId: event!.id, tickets },
          { headers: { 'Idempotency-Key': idempotencyKey!, ...queueHeader() } },
        ),
      );
      idempotencyKey = null;
      flashNext('Your tickets are reserved. Pay before the timer runs out to keep them.');
      navigate(`#/orders/${order.id}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === NETWORK_ERROR)) idempotencyKey = null;
      if (ctx.signal.aborted) return;
      if (error instanceof ApiError && error.code === 'QUEUE_REQUIRED') {
        // The admission expired (or never was): back to the queue.
        dropQueueToken(eventId);
        showQueue();
      }
      if (error instanceof ApiError && error.code === 'INSUFFICIENT_STOCK' && Array.isArray(error.details)) {
        for (const s of error.details as StockShortage[]) {
          const ui = cats.get(s.categoriaId);
          if (ui) applyStock(ui, s.disponibles);
        }
      }
      const names = new Map([...cats].map(([id, c]) => [id, c.category.nombre]));
      replaceChildren(formError, errorBox(error, { categoryNames: names }));
      markInvalidFields(form, error);
      updateSubmit();
    }
  };

  ctx.onCleanup(
    realtime.on('ticket:stock-update', (u) => {
      if (u.eventoId !== eventId) return;
      if (!event) {
        early.set(u.categoriaId, u.nuevoStock);
        return;
      }
      const ui = cats.get(u.categoriaId);
      if (!ui) {
        reload(); // a category we do not know yet: it was just added
        return;
      }
      applyStock(ui, u.nuevoStock);
      if (u.nuevoStock > ui.category.cantidadTotal) reload(); // its size was edited
    }),
  );
  ctx.onCleanup(
    realtime.on('ticket:almost-sold-out', (a) => {
      if (a.eventoId !== eventId) return;
      const name = cats.get(a.categoriaId)?.category.nombre ?? 'one category';
      const text =
        a.stockRestante <= 0
          ? `${name} is now sold out.`
          : `Almost sold out: only ${formatNumber(a.stockRestante)} ticket${a.stockRestante === 1 ? '' : 's'} left in ${name}!`;
      alerts.querySelector(`[data-category-id="${CSS.escape(a.categoriaId)}"]`)?.remove();
      alerts.prepend(
        h(
          'p',
          { class: 'notice notice-warning', 'data-testid': 'almost-sold-out', 'data-category-id': a.categoriaId },
          text,
        ),
      );
    }),
  );
  ctx.onCleanup(
    realtime.on('event:update', (u) => {
      if (u.eventoId !== eventId || !event) return;
      Object.assign(event, u.cambios);
      renderHeader();
      updateSubmit();
      if ('colaVirtual' in u.cambios) showQueue();
      const labels: Record<string, string> = {
        nombre: 'name',
        descripcion: 'description',
        fecha: 'date',
        ubicacion: 'place',
        capacidadTotal: 'capacity',
        precioBase: 'base price',
        maxPorComprador: 'limit per person',
        colaVirtual: 'virtual queue',
      };
      const what = Object.keys(u.cambios)
        .map((k) => labels[k] ?? k)
        .join(', ');
      replaceChildren(
        updates,
        notice(`The organizer just updated this event${what ? `: ${what}` : ''}.`, 'info', 'event-updated'),
      );
    }),
  );
  ctx.onCleanup(realtime.onResync(() => reload()));
  ctx.onCleanup(session.subscribe(() => updateSubmit()));

  /** The virtual queue's token (events with colaVirtual): the Queue-Token header of the purchase. */
  const queueHeader = (): Record<string, string> => {
    const token = event?.colaVirtual ? queueToken(eventId) : null;
    return token ? { 'Queue-Token': token } : {};
  };
  // For an event with a virtual queue, the ticket form opens once the buyer is admitted.
  const queueSlot = h('div', { class: 'queue-slot' });
  const showQueue = () => {
    if (!event?.colaVirtual || queueToken(eventId)) {
      replaceChildren(queueSlot);
      form.hidden = false;
      return;
    }
    form.hidden = true;
    replaceChildren(
      queueSlot,
      queueScreen(event, ctx.onCleanup, () => {
        form.hidden = false;
        announce('It is your turn: choose your tickets.');
      }),
    );
  };

  const flash = takeFlash();
  replaceChildren(
    root,
    h('p', null, h('a', { href: '#/' }, '← All events')),
    header,
    h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading event…'),
  );
  try {
    await load();
  } catch (error) {
    if (ctx.signal.aborted) return;
    replaceChildren(root, h('p', null, h('a', { href: '#/' }, '← All events')), ctx.heading('Event'), errorBox(error));
    return;
  }
  // (`event` is assigned inside load(); TypeScript cannot see that.)
  const loaded = event as TicketEvent | null;
  if (ctx.signal.aborted || !loaded) return;
  for (const [categoryId, value] of early) {
    const ui = cats.get(categoryId);
    if (ui) applyStock(ui, value);
  }
  replaceChildren(
    root,
    h('p', null, h('a', { href: '#/' }, '← All events')),
    flash,
    header,
    updates,
    h(
      'section',
      { 'aria-labelledby': 'tickets-heading' },
      h('h2', { id: 'tickets-heading' }, 'Tickets'),
      h('p', { class: 'muted small' }, 'Availability updates live as other people buy.'),
      alerts,
      queueSlot,
      form,
    ),
  );
  showQueue();
  announce(`${loaded.nombre}. ${loaded.categorias.length} ticket categories.`);
}
