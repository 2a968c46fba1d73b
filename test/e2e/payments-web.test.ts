/**
 * The web client's payment step with PAYMENT_PROVIDER=stripe, in Debian's Chromium against the
 * real service and the fake Stripe. Stripe.js itself is never loaded: the page explains that card
 * entry needs it, starts the payment, and follows Stripe's confirmation live.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createEvent, createUser } from '../helpers/factories';
import { deliver, startStripeStack, type StripeStack } from '../helpers/payments';
import { reserveOne } from '../helpers/api';
import { see } from './see';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let stack: StripeStack;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(path.resolve(__dirname, '../../web/dist/app.js')))
    throw new Error('run `npm run build:web` first');
  [stack, browser] = await Promise.all([
    startStripeStack(),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] }),
  ]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

it('with Stripe, explains that card entry needs Stripe.js, starts the payment and shows the webhook confirmation live', async () => {
  const buyer = await createUser(stack.svc);
  const event = await createEvent(stack.svc, await createUser(stack.svc, 'ORGANIZADOR'));
  const order = await reserveOne(stack.svc, buyer, event, 2);

  const context = await browser.newContext({ baseURL: stack.svc.url });
  await context.addInitScript((t) => (globalThis as any).localStorage.setItem('ticketing.token', t), buyer.token);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`/#/orders/${order.id}`);

  await see(page.getByTestId('stripe-needed')).toContainText('Stripe.js');
  expect(await page.getByTestId('transaction-id').count()).toBe(0); // no "type any reference" form
  await page.getByTestId('start-card-payment').click();
  await see(page.getByTestId('stripe-intent')).toContainText('pi_');
  const intent = [...stack.fake.intents.values()].find((i) => i.metadata.orderId === order.id)!;
  await see(page.getByTestId('stripe-intent')).toContainText(intent.id);

  stack.fake.authorize(intent.id);
  expect((await deliver(stack, 'payment_intent.amount_capturable_updated', intent.id)).status).toBe(200);
  await see(page.getByTestId('confirmed')).toBeVisible();
  expect(problems).toEqual([]);
  await context.close();
});
