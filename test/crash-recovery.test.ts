import { sql } from 'kysely';
import { createEvent, createUser, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectStockInvariants } from './helpers/invariants';
import { spawnService, type ServiceProcess } from './helpers/process';
import { startTestService, type TestService } from './helpers/service';

/**
 * The process dies (SIGKILL: no shutdown hooks, connections cut mid-transaction) in the middle
 * of a flash sale. After a restart, every order whose confirmation was answered 200 is intact,
 * the ledger balances, and the holds left behind expire on schedule.
 */
let svc: TestService;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  svc = await startTestService({ EXPIRY_INTERVAL_MS: '60000' });
});
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await svc.close();
});

it('keeps every confirmed order and a balanced ledger when the process is killed mid-burst', async () => {
  const organizer = await createUser(svc, 'ORGANIZADOR');
  const buyers: TestUser[] = await Promise.all(Array.from({ length: 30 }, () => createUser(svc)));
  const event = await createEvent(svc, organizer, {}, [{ nombre: 'Crash', cantidadTotal: 150 }]);
  const category = event.categorias[0]!;

  // 6 s holds: long enough that a loaded machine still confirms the 25 orders before the kill,
  // short enough that what the crash leaves RESERVED expires soon after the restart.
  const first = await spawnService({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.1' });
  processes.push(first);

  const confirmed = new Map<string, string>(); // order id -> transactionId answered 200
  let killed = false;
  const buy = async (i: number) => {
    const user = buyers[i % buyers.length]!;
    try {
      const order = await call(first.url, 'POST', '/api/orders', {
        token: user.token,
        body: { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 1 + (i % 2) }] },
      });
      if (order.status !== 201) return;
      const transactionId = `crash-${event.id}-${i}`;
      const res = await call(first.url, 'PUT', `/api/orders/${order.body.id}/confirm`, {
        token: user.token,
        body: { metodoPago: 'card', transactionId },
      });
      if (res.status === 200) confirmed.set(order.body.id, transactionId);
      if (confirmed.size >= 25 && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    } catch {
      // Connection refused or reset: the process is gone, as intended.
    }
  };
  await Promise.all(Array.from({ length: 200 }, (_, i) => buy(i)));
  if (!killed) first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  expect(confirmed.size).toBeGreaterThanOrEqual(25);

  // The database is consistent at once, before anything restarts.
  await expectStockInvariants(svc.database.db, event.id);

  const second = await spawnService({ EXPIRY_INTERVAL_MS: '200' });
  processes.push(second);

  const { rows } = await sql<{ id: string; status: string; transaction_id: string | null }>`
    SELECT id, status, transaction_id FROM orders WHERE event_id = ${event.id}`.execute(svc.database.db);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [orderId, transactionId] of confirmed) {
    expect(byId.get(orderId)).toMatchObject({ status: 'CONFIRMED', transaction_id: transactionId });
  }

  // The restarted instance releases what the dead one left on hold.
  const deadline = Date.now() + 15_000;
  let ledger = await expectStockInvariants(svc.database.db, event.id);
  while (ledger[0]!.held > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    ledger = await expectStockInvariants(svc.database.db, event.id);
  }
  expect(ledger[0]!.held).toBe(0);
  const soldInDb = rows.filter((r) => r.status === 'CONFIRMED').length;
  expect(soldInDb).toBeGreaterThanOrEqual(confirmed.size);

  const stock = await call(second.url, 'GET', `/api/events/${event.id}`);
  expect(stock.body.categorias[0].disponible).toBe(ledger[0]!.available);

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
});
