import { del, get, post, put } from '../api';
import { salesChart, salesTable } from '../chart';
import {
  field,
  formatMoney,
  formatNumber,
  formatShortDate,
  fromLocalInput,
  h,
  replaceChildren,
  throttle,
  toLocalInput,
} from '../dom';
import { clearInvalidFields, errorBox, markInvalidFields } from '../errors';
import { realtime } from '../realtime';
import { session } from '../session';
import type { Category, Page, Sales, TicketEvent } from '../types';
import { announce, busy, flashNext, navigate, notice, takeFlash } from '../ui';
import type { ViewContext } from '../view';

/** Sales are re-read at most this often when live messages arrive. */
const SALES_THROTTLE_MS = 1000;
/**
 * A confirmation moves tickets from held to sold without changing what is available, so no
 * stock message announces it: the open sales view also re-reads on this interval.
 */
const SALES_POLL_MS = 4000;

function organizerGate(ctx: ViewContext, title: string): boolean {
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

const categorySummary = (available: number, c: Category) =>
  `(${formatNumber(available)} of ${formatNumber(c.cantidadTotal)} on sale, ${formatMoney(c.precio)})`;

/** Reads a number input: '' stays undefined, so the server names the missing field. */
const num = (input: HTMLInputElement): number | undefined =>
  input.value.trim() === '' ? undefined : Number(input.value);
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

interface CategoryFields {
  element: HTMLElement;
  nombre: HTMLInputElement;
  precio: HTMLInputElement;
  cantidadTotal: HTMLInputElement;
  beneficios: HTMLTextAreaElement;
  /** Renames the controls to `prefix.nombre` etc., so validation details find them. */
  setPrefix(prefix: string): void;
  value(): { nombre: string; precio?: number; cantidadTotal?: number; beneficios: string[] };
}

function categoryFields(initial?: Partial<Category>, prefix = ''): CategoryFields {
  const nombre = h('input', { type: 'text', value: initial?.nombre ?? '', required: true, maxlength: 100 });
  const precio = h('input', {
    type: 'number',
    min: 0,
    step: '0.01',
    inputmode: 'decimal',
    value: initial?.precio ?? '',
    required: true,
  });
  const cantidadTotal = h('input', {
    type: 'number',
    min: 1,
    step: 1,
    inputmode: 'numeric',
    value: initial?.cantidadTotal ?? '',
    required: true,
  });
  const beneficios = h('textarea', { rows: 2 });
  beneficios.value = (initial?.beneficios ?? []).join('\n');
  const setPrefix = (p: string) => {
    const at = (n: string) => (p ? `${p}.${n}` : n);
    nombre.name = at('nombre');
    precio.name = at('precio');
    cantidadTotal.name = at('cantidadTotal');
    beneficios.name = at('beneficios');
  };
  setPrefix(prefix);
  const element = h(
    'div',
    { class: 'category-fields' },
    field('Category name', nombre),
    field('Price (€)', precio),
    field('Number of tickets', cantidadTotal),
    field('Benefits', beneficios, 'One per line.'),
  );
  return {
    element,
    nombre,
    precio,
    cantidadTotal,
    beneficios,
    setPrefix,
    value: () => ({
      nombre: nombre.value.trim(),
      precio: num(precio),
      cantidadTotal: num(cantidadTotal),
      beneficios: lines(beneficios.value),
    }),
  };
}

interface EventFields {
  element: HTMLElement;
  value(): Record<string, unknown>;
  fill(e: TicketEvent): void;
}

function eventFields(): EventFields {
  const nombre = h('input', {
    type: 'text',
    name: 'nombre',
    required: true,
    maxlength: 200,
    'data-testid': 'event-name',
  });
  const descripcion = h('textarea', { name: 'descripcion', rows: 3, maxlength: 5000 });
  const fecha = h('input', { type: 'datetime-local', name: 'fecha', required: true });
  const ubicacion = h('input', { type: 'text', name: 'ubicacion', required: true, maxlength: 200 });
  const capacidadTotal = h('input', {
    type: 'number',
    name: 'capacidadTotal',
    min: 1,
    step: 1,
    inputmode: 'numeric',
    required: true,
  });
  const precioBase = h('input', {
    type: 'number',
    name: 'precioBase',
    min: 0,
    step: '0.01',
    inputmode: 'decimal',
    required: true,
  });
  return {
    element: h(
      'div',
      { class: 'event-fields' },
      field('Event name', nombre),
      field('Description', descripcion),
      field('Date and time', fecha, 'In your local time zone; must be in the future.'),
      field('Place', ubicacion),
      field('Total capacity', capacidadTotal, 'The categories together cannot exceed it.'),
      field('Base price (€)', precioBase),
    ),
    value: () => ({
      nombre: nombre.value.trim(),
      descripcion: descripcion.value.trim(),
      fecha: fromLocalInput(fecha.value) || fecha.value,
      ubicacion: ubicacion.value.trim(),
      capacidadTotal: num(capacidadTotal),
      precioBase: num(precioBase),
    }),
    fill: (e) => {
      nombre.value = e.nombre;
      descripcion.value = e.descripcion;
      fecha.value = toLocalInput(e.fecha);
      ubicacion.value = e.ubicacion;
      capacidadTotal.value = String(e.capacidadTotal);
      precioBase.value = String(e.precioBase);
    },
  };
}

async function myEvents(signal: AbortSignal): Promise<TicketEvent[]> {
  const mine: TicketEvent[] = [];
  const user = session.user;
  for (let page = 1; page <= 20; page++) {
    const result = await get<Page<TicketEvent>>('/api/events', { query: { page, limit: 100 }, signal });
    mine.push(...result.data.filter((e) => user?.role === 'ADMIN' || e.organizadorId === user?.id));
    if (page * result.limit >= result.total) break;
  }
  return mine;
}

/** The organizer's home: their events and a form to create one. */
export async function organizerView(ctx: ViewContext): Promise<void> {
  if (!organizerGate(ctx, 'Organizer')) return;
  const { root } = ctx;
  const flash = takeFlash();
  const listSlot = h('div', null, h('p', { class: 'muted' }, 'Loading your events…'));

  // Create-event form with a dynamic list of categories.
  const fields = eventFields();
  const categoryRows: CategoryFields[] = [];
  const categoryList = h('ol', { class: 'category-rows' });
  const renumber = () => {
    categoryRows.forEach((row, i) => {
      row.setPrefix(`categorias.${i}`);
      const legend = row.element.parentElement?.querySelector('legend');
      if (legend) legend.textContent = `Category ${i + 1}`;
    });
  };
  const addRow = (initial?: Partial<Category>) => {
    const row = categoryFields(initial);
    const remove = h('button', { type: 'button', class: 'btn btn-small' }, 'Remove this category');
    const item = h(
      'li',
      null,
      h('fieldset', { class: 'card inner' }, h('legend', null, 'Category'), row.element, remove),
    );
    remove.addEventListener('click', () => {
      const index = categoryRows.indexOf(row);
      if (index >= 0) categoryRows.splice(index, 1);
      item.remove();
      renumber();
      addButton.focus();
    });
    categoryRows.push(row);
    categoryList.append(item);
    renumber();
    return row;
  };
  const addButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'add-category-row' }, 'Add a category');
  addButton.addEventListener('click', () => addRow().nombre.focus());
  addRow({ nombre: 'General' });

  const createError = h('div', { class: 'form-error-slot' });
  const createButton = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-event' },
    'Create event',
  );
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-heading', novalidate: true },
    h('h2', { id: 'create-heading' }, 'Create an event'),
    fields.element,
    h('h3', null, 'Ticket categories'),
    categoryList,
    addButton,
    createError,
    h('div', { class: 'button-row' }, createButton),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearInvalidFields(form);
    replaceChildren(createError);
    try {
      const created = await busy(createButton, 'Creating…', () =>
        post<TicketEvent>('/api/events', { ...fields.value(), categorias: categoryRows.map((r) => r.value()) }),
      );
      flashNext(`Event “${created.nombre}” created.`);
      navigate(`#/organizer/events/${created.id}`);
    } catch (error) {
      if (ctx.signal.aborted) return;
      replaceChildren(createError, errorBox(error));
      markInvalidFields(form, error);
    }
  });

  replaceChildren(
    root,
    flash,
    ctx.heading('Organizer'),
    h(
      'section',
      { 'aria-labelledby': 'mine-heading' },
      h('h2', { id: 'mine-heading' }, session.user?.role === 'ADMIN' ? 'All events' : 'Your events'),
      listSlot,
    ),
    form,
  );

  try {
    const events = await myEvents(ctx.signal);
    if (ctx.signal.aborted) return;
    replaceChildren(
      listSlot,
      events.length
        ? h(
            'ul',
            { class: 'event-grid', 'data-testid': 'my-events' },
            events.map((e) => {
              const left = e.categorias.reduce((n, c) => n + c.disponible, 0);
              return h(
                'li',
                { class: 'card event-card', 'data-event-id': e.id },
                h('h3', null, h('a', { href: `#/organizer/events/${e.id}` }, e.nombre)),
                h('p', { class: 'event-meta' }, formatShortDate(e.fecha), ' · ', e.ubicacion),
                h(
                  'p',
                  { class: 'event-meta' },
                  `${formatNumber(left)} of ${formatNumber(e.capacidadTotal)} tickets left`,
                ),
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
          )
        : h('p', { class: 'muted' }, 'No events yet: create your first one below.'),
    );
  } catch (error) {
    if (!ctx.signal.aborted) replaceChildren(listSlot, errorBox(error));
  }
}

/** One event for its organizer: live sales chart, alerts, and forms to edit it and its categories. */
export async function manageEventView(ctx: ViewContext): Promise<void> {
  if (!organizerGate(ctx, 'Manage event')) return;
  const eventId = ctx.params[0]!;
  const { root } = ctx;
  const flash = takeFlash();
  ctx.onCleanup(realtime.joinEvent(eventId));

  let event: TicketEvent | null = null;
  let sales: Sales | null = null;
  const title = h('div');
  const chartSlot = h(
    'div',
    { class: 'chart-slot', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading sales…'),
  );
  const tableSlot = h('div', { class: 'table-scroll' });
  const updated = h('p', { class: 'muted small', 'data-testid': 'sales-updated' });
  const salesError = h('div');
  const alertList = h('ul', { class: 'alert-list', 'data-testid': 'organizer-alerts' });
  const alertsEmpty = h('p', { class: 'muted small' }, 'None yet. Alerts appear here as soon as a category runs low.');
  const editSlot = h('div');
  const categoriesSlot = h('div');

  const drawChart = () => {
    if (!sales) return;
    const width = chartSlot.clientWidth || 600;
    replaceChildren(chartSlot, salesChart(sales, width));
  };

  const loadSales = async () => {
    try {
      const fresh = await get<Sales>(`/api/admin/events/${eventId}/sales`, { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      sales = fresh;
      chartSlot.removeAttribute('aria-busy');
      replaceChildren(salesError);
      drawChart();
      replaceChildren(tableSlot, salesTable(fresh));
      // Keep the category forms' "n of m on sale" current too.
      for (const c of fresh.categorias) {
        const span = categoriesSlot.querySelector(`[data-summary-for="${CSS.escape(c.categoriaId)}"]`);
        const category = event?.categorias.find((x) => x.id === c.categoriaId);
        if (span && category) span.textContent = categorySummary(c.disponibles, category);
      }
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (ctx.signal.aborted) return;
      chartSlot.removeAttribute('aria-busy');
      replaceChildren(salesError, errorBox(error));
    }
  };
  const refreshSales = throttle(() => void loadSales(), SALES_THROTTLE_MS);
  ctx.onCleanup(() => refreshSales.cancel());
  const poll = window.setInterval(() => {
    if (document.visibilityState === 'visible') refreshSales();
  }, SALES_POLL_MS);
  ctx.onCleanup(() => window.clearInterval(poll));
  const redraw = throttle(drawChart, 200);
  window.addEventListener('resize', redraw);
  ctx.onCleanup(() => {
    window.removeEventListener('resize', redraw);
    redraw.cancel();
  });

  const loadEvent = async () => {
    const fresh = await get<TicketEvent>(`/api/events/${eventId}`, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    event = fresh;
    renderTitle();
    renderEdit();
    renderCategories();
  };

  const renderTitle = () => {
    if (!event) return;
    replaceChildren(
      title,
      h('p', null, h('a', { href: '#/organizer' }, '← Organizer')),
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
    );
  };

  const renderEdit = () => {
    if (!event) return;
    const current = event;
    const fields = eventFields();
    fields.fill(current);
    const error = h('div', { class: 'form-error-slot' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-event' }, 'Save changes');
    const form = h(
      'form',
      { class: 'card', 'aria-labelledby': 'edit-heading', novalidate: true },
      h('h2', { id: 'edit-heading' }, 'Event details'),
      fields.element,
      error,
      save,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearInvalidFields(form);
      replaceChildren(error);
      // Only what changed: a partial update.
      const value = fields.value();
      const original: Record<string, unknown> = {
        nombre: current.nombre,
        descripcion: current.descripcion,
        fecha: current.fecha,
        ubicacion: current.ubicacion,
        capacidadTotal: current.capacidadTotal,
        precioBase: current.precioBase,
      };
      const patch: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === 'fecha' && typeof v === 'string' && Date.parse(v) === Date.parse(current.fecha)) continue;
        if (v !== original[k]) patch[k] = v;
      }
      if (Object.keys(patch).length === 0) {
        replaceChildren(error, notice('Nothing changed.', 'info'));
        return;
      }
      try {
        event = await busy(save, 'Saving…', () => put<TicketEvent>(`/api/events/${eventId}`, patch));
        if (ctx.signal.aborted) return;
        renderTitle();
        renderEdit();
        const status = editSlot.querySelector('.form-error-slot');
        if (status) replaceChildren(status, notice('Event saved.', 'success', 'event-saved'));
        announce('Event saved.');
      } catch (err) {
        if (ctx.signal.aborted) return;
        replaceChildren(error, errorBox(err));
        markInvalidFields(form, err);
      }
    });
    replaceChildren(editSlot, form);
  };

  const renderCategories = () => {
    if (!event) return;
    const items = event.categorias.map((category) => {
      const f = categoryFields(category);
      const error = h('div', { class: 'form-error-slot' });
      const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save');
      const remove = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Delete');
      const form = h(
        'form',
        {
          class: 'card inner',
          novalidate: true,
          'aria-label': `Category ${category.nombre}`,
          'data-testid': 'category-form',
          'data-category-id': category.id,
        },
        h(
          'h3',
          null,
          category.nombre,
          ' ',
          h(
            'span',
            { class: 'muted small', 'data-summary-for': category.id },
            categorySummary(category.disponible, category),
          ),
        ),
        f.element,
        error,
        h('div', { class: 'button-row' }, save, remove),
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearInvalidFields(form);
        replaceChildren(error);
        const value = f.value();
        const patch: Record<string, unknown> = {};
        if (value.nombre !== category.nombre) patch.nombre = value.nombre;
        if (value.precio !== category.precio) patch.precio = value.precio;
        if (value.cantidadTotal !== category.cantidadTotal) patch.cantidadTotal = value.cantidadTotal;
        if (JSON.stringify(value.beneficios) !== JSON.stringify(category.beneficios))
          patch.beneficios = value.beneficios;
        if (Object.keys(patch).length === 0) {
          replaceChildren(error, notice('Nothing changed.', 'info'));
          return;
        }
        try {
          await busy(save, 'Saving…', () => put<Category>(`/api/events/${eventId}/categories/${category.id}`, patch));
          flashNext(`Category “${value.nombre}” saved.`);
          await reloadAll();
          announce(`Category ${value.nombre} saved.`);
        } catch (err) {
          if (ctx.signal.aborted) return;
          replaceChildren(error, errorBox(err));
          markInvalidFields(form, err);
        }
      });
      remove.addEventListener('click', async () => {
        if (!window.confirm(`Delete the category “${category.nombre}”?`)) return;
        replaceChildren(error);
        try {
          await busy(remove, 'Deleting…', () => del(`/api/events/${eventId}/categories/${category.id}`));
          await reloadAll();
          announce(`Category ${category.nombre} deleted.`);
        } catch (err) {
          if (!ctx.signal.aborted) replaceChildren(error, errorBox(err));
        }
      });
      return h('li', null, form);
    });

    const add = categoryFields();
    const addError = h('div', { class: 'form-error-slot' });
    const addButton = h(
      'button',
      { type: 'submit', class: 'btn btn-primary', 'data-testid': 'add-category' },
      'Add category',
    );
    const addForm = h(
      'form',
      { class: 'card inner', novalidate: true, 'aria-labelledby': 'add-category-heading' },
      h('h3', { id: 'add-category-heading' }, 'Add a category'),
      add.element,
      addError,
      addButton,
    );
    addForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearInvalidFields(addForm);
      replaceChildren(addError);
      try {
        const created = await busy(addButton, 'Adding…', () =>
          post<Category>(`/api/events/${eventId}/categories`, add.value()),
        );
        await reloadAll();
        announce(`Category ${created.nombre} added.`);
      } catch (err) {
        if (ctx.signal.aborted) return;
        replaceChildren(addError, errorBox(err));
        markInvalidFields(addForm, err);
      }
    });

    replaceChildren(
      categoriesSlot,
      h('h2', { id: 'categories-heading' }, 'Ticket categories'),
      items.length ? h('ul', { class: 'plain-list' }, items) : h('p', { class: 'muted' }, 'No categories yet.'),
      addForm,
    );
    const pending = takeFlash();
    if (pending) categoriesSlot.prepend(pending);
  };

  const reloadAll = async () => {
    await Promise.all([loadEvent(), loadSales()]);
  };

  const categoryName = (id: string) => event?.categorias.find((c) => c.id === id)?.nombre ?? 'A category';
  ctx.onCleanup(
    realtime.on('ticket:stock-update', (u) => {
      if (u.eventoId === eventId) refreshSales();
    }),
  );
  ctx.onCleanup(
    realtime.on('ticket:almost-sold-out', (a) => {
      if (a.eventoId !== eventId) return;
      alertsEmpty.remove();
      const text =
        a.stockRestante <= 0
          ? `${categoryName(a.categoriaId)} is sold out.`
          : `${categoryName(a.categoriaId)} is almost sold out: ${formatNumber(a.stockRestante)} left.`;
      alertList.prepend(
        h(
          'li',
          { class: 'notice notice-warning', 'data-testid': 'organizer-alert', 'data-category-id': a.categoriaId },
          h('time', { datetime: new Date().toISOString() }, new Date().toLocaleTimeString()),
          ' ',
          text,
        ),
      );
      refreshSales();
    }),
  );
  ctx.onCleanup(
    realtime.on('event:update', (u) => {
      if (u.eventoId === eventId) refreshSales();
    }),
  );
  ctx.onCleanup(realtime.onResync(() => void reloadAll()));

  replaceChildren(root, title, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await loadEvent();
  } catch (error) {
    if (ctx.signal.aborted) return;
    replaceChildren(
      root,
      h('p', null, h('a', { href: '#/organizer' }, '← Organizer')),
      ctx.heading('Manage event'),
      errorBox(error),
    );
    return;
  }
  if (ctx.signal.aborted) return;
  replaceChildren(
    root,
    title,
    flash,
    h(
      'div',
      { class: 'manage-grid' },
      h(
        'section',
        { class: 'card sales', 'aria-labelledby': 'sales-heading' },
        h('div', { class: 'section-head' }, h('h2', { id: 'sales-heading' }, 'Sales'), refreshButton()),
        h('p', { class: 'muted small' }, 'Updates live as tickets are reserved, released and paid.'),
        salesError,
        chartSlot,
        tableSlot,
        updated,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'alerts-heading' },
        h('h2', { id: 'alerts-heading' }, 'Almost sold out'),
        h('div', { 'aria-live': 'polite' }, alertsEmpty, alertList),
      ),
    ),
    editSlot,
    h('section', { 'aria-labelledby': 'categories-heading' }, categoriesSlot),
  );
  await loadSales();

  function refreshButton(): HTMLButtonElement {
    const b = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'refresh-sales' }, 'Refresh');
    b.addEventListener('click', () => void busy(b, 'Refreshing…', loadSales));
    return b;
  }
}
