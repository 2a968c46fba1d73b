/**
 * The waiting list on a sold-out category and the virtual queue's waiting room, in a real
 * Chromium: the entry's state and the queue position move live, and an admitted buyer buys.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { createEvent, createUser } from '../helpers/factories';
import { browserSuite, SHOTS } from './browser';
import { see, seeUrl } from './see';

// One admission a second: the positions visibly count down.
const suite = browserSuite({ QUEUE_ADMIT_PER_SECOND: '1' });
const openPage = suite.openPage;

it('a sold-out category offers the waiting list; a freed hold reaches the waiting buyer live', async () => {
  const { svc, organizer } = suite;
  const event = await createEvent(svc, organizer, { nombre: 'Tiny Club', capacidadTotal: 2 }, [
    { nombre: 'Only', precio: 20, cantidadTotal: 2 },
  ]);
  const categoryId = event.categorias[0]!.id;
  const holder = await createUser(svc);
  const held = await svc
    .api()
    .post('/api/orders')
    .set(holder.auth)
    .send({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad: 2 }] })
    .expect(201);

  const buyer = await createUser(svc, 'COMPRADOR', 'Wanda Waiting');
  const page = await openPage(buyer);
  await page.goto(`/#/events/${event.id}`);
  const waitlist = page.getByTestId('waitlist');
  await see(waitlist).toBeVisible();
  await waitlist.getByTestId('waitlist-quantity').fill('2');
  await waitlist.getByTestId('waitlist-join').click();
  await see(waitlist.getByTestId('waitlist-state')).toContainText('number 1 on the waiting list for 2 tickets');
  await page.screenshot({ path: path.join(SHOTS, 'waitlist-01-waiting.png'), fullPage: true });

  // The hold runs out: the tickets go to the waiting buyer, whose page changes without a reload.
  await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${held.body.id}`.execute(
    svc.database.db,
  );
  await svc.expiryJob.runOnce();
  await see(waitlist).toHaveAttribute('data-state', 'OFERTADO');
  await see(waitlist.getByTestId('waitlist-state')).toContainText('an order is reserved in your name');
  await page.screenshot({ path: path.join(SHOTS, 'waitlist-02-offered.png'), fullPage: true });
  await waitlist.getByTestId('waitlist-order').click();
  await seeUrl(page, /#\/orders\/[0-9a-f-]{36}$/);
});

it('a colaVirtual event shows the queue with a live position, then the ticket form; the purchase sends the token', async () => {
  const { svc, organizer } = suite;
  const event = await createEvent(svc, organizer, { nombre: 'Queue Night', colaVirtual: true }, [
    { nombre: 'General', precio: 30, cantidadTotal: 50 },
  ]);
  // Admission waits for this test to let it go.
  await svc.admissionJob.stop();
  const ahead = await createUser(svc);
  await svc.api().post(`/api/events/${event.id}/queue`).set(ahead.auth).expect(201);

  const buyer = await createUser(svc, 'COMPRADOR', 'Quinn Queue');
  const page = await openPage(buyer);
  await page.goto(`/#/events/${event.id}`);
  const queue = page.getByTestId('queue');
  await see(queue.getByTestId('queue-state')).toContainText('number 2 in the queue');
  await see(page.getByTestId('reserve')).toHaveCount(1);
  expect(await page.getByTestId('reserve').isVisible()).toBe(false);
  await page.screenshot({ path: path.join(SHOTS, 'queue-01-waiting.png'), fullPage: true });

  svc.admissionJob.start();
  await see(queue, 15_000).toHaveAttribute('data-position', '1');
  await see(queue.getByTestId('queue-state'), 15_000).toContainText('It is your turn');
  await see(page.getByTestId('reserve')).toBeVisible();
  await page.screenshot({ path: path.join(SHOTS, 'queue-02-admitted.png'), fullPage: true });

  await page.getByLabel('Quantity of General tickets').fill('2');
  await page.getByTestId('reserve').click();
  await seeUrl(page, /#\/orders\/[0-9a-f-]{36}$/);
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM orders WHERE event_id = ${event.id} AND user_id = ${buyer.id}`.execute(
    svc.database.db,
  );
  expect(rows[0]!.n).toBe(1);
});
