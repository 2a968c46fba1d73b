/**
 * The browser client (web/) in a real Chromium, against the real service and PostgreSQL.
 * Needs Debian's Chromium (`apt-get install chromium`) and a built client (`npm run build:web`,
 * which `npm test` runs first). Screenshots go to test-artifacts/screenshots/.
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createEvent, createUser, FACTORY_PASSWORD, type TestUser } from '../helpers/factories';
import { call } from '../helpers/http';
import { freePort } from '../helpers/process';
import { startTestService, type TestService } from '../helpers/service';
import { categoryCard, checkPrerequisites, launchChromium, openBrowserPage, SHOTS, shot } from './browser';
import { see, seeUrl } from './see';

/** The main service; one with 3-second holds; one with Socket.IO on its own port. */
let svc: TestService;
let shortSvc: TestService;
let split: TestService;
let browser: Browser;
let organizer: TestUser;
let buyer: TestUser;
const contexts: BrowserContext[] = [];
/** Console errors and uncaught exceptions per page (CSP violations show up here). */
const pageProblems: string[] = [];

beforeAll(async () => {
  checkPrerequisites();
  // All started up front and closed together at the end: the tests never depend on one instance
  // hearing about another instance's changes.
  const wsPort = await freePort();
  [svc, shortSvc, split, browser] = await Promise.all([
    startTestService({ EXPIRY_INTERVAL_MS: '200', LOW_STOCK_THRESHOLD: '10%' }),
    startTestService({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.05', EXPIRY_INTERVAL_MS: '200' }),
    startTestService({ WS_PORT: String(wsPort) }),
    launchChromium(),
  ]);
  [organizer, buyer] = await Promise.all([
    createUser(svc, 'ORGANIZADOR', 'Olivia Organizer'),
    createUser(svc, 'COMPRADOR', 'Bruno Buyer'),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  const problems = pageProblems.splice(0);
  expect(problems).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([svc?.close(), shortSvc?.close(), split?.close()]);
});

interface Options {
  user?: TestUser;
  /** A token to sign in with, when there is no factory user (someone who registered through the page). */
  token?: string;
  baseURL?: string;
  mobile?: boolean;
}

/** A fresh browser profile (its own localStorage), signed in as `user` when given. */
const openPage = ({ user, token = user?.token, baseURL = svc.url, mobile = false }: Options = {}) =>
  openBrowserPage(browser, contexts, { baseURL, token, mobile, problems: pageProblems });

async function waitLive(page: Page): Promise<void> {
  await see(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
}

const salesRow = (page: Page, id: string) => page.locator(`[data-testid="sales-row"][data-category-id="${id}"]`);

const reserveByApi = (user: TestUser, eventId: string, categoryId: string, cantidad: number, through = svc) =>
  call(through.url, 'POST', '/api/orders', {
    token: user.token,
    body: { eventoId: eventId, tickets: [{ categoriaId: categoryId, cantidad }] },
  });

describe('buyer', () => {
  it('lists and searches events, opens one with prices, benefits and stock, and asks to sign in to reserve', async () => {
    const place = `Sala ${Date.now().toString(36)}`;
    const event = await createEvent(
      svc,
      organizer,
      { nombre: 'Jazz Night', ubicacion: `${place}, Madrid`, capacidadTotal: 300 },
      [
        { nombre: 'Front row', precio: 80, cantidadTotal: 50, beneficios: ['Best seats', 'Free drink'] },
        { nombre: 'Standing', precio: 25.5, cantidadTotal: 250 },
      ],
    );
    await createEvent(svc, organizer, { nombre: 'Other Show', ubicacion: 'Valencia' });

    const page = await openPage();
    await page.goto('/');
    await see(page.getByRole('heading', { level: 1, name: 'Events' })).toBeVisible();
    await see(page.getByTestId('event-card').first()).toBeVisible();
    await shot(page, '01-events-list');

    // Search by place (accent- and case-insensitive on the server), only with tickets available.
    await page.getByLabel('Place').fill(place.toLowerCase());
    await page.getByLabel('Only events with tickets available').check();
    await page.getByRole('button', { name: 'Search' }).click();
    await seeUrl(page, /disponible=true/);
    await see(page.getByTestId('event-card')).toHaveCount(1);
    await see(page.getByTestId('results-count')).toHaveText('1 event found.');
    await page.getByRole('link', { name: 'Jazz Night' }).click();

    await see(page.getByTestId('event-title')).toHaveText('Jazz Night');
    await see(page.getByTestId('event-title')).toBeFocused();
    const front = categoryCard(page, event.categorias[0]!.id);
    await see(front.getByRole('heading', { name: 'Front row' })).toBeVisible();
    await see(front.getByText('Free drink')).toBeVisible();
    await see(front.getByTestId('stock-count')).toHaveText('50 of 50 left');
    await see(front.getByTestId('stock-bar')).toHaveAttribute('aria-valuenow', '50');
    await see(page.getByTestId('reserve')).toHaveText('Sign in to reserve');
    await shot(page, '02-event-page');

    // Keyboard only: type a quantity and press Enter; signed out, it leads to the sign-in page.
    await front.getByLabel('Quantity of Front row tickets').focus();
    await page.keyboard.type('2');
    await see(page.getByTestId('order-total')).toHaveText(/2 tickets/);
    await page.keyboard.press('Enter');
    await seeUrl(page, /#\/login\?next=/);
    await see(page.getByTestId('flash')).toContainText('Sign in');

    // A wrong password gets a clear message; the right one comes back to the event.
    const signIn = page.getByRole('form', { name: 'Sign in' });
    await signIn.getByLabel('Email').fill(buyer.email);
    await signIn.getByLabel('Password').fill('wrong-password-1');
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await see(signIn.getByTestId('error')).toContainText('Email or password is incorrect');
    await shot(page, '03-sign-in-error');
    await signIn.getByLabel('Password').fill(FACTORY_PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await see(page.getByTestId('event-title')).toHaveText('Jazz Night');
    await see(page.getByTestId('user-name')).toHaveText('Bruno Buyer');
    await see(page.getByTestId('reserve')).toHaveText('Reserve tickets');

    const phone = await openPage({ mobile: true });
    await phone.goto(`/#/events/${event.id}`);
    await see(categoryCard(phone, event.categorias[1]!.id).getByTestId('stock-count')).toHaveText('250 of 250 left');
    await shot(phone, '04-event-page-phone');
    await phone.getByTestId('reserve').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: path.join(SHOTS, '04b-event-page-phone-viewport.png') });
  });

  it('a purchase in one window moves the stock bar in another, and the organizer chart follows the confirmation', async () => {
    const event = await createEvent(svc, organizer, { nombre: 'Rock Live', capacidadTotal: 120 }, [
      { nombre: 'VIP', precio: 150, cantidadTotal: 20, beneficios: ['Backstage access', 'Meet & greet'] },
      { nombre: 'General', precio: 50, cantidadTotal: 100 },
    ]);
    const vip = event.categorias[0]!.id;

    const [buyerPage, watcher, organizerPage] = await Promise.all([
      openPage({ user: buyer }),
      openPage(),
      openPage({ user: organizer }),
    ]);
    await Promise.all([
      buyerPage.goto(`/#/events/${event.id}`),
      watcher.goto(`/#/events/${event.id}`),
      organizerPage.goto(`/#/organizer/events/${event.id}`),
    ]);
    await Promise.all([waitLive(buyerPage), waitLive(watcher), waitLive(organizerPage)]);
    await see(categoryCard(watcher, vip).getByTestId('stock-count')).toHaveText('20 of 20 left');
    await see(salesRow(organizerPage, vip)).toHaveAttribute('data-sold', '0');

    // Reserve 3 VIP in the buyer's window.
    await categoryCard(buyerPage, vip).getByLabel('Quantity of VIP tickets').fill('3');
    await see(buyerPage.getByTestId('order-total')).toHaveText(/3 tickets · Total .*450/);
    await buyerPage.getByTestId('reserve').click();
    await seeUrl(buyerPage, /#\/orders\/[0-9a-f-]{36}$/);
    await see(buyerPage.getByTestId('order-status')).toHaveAttribute('data-status', 'RESERVED');
    await see(buyerPage.getByTestId('countdown')).toHaveText(/Hold expires in \d+:\d\d/);

    // The other window's bar moves, and the organizer's chart shows the hold.
    await see(categoryCard(watcher, vip).getByTestId('stock-count')).toHaveText('17 of 20 left');
    await see(categoryCard(watcher, vip).getByTestId('stock-bar')).toHaveAttribute('aria-valuenow', '17');
    await see(salesRow(organizerPage, vip)).toHaveAttribute('data-held', '3');
    await shot(watcher, '05-event-page-after-purchase-elsewhere');
    await shot(buyerPage, '06-order-reserved-with-countdown');

    // Pay: the organizer's chart moves from held to sold, with the revenue.
    await buyerPage.getByLabel('Payment method').selectOption('paypal');
    await buyerPage.getByTestId('confirm-payment').click();
    await see(buyerPage.getByTestId('order-status')).toHaveAttribute('data-status', 'CONFIRMED');
    await see(buyerPage.getByTestId('confirmed')).toBeVisible();
    await shot(buyerPage, '07-order-confirmed');
    await see(salesRow(organizerPage, vip)).toHaveAttribute('data-sold', '3');
    await see(salesRow(organizerPage, vip)).toHaveAttribute('data-held', '0');
    await see(organizerPage.getByTestId('sales-totals')).toHaveAttribute('data-revenue', '450');

    // Others empty VIP down to 2: both windows show the almost-sold-out alert as it arrives.
    const other = await createUser(svc);
    expect((await reserveByApi(other, event.id, vip, 10)).status).toBe(201);
    expect((await reserveByApi(other, event.id, vip, 5)).status).toBe(201);
    await see(categoryCard(watcher, vip).getByTestId('stock-count')).toHaveText('2 of 20 left');
    await see(watcher.getByTestId('almost-sold-out')).toContainText('only 2 tickets left in VIP');
    await see(organizerPage.getByTestId('organizer-alert')).toContainText('VIP is almost sold out: 2 left');
    await see(salesRow(organizerPage, vip)).toHaveAttribute('data-held', '15');
    await shot(watcher, '08-event-page-almost-sold-out');
    await shot(organizerPage, '09-organizer-sales-chart');
    await organizerPage
      .locator('section.sales')
      .screenshot({ path: path.join(SHOTS, '09b-organizer-sales-closeup.png') });

    // Asking for more than is left: the server's INSUFFICIENT_STOCK, in words.
    await buyerPage.goto(`/#/events/${event.id}`);
    await categoryCard(buyerPage, vip).getByLabel('Quantity of VIP tickets').fill('4');
    await buyerPage.getByTestId('reserve').click();
    await see(buyerPage.getByTestId('error')).toHaveAttribute('data-code', 'INSUFFICIENT_STOCK');
    await see(buyerPage.getByTestId('error')).toContainText('VIP: you asked for 4, only 2 left.');
    await shot(buyerPage, '10-insufficient-stock');
  });
});

describe('expiring holds', () => {
  it('a hold that is not paid flips to EXPIRED on screen, and its tickets come back', async () => {
    const event = await createEvent(shortSvc, organizer, { nombre: 'Quick Sale' }, [
      { nombre: 'Seat', precio: 10, cantidadTotal: 30 },
    ]);
    const seat = event.categorias[0]!.id;
    const [orderPage, ordersPage, watcher] = await Promise.all([
      openPage({ user: buyer, baseURL: shortSvc.url }),
      openPage({ user: buyer, baseURL: shortSvc.url }),
      openPage({ baseURL: shortSvc.url }),
    ]);
    await Promise.all([
      ordersPage.goto('/#/orders'),
      watcher.goto(`/#/events/${event.id}`),
      orderPage.goto(`/#/events/${event.id}`),
    ]);
    await Promise.all([waitLive(orderPage), waitLive(ordersPage), waitLive(watcher)]);

    await categoryCard(orderPage, seat).getByLabel('Quantity of Seat tickets').fill('2');
    await orderPage.getByTestId('reserve').click();
    await see(orderPage.getByTestId('countdown')).toHaveText(/Hold expires in 0:0\d/);
    const orderId = /#\/orders\/(.+)$/.exec(orderPage.url())![1]!;
    const listed = ordersPage.locator(`[data-testid="order"][data-order-id="${orderId}"]`);
    await see(listed.getByTestId('order-status')).toHaveAttribute('data-status', 'RESERVED');
    await see(categoryCard(watcher, seat).getByTestId('stock-count')).toHaveText('28 of 30 left');
    await shot(ordersPage, '11-my-orders-reserved');

    // 3 s hold: both of the buyer's windows flip without a reload; the tickets go back on sale.
    await see(listed.getByTestId('order-status')).toHaveAttribute('data-status', 'EXPIRED');
    await see(orderPage.getByTestId('order-status')).toHaveAttribute('data-status', 'EXPIRED');
    await see(orderPage.getByTestId('expired')).toBeVisible();
    await see(categoryCard(watcher, seat).getByTestId('stock-count')).toHaveText('30 of 30 left');
    await shot(ordersPage, '12-my-orders-expired');
    await shot(orderPage, '13-order-expired');
  });
});

describe('organizer', () => {
  it('creates an event with categories, edits it and adds a category; watchers see the edit live', async () => {
    // A new organizer registers through the page and lands on the organizer view.
    const page = await openPage();
    await page.goto('/#/login');
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Name').fill('Nora Newcomer');
    await register.getByLabel('Email').fill(`nora-${Date.now()}@example.test`);
    await register.getByLabel('Password').fill('short');
    await register.getByLabel('Account type').selectOption('ORGANIZADOR');
    await register.getByRole('button', { name: 'Create account' }).click();
    await see(register.getByTestId('error')).toHaveAttribute('data-code', 'VALIDATION_ERROR');
    await see(register.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
    await register.getByLabel('Password').fill('Festival2031');
    await register.getByRole('button', { name: 'Create account' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Organizer' })).toBeVisible();
    await see(page.getByTestId('flash')).toContainText('Nora Newcomer');
    await see(page.getByTestId('user-name')).toHaveText('Nora Newcomer');

    const form = page.getByRole('form', { name: 'Create an event' });
    await form.getByLabel('Event name').fill('Summer Festival');
    await form.getByLabel('Description').fill('Three stages, one day.');
    await form.getByLabel('Date and time').fill('2031-07-15T18:30');
    await form.getByLabel('Place', { exact: true }).fill('Parque Central, Sevilla');
    await form.getByLabel('Total capacity').fill('500');
    await form.getByLabel('Base price (€)').fill('40');
    await form.getByLabel('Category name').first().fill('Early bird');
    await form.getByLabel('Price (€)', { exact: true }).first().fill('30');
    await form.getByLabel('Number of tickets').first().fill('600');
    await form.getByLabel('Benefits').first().fill('Cheaper\nFast lane');
    await form.getByTestId('add-category-row').click();
    await form.getByLabel('Category name').nth(1).fill('VIP');
    await form.getByLabel('Price (€)', { exact: true }).nth(1).fill('99.90');
    await form.getByLabel('Number of tickets').nth(1).fill('50');
    await form.getByTestId('create-event').click();

    // 600 + 50 > 500: the server refuses, the page says why.
    await see(form.getByTestId('error')).toHaveAttribute('data-code', 'CAPACITY_EXCEEDED');
    await form.getByLabel('Number of tickets').first().fill('');
    await form.getByTestId('create-event').click();
    await see(form.getByTestId('error')).toHaveAttribute('data-code', 'VALIDATION_ERROR');
    await see(form.getByTestId('error')).toContainText('Category 1, number of tickets: This is required.');
    await see(form.getByLabel('Number of tickets').first()).toHaveAttribute('aria-invalid', 'true');
    await shot(page, '14-organizer-create-validation');
    await form.getByLabel('Number of tickets').first().fill('400');
    await form.getByTestId('create-event').click();

    await see(page.getByTestId('manage-title')).toHaveText('Manage: Summer Festival');
    await see(page.getByTestId('sales-row')).toHaveCount(2);
    const eventId = /#\/organizer\/events\/(.+)$/.exec(page.url())![1]!;

    // A buyer watching the event sees the organizer's edit as it happens.
    const watcher = await openPage();
    await watcher.goto(`/#/events/${eventId}`);
    await waitLive(watcher);
    await see(watcher.getByTestId('event-place')).toHaveText('Parque Central, Sevilla');
    const edit = page.getByRole('form', { name: 'Event details' });
    await edit.getByLabel('Place', { exact: true }).fill('Estadio Olímpico, Sevilla');
    await edit.getByTestId('save-event').click();
    await see(page.getByTestId('event-saved')).toBeVisible();
    await see(watcher.getByTestId('event-place')).toHaveText('Estadio Olímpico, Sevilla');
    await see(watcher.getByTestId('event-updated')).toContainText('place');

    // Add a category: the buyer's page and the chart pick it up.
    const add = page.getByRole('form', { name: 'Add a category' });
    await add.getByLabel('Category name').fill('Family');
    await add.getByLabel('Price (€)', { exact: true }).fill('20');
    await add.getByLabel('Number of tickets').fill('40');
    await add.getByTestId('add-category').click();
    await see(page.getByTestId('sales-row')).toHaveCount(3);
    await see(page.getByTestId('category-form')).toHaveCount(3);
    await see(watcher.getByTestId('category')).toHaveCount(3);
    await shot(page, '15-organizer-manage-event');

    await page.locator('section.sales').screenshot({ path: path.join(SHOTS, '15b-organizer-sales-closeup.png') });

    const token = await page.evaluate(
      () => (globalThis as any).localStorage.getItem('ticketing.token') as string | null,
    );
    const phone = await openPage({ token: token!, mobile: true });
    await phone.goto(`/#/organizer/events/${eventId}`);
    await see(phone.getByTestId('sales-row')).toHaveCount(3);
    await shot(phone, '16-organizer-phone');
    await phone.screenshot({ path: path.join(SHOTS, '16b-organizer-phone-viewport.png') });
  });
});

describe('Socket.IO on its own port (WS_PORT != PORT, as `npm start` runs by default)', () => {
  it('finds it through /api/realtime and still moves the stock bar live', async () => {
    const info = await call(split.url, 'GET', '/api/realtime');
    expect(info.body.wsPort).toEqual(expect.any(Number));
    expect(info.body.wsPort).not.toBe(split.port);
    const event = await createEvent(split, organizer, { nombre: 'Split Ports' }, [
      { nombre: 'Seat', cantidadTotal: 10 },
    ]);
    const seat = event.categorias[0]!.id;
    const page = await openPage({ baseURL: split.url });
    await page.goto(`/#/events/${event.id}`);
    await waitLive(page);
    await see(categoryCard(page, seat).getByTestId('stock-count')).toHaveText('10 of 10 left');
    expect((await reserveByApi(buyer, event.id, seat, 4, split)).status).toBe(201);
    await see(categoryCard(page, seat).getByTestId('stock-count')).toHaveText('6 of 10 left');
  });
});
