/**
 * Tickets at the door, as issue #13's "done when" walks it, in a real Chromium: a buyer buys and
 * pays for 3 tickets and sees three QR codes; the organizer's check-in screen (another window)
 * admits one pasted code and its counts move live; the same code again is refused with the first
 * admission's time; once the order is cancelled, the other two are refused as voided.
 */
import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import { createEvent, createUser } from '../helpers/factories';
import { browserSuite, categoryCard, shot } from './browser';
import { see, seeUrl } from './see';

const problems: string[] = [];
const suite = browserSuite({}, problems);
const openPage = suite.openPage;

async function scan(door: Page, code: string): Promise<void> {
  await door.getByTestId('checkin-code').fill(code);
  await door.getByTestId('checkin-submit').click();
}

it('buy 3 → three QR codes; the door admits one code once, live counts move; cancelled → the others are voided', async () => {
  const { svc, organizer } = suite;
  const event = await createEvent(svc, organizer, { nombre: 'Door Night', capacidadTotal: 100 }, [
    { nombre: 'General', precio: 25, cantidadTotal: 100 },
  ]);
  const general = event.categorias[0]!.id;
  const buyer = await createUser(svc, 'COMPRADOR', 'Bruno Buyer');

  // The buyer buys and pays for 3 tickets in the browser.
  const buyerPage = await openPage(buyer);
  await buyerPage.goto(`/#/events/${event.id}`);
  await categoryCard(buyerPage, general).getByLabel('Quantity of General tickets').fill('3');
  await buyerPage.getByTestId('reserve').click();
  await seeUrl(buyerPage, /#\/orders\/[0-9a-f-]{36}$/);
  await buyerPage.getByTestId('confirm-payment').click();
  await see(buyerPage.getByTestId('confirmed')).toBeVisible();
  await see(buyerPage.getByTestId('ticket')).toHaveCount(3);
  await see(buyerPage.getByTestId('ticket-qr')).toHaveCount(3);
  const codes = (await buyerPage.getByTestId('ticket-code').allTextContents()).map((c) => c.trim());
  expect(new Set(codes).size).toBe(3);
  await shot(buyerPage, 'tickets-01-three-qr-codes');

  // Each QR image is the server's SVG of that ticket's code.
  const qrSources = await buyerPage
    .getByTestId('ticket-qr')
    .evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src') ?? ''));
  expect(qrSources.every((src) => src.startsWith('blob:') || src.startsWith('data:image/svg'))).toBe(true);

  // A code verifies offline with the event's public key, as a scanner would.
  const { clavePublica } = (await svc.api().get(`/api/events/${event.id}/checkin-key`).expect(200)).body;
  const bytes = base32(codes[0]!);
  expect(crypto.verify(null, bytes.subarray(0, 33), clavePublica, bytes.subarray(33, 97))).toBe(true);

  // The organizer's check-in screen, in another window.
  const door = await openPage(organizer);
  await door.goto(`/#/organizer/events/${event.id}/checkin`);
  await see(door.getByTestId('stats-total-issued')).toHaveText('3');
  await see(door.getByTestId('stats-total-admitted')).toHaveText('0');

  await door.getByTestId('checkin-door').fill('North gate');
  await scan(door, codes[0]!);
  await see(door.getByTestId('checkin-result')).toContainText('Admitted: General');
  await see(door.getByTestId('stats-total-admitted')).toHaveText('1');
  await see(door.getByTestId(`stats-${general}-admitted`)).toHaveText('1');
  await shot(door, 'tickets-02-admitted');

  await scan(door, codes[0]!);
  await see(door.getByTestId('checkin-result')).toContainText('Refused: already checked in at');
  await see(door.getByTestId('checkin-result')).toContainText('North gate');
  await see(door.getByTestId('stats-total-admitted')).toHaveText('1');

  // The buyer cancels: the two unused tickets are voided at the door.
  buyerPage.once('dialog', (dialog) => void dialog.accept());
  await buyerPage.getByTestId('cancel-order').click();
  await see(buyerPage.getByTestId('order-status')).toHaveAttribute('data-status', 'CANCELLED');
  for (const code of codes.slice(1)) {
    await scan(door, code);
    await see(door.getByTestId('checkin-result')).toContainText('Refused: this ticket was voided');
  }
  await shot(door, 'tickets-03-voided');
  expect(problems).toEqual([]);
});

/** RFC 4648 base32 without padding, as the codes are written. */
function base32(code: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of code) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
