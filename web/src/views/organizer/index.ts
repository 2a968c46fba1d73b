/**
 * The organizer's screens: state, live updates and polling, wired to the requests (data.ts), the
 * DOM (render.ts) and the forms (forms.ts).
 */
import { salesChart, salesTable } from '../../chart';
import { h, replaceChildren, throttle } from '../../dom';
import { clearInvalidFields, errorBox, markInvalidFields } from '../../errors';
import { realtime } from '../../realtime';
import { session } from '../../session';
import type { Sales, TicketEvent } from '../../types';
import { announce, busy, flashNext, navigate, notice, takeFlash } from '../../ui';
import type { ViewContext } from '../../view';
import * as data from './data';
import { addCategoryForm, categoryForm, categoryPatch, createEventForm, editEventForm } from './forms';
import {
  backToOrganizer,
  categorySummary,
  categorySummarySpan,
  manageTitle,
  myEventsList,
  organizerGate,
  salesPanels,
  soldOutAlert,
} from './render';

/** Sales are re-read at most this often when live messages arrive. */
const SALES_THROTTLE_MS = 1000;
/**
 * A confirmation moves tickets from held to sold without changing what is available, so no
 * stock message announces it: the open sales view also re-reads on this interval.
 */
const SALES_POLL_MS = 4000;

/** The organizer's home: their events and a form to create one. */
export async function organizerView(ctx: ViewContext): Promise<void> {
  if (!organizerGate(ctx, 'Organizer')) return;
  const { root } = ctx;
  const flash = takeFlash();
  const listSlot = h('div', null, h('p', { class: 'muted' }, 'Loading your events…'));

  const create = createEventForm();
  create.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearInvalidFields(create.form);
    replaceChildren(create.error);
    try {
      const created = await busy(create.submit, 'Creating…', () => data.createEvent(create.value()));
      flashNext(`Event “${created.nombre}” created.`);
      navigate(`#/organizer/events/${created.id}`);
    } catch (error) {
      if (ctx.signal.aborted) return;
      replaceChildren(create.error, errorBox(error));
      markInvalidFields(create.form, error);
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
    create.form,
  );

  try {
    const events = await data.myEvents(ctx.signal);
    if (ctx.signal.aborted) return;
    replaceChildren(listSlot, myEventsList(events));
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
      const fresh = await data.fetchSales(eventId, ctx.signal);
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
    const fresh = await data.fetchEvent(eventId, ctx.signal);
    if (ctx.signal.aborted) return;
    event = fresh;
    renderTitle();
    renderEdit();
    renderCategories();
  };

  const renderTitle = () => {
    if (event) replaceChildren(title, manageTitle(ctx, event));
  };

  const renderEdit = () => {
    if (!event) return;
    const edit = editEventForm(event);
    edit.form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearInvalidFields(edit.form);
      replaceChildren(edit.error);
      const patch = edit.patch();
      if (Object.keys(patch).length === 0) {
        replaceChildren(edit.error, notice('Nothing changed.', 'info'));
        return;
      }
      try {
        event = await busy(edit.save, 'Saving…', () => data.updateEvent(eventId, patch));
        if (ctx.signal.aborted) return;
        renderTitle();
        renderEdit();
        const status = editSlot.querySelector('.form-error-slot');
        if (status) replaceChildren(status, notice('Event saved.', 'success', 'event-saved'));
        announce('Event saved.');
      } catch (err) {
        if (ctx.signal.aborted) return;
        replaceChildren(edit.error, errorBox(err));
        markInvalidFields(edit.form, err);
      }
    });
    replaceChildren(editSlot, edit.form);
  };

  const renderCategories = () => {
    if (!event) return;
    const items = event.categorias.map((category) => {
      const f = categoryForm(category, categorySummarySpan(category));
      f.form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearInvalidFields(f.form);
        replaceChildren(f.error);
        const value = f.value();
        const patch = categoryPatch(category, value);
        if (Object.keys(patch).length === 0) {
          replaceChildren(f.error, notice('Nothing changed.', 'info'));
          return;
        }
        try {
          await busy(f.save, 'Saving…', () => data.updateCategory(eventId, category.id, patch));
          flashNext(`Category “${value.nombre}” saved.`);
          await reloadAll();
          announce(`Category ${value.nombre} saved.`);
        } catch (err) {
          if (ctx.signal.aborted) return;
          replaceChildren(f.error, errorBox(err));
          markInvalidFields(f.form, err);
        }
      });
      f.remove.addEventListener('click', async () => {
        if (!window.confirm(`Delete the category “${category.nombre}”?`)) return;
        replaceChildren(f.error);
        try {
          await busy(f.remove, 'Deleting…', () => data.deleteCategory(eventId, category.id));
          await reloadAll();
          announce(`Category ${category.nombre} deleted.`);
        } catch (err) {
          if (!ctx.signal.aborted) replaceChildren(f.error, errorBox(err));
        }
      });
      return h('li', null, f.form);
    });

    const add = addCategoryForm();
    add.form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearInvalidFields(add.form);
      replaceChildren(add.error);
      try {
        const created = await busy(add.submit, 'Adding…', () => data.addCategory(eventId, add.value()));
        await reloadAll();
        announce(`Category ${created.nombre} added.`);
      } catch (err) {
        if (ctx.signal.aborted) return;
        replaceChildren(add.error, errorBox(err));
        markInvalidFields(add.form, err);
      }
    });

    replaceChildren(
      categoriesSlot,
      h('h2', { id: 'categories-heading' }, 'Ticket categories'),
      items.length ? h('ul', { class: 'plain-list' }, items) : h('p', { class: 'muted' }, 'No categories yet.'),
      add.form,
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
      alertList.prepend(soldOutAlert(categoryName(a.categoriaId), a.categoriaId, a.stockRestante));
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
    replaceChildren(root, backToOrganizer(), ctx.heading('Manage event'), errorBox(error));
    return;
  }
  if (ctx.signal.aborted) return;
  const refresh = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'refresh-sales' }, 'Refresh');
  refresh.addEventListener('click', () => void busy(refresh, 'Refreshing…', loadSales));
  replaceChildren(
    root,
    title,
    flash,
    salesPanels({ refresh, salesError, chart: chartSlot, table: tableSlot, updated, alertsEmpty, alertList }),
    editSlot,
    h('section', { 'aria-labelledby': 'categories-heading' }, categoriesSlot),
  );
  await loadSales();
}
