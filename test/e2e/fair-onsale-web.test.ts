/**
 * The event page with a per-buyer limit and sales windows, and the three fair-on-sale refusals
 * (LIMIT_EXCEEDED, SALES_CLOSED, RATE_LIMITED) explained in words, in a real Chromium.
 */
import path from 'node:path';
import { eventOf } from '../helpers/api';
import { createEvent, createUser } from '../helpers/factories';
import { browserSuite, categoryCard, SHOTS } from './browser';
import { see, seeUrl } from './see';

const suite = browserSuite({ ORDER_RATE_LIMIT_PER_MINUTE: '3' });
const openPage = suite.openPage;

it('shows the limit and the sales window, and explains LIMIT_EXCEEDED, SALES_CLOSED and RATE_LIMITED', async () => {
  const { svc, organizer } = suite;
  const opens = new Date(Date.now() + 60 * 60_000).toISOString();
  const event = await createEvent(svc, organizer, { nombre: 'Fair Sale', maxPorComprador: 4 }, [
    { nombre: 'General', precio: 20, cantidadTotal: 100 },
  ]);
  const general = event.categorias[0]!.id;
  const later = await svc
    .api()
    .post(`/api/events/${event.id}/categories`)
    .set(organizer.auth)
    .send({ nombre: 'Late Release', precio: 30, cantidadTotal: 50, ventaInicio: opens });
  expect(later.status).toBe(201);

  const buyer = await createUser(svc, 'COMPRADOR', 'Bruno Buyer');
  const page = await openPage(buyer);
  await page.goto(`/#/events/${event.id}`);
  await see(page.getByTestId('max-per-buyer')).toContainText('4 tickets');
  await see(categoryCard(page, later.body.id).getByTestId('sales-window')).toContainText('Sales open on');
  await see(categoryCard(page, general).getByTestId('sales-window')).toHaveCount(0);
  await page.screenshot({ path: path.join(SHOTS, 'fair-01-limit-and-window.png'), fullPage: true });

  // Before the opening: refused, with when sales open.
  await categoryCard(page, later.body.id).getByLabel('Quantity of Late Release tickets').fill('1');
  await page.getByTestId('reserve').click();
  await see(page.getByTestId('error')).toHaveAttribute('data-code', 'SALES_CLOSED');
  await see(page.getByTestId('error')).toContainText('Late Release: sales open on');
  await categoryCard(page, later.body.id).getByLabel('Quantity of Late Release tickets').fill('0');

  // Over the limit in one order: refused, with what is still possible.
  await categoryCard(page, general).getByLabel('Quantity of General tickets').fill('5');
  await page.getByTestId('reserve').click();
  await see(page.getByTestId('error')).toHaveAttribute('data-code', 'LIMIT_EXCEEDED');
  await see(page.getByTestId('error')).toContainText('at most 4 tickets for this event');
  await see(page.getByTestId('error')).toContainText('You can still get 4.');
  await page.screenshot({ path: path.join(SHOTS, 'fair-02-limit-exceeded.png'), fullPage: true });

  // Within the limit: reserved.
  await categoryCard(page, general).getByLabel('Quantity of General tickets').fill('2');
  await page.getByTestId('reserve').click();
  await seeUrl(page, /#\/orders\/[0-9a-f-]{36}$/);

  // The fourth order attempt within a minute (ORDER_RATE_LIMIT_PER_MINUTE=3): told to wait.
  await page.goto(`/#/events/${event.id}`);
  await categoryCard(page, general).getByLabel('Quantity of General tickets').fill('1');
  await page.getByTestId('reserve').click();
  await see(page.getByTestId('error')).toHaveAttribute('data-code', 'RATE_LIMITED');
  await see(page.getByTestId('error')).toHaveText(/Please wait \d+ seconds? and try again/);
  await seeUrl(page, new RegExp(`#/events/${event.id}$`));
  await page.screenshot({ path: path.join(SHOTS, 'fair-03-rate-limited.png'), fullPage: true });
});

/** An instant as a datetime-local input takes it (the browser runs in this process's time zone). */
const localInput = (ms: number) => {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

it("sets the per-buyer limit and a category's sales window in the organizer's forms; the event page shows both", async () => {
  const { svc, organizer } = suite;
  const page = await openPage(organizer);
  await page.goto('/#/organizer');
  const form = page.getByRole('form', { name: 'Create an event' });
  await form.getByLabel('Event name').fill('Limited Run');
  await form.getByLabel('Date and time').fill(localInput(Date.now() + 30 * 86_400_000));
  await form.getByLabel('Place', { exact: true }).fill('Sala Apolo, Barcelona');
  await form.getByLabel('Total capacity').fill('100');
  await form.getByLabel('Base price (€)').fill('20');
  await form.getByLabel('Tickets per buyer').fill('4');
  await form.getByLabel('Price (€)', { exact: true }).first().fill('20');
  await form.getByLabel('Number of tickets').first().fill('50');
  await form.getByTestId('add-category-row').click();
  await form.getByLabel('Category name').nth(1).fill('Late Release');
  await form.getByLabel('Price (€)', { exact: true }).nth(1).fill('30');
  await form.getByLabel('Number of tickets').nth(1).fill('20');
  await form
    .getByLabel('Sales open')
    .nth(1)
    .fill(localInput(Date.now() + 60 * 60_000));
  await form.getByTestId('create-event').click();
  await see(page.getByTestId('manage-title')).toHaveText('Manage: Limited Run');
  const eventId = /#\/organizer\/events\/(.+)$/.exec(page.url())![1]!;

  // What the API now holds is what the form said.
  const created = await eventOf(svc, eventId);
  const [general, late] = created.categorias;
  expect(created.maxPorComprador).toBe(4);
  expect({ inicio: general!.ventaInicio, fin: general!.ventaFin }).toEqual({ inicio: null, fin: null });
  expect(late!.nombre).toBe('Late Release');
  expect(Date.parse(late!.ventaInicio!)).toBeGreaterThan(Date.now());

  const buyer = await createUser(svc, 'COMPRADOR', 'Carla Buyer');
  const visitor = await openPage(buyer);
  await visitor.goto(`/#/events/${eventId}`);
  await see(visitor.getByTestId('max-per-buyer')).toContainText('4 tickets');
  await see(categoryCard(visitor, late!.id).getByTestId('sales-window')).toContainText('Sales open on');
  await see(categoryCard(visitor, general!.id).getByTestId('sales-window')).toHaveCount(0);

  // Edits: a higher limit on the event, a closing time on General.
  const edit = page.getByRole('form', { name: 'Event details' });
  expect(await edit.getByLabel('Tickets per buyer').inputValue()).toBe('4');
  await edit.getByLabel('Tickets per buyer').fill('6');
  await edit.getByTestId('save-event').click();
  await see(page.getByTestId('event-saved')).toBeVisible();
  const generalForm = page.getByRole('form', { name: 'Category General' });
  await generalForm.getByLabel('Sales close').fill(localInput(Date.now() + 10 * 86_400_000));
  await generalForm.getByRole('button', { name: 'Save' }).click();
  await see(page.getByTestId('flash').filter({ hasText: 'Category “General” saved.' })).toBeVisible();
  await page.screenshot({ path: path.join(SHOTS, 'fair-04-organizer-limit-and-window.png'), fullPage: true });

  await visitor.reload();
  await see(visitor.getByTestId('max-per-buyer')).toContainText('6 tickets');
  await see(categoryCard(visitor, general!.id).getByTestId('sales-window')).toContainText('On sale until');
  await see(categoryCard(visitor, late!.id).getByTestId('sales-window')).toContainText('Sales open on');
  await visitor.screenshot({ path: path.join(SHOTS, 'fair-05-event-page-limit-and-windows.png'), fullPage: true });

  // Clearing the limit in the form removes it (null on the wire), and the page stops showing it.
  await edit.getByLabel('Tickets per buyer').fill('');
  await edit.getByTestId('save-event').click();
  await see(page.getByTestId('event-saved')).toBeVisible();
  expect((await eventOf(svc, eventId)).maxPorComprador).toBeNull();
  await visitor.reload();
  await see(visitor.getByTestId('event-title')).toHaveText('Limited Run');
  await see(visitor.getByTestId('max-per-buyer')).toHaveCount(0);
});
