import { sql } from 'kysely';
import { createEvent, createUser, type TestUser } from './helpers/factories';
import { line, placeOrder } from './helpers/api';
import { call } from './helpers/http';
import { expectStockInvariants, expectTicketInvariants } from './helpers/invariants';
import { pause } from './helpers/wait';
import { startTestService, type TestService } from './helpers/service';
import { buyConfirmed, scan, ticketsOf } from './helpers/tickets';

/**
 * Tickets follow the order's status under any interleaving: real parallel confirmations,
 * cancellations, expiries and scans, then the ledger in PostgreSQL is checked.
 */
let svc: TestService;
let organizer: TestUser;
let buyers: TestUser[];

beforeAll(async () => {
  svc = await startTestService({ DB_CONNECT_TIMEOUT_MS: '20000', EXPIRY_INTERVAL_MS: '60000' });
  organizer = await createUser(svc, 'ORGANIZADOR');
  buyers = await Promise.all(Array.from({ length: 20 }, () => createUser(svc)));
});
afterAll(() => svc.close());

describe('tickets under races', () => {
  it('confirm vs cancel vs expiry: tickets issued = tickets sold, no valid ticket of an order not confirmed', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 300 }, { cantidadTotal: 300 }]);
    const holds = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const user = buyers[i % buyers.length]!;
        const res = await placeOrder(svc, user, {
          eventoId: event.id,
          tickets: [line(event.categorias[0]!, 2), line(event.categorias[1]!, 1)],
        });
        expect(res.status).toBe(201);
        return { user, id: res.body.id as string };
      }),
    );
    await sql`UPDATE orders SET expires_at = clock_timestamp() + (random() * interval '80 milliseconds')
              WHERE event_id = ${event.id}`.execute(svc.database.db);
    const answers = await Promise.all([
      ...holds.map((h, i) =>
        pause(i % 7).then(() =>
          call(svc.url, 'PUT', `/api/orders/${h.id}/confirm`, {
            token: h.user.token,
            body: { metodoPago: 'card', transactionId: `race-${h.id}` },
          }),
        ),
      ),
      ...holds.map((h, i) =>
        pause((i * 3) % 11).then(() => call(svc.url, 'PUT', `/api/orders/${h.id}/cancel`, { token: h.user.token })),
      ),
      (async () => {
        for (let i = 0; i < 10; i++) {
          await svc.expiryJob.runOnce();
          await pause(10);
        }
        return { status: 200, body: null };
      })(),
    ]);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    await pause(100);
    await svc.expiryJob.runOnce();

    // A confirmation answered 200 issued its 3 tickets (voided since if a cancellation won later).
    const { rows } = await sql<{ order_id: string; n: number }>`
      SELECT order_id, count(*)::int AS n FROM tickets WHERE event_id = ${event.id} GROUP BY order_id`.execute(
      svc.database.db,
    );
    const issued = new Map(rows.map((r) => [r.order_id, r.n]));
    holds.forEach((h, i) => {
      if (answers[i]!.status === 200)
        expect({ order: h.id, tickets: issued.get(h.id) }).toEqual({ order: h.id, tickets: 3 });
    });
    await expectTicketInvariants(svc.database.db, event.id);
    await expectStockInvariants(svc.database.db, event.id);
    for (const h of holds) {
      const order = await call(svc.url, 'GET', `/api/orders/${h.id}`, { token: h.user.token });
      const tickets = await ticketsOf(svc, h.user, h.id);
      expect({ estado: order.body.estado, tickets: tickets.length }).toEqual({
        estado: order.body.estado,
        tickets: order.body.estado === 'CONFIRMED' ? 3 : 0,
      });
    }
  });

  it('scans racing the order’s cancellation: each ticket is admitted at most once and ends voided', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
    const orders = await Promise.all(buyers.slice(0, 10).map((b) => buyConfirmed(svc, b, event, [3])));
    const tickets = (await Promise.all(orders.map((o, i) => ticketsOf(svc, buyers[i]!, o.id)))).flat();
    const answers = await Promise.all([
      ...tickets.flatMap((t) => [1, 2].map((door) => scan(svc, organizer.token, event.id, t.codigo, `door-${door}`))),
      ...orders.map((o, i) =>
        pause(i).then(() => call(svc.url, 'PUT', `/api/orders/${o.id}/cancel`, { token: buyers[i]!.token })),
      ),
    ]);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const scans = answers.slice(0, tickets.length * 2);
    for (let i = 0; i < tickets.length; i++) {
      const pair = [scans[2 * i]!, scans[2 * i + 1]!];
      expect(pair.filter((a) => a.status === 200).length).toBeLessThanOrEqual(1);
      for (const a of pair.filter((x) => x.status !== 200))
        expect(['ALREADY_CHECKED_IN', 'TICKET_REVOKED']).toContain(a.body.error.code);
    }
    const { rows } = await sql<{
      status: string;
    }>`SELECT DISTINCT status FROM tickets WHERE event_id = ${event.id}`.execute(svc.database.db);
    expect(rows).toEqual([{ status: 'ANULADO' }]);
    await expectTicketInvariants(svc.database.db, event.id);
  });
});
