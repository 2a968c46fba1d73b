import { createEvent, createUser, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectStockInvariants } from './helpers/invariants';
import { spawnService } from './helpers/process';
import { startTestService, testDatabaseUrl, type TestService } from './helpers/service';
import { TcpProxy } from './helpers/tcp-proxy';

/** Requests that never answer would fail this bound; the service itself answers within ~1 s. */
async function timed<T>(work: Promise<T>, label: string, boundMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} hung for ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the database goes away in the middle of traffic', () => {
  const target = new URL(testDatabaseUrl());
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  let svc: TestService;
  let organizer: TestUser;
  let buyer: TestUser;

  beforeAll(async () => {
    await proxy.up();
    svc = await startTestService({
      DATABASE_URL: proxy.urlFor(testDatabaseUrl()),
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_STATEMENT_TIMEOUT_MS: '5000',
      EXPIRY_INTERVAL_MS: '200',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    [organizer, buyer] = await Promise.all([createUser(svc, 'ORGANIZADOR'), createUser(svc)]);
  });
  afterAll(async () => {
    await proxy.up().catch(() => undefined);
    await svc.close();
    await proxy.down();
  });

  it('fails fast with 503 while it is away, and recovers by itself when it returns', async () => {
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
    const category = event.categorias[0]!;
    const buy = () =>
      call(svc.url, 'POST', '/api/orders', {
        token: buyer.token,
        body: { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 1 }] },
      });
    expect((await buy()).status).toBe(201);

    // Traffic in flight while the connection to PostgreSQL is cut.
    const inFlight = Array.from({ length: 20 }, () => buy());
    await proxy.down();
    const during = await timed(Promise.all(inFlight), 'requests in flight during the outage');
    for (const r of during) expect([201, 503]).toContain(r.status);

    const outage = await timed(
      Promise.all([buy(), call(svc.url, 'GET', `/api/events/search?q=${encodeURIComponent(event.nombre)}`), buy()]),
      'requests during the outage',
    );
    for (const r of outage) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('SERVICE_UNAVAILABLE');
    }
    const retryAfter = await fetch(`${svc.url}/api/events/search`);
    expect(retryAfter.status).toBe(503);
    expect(retryAfter.headers.get('retry-after')).toBe('1');
    expect((await call(svc.url, 'GET', '/ready')).status).toBe(503);
    expect((await call(svc.url, 'GET', '/health')).status).toBe(200);

    await new Promise((r) => setTimeout(r, 3000)); // away for several seconds
    await proxy.up();

    const deadline = Date.now() + 20_000;
    while ((await call(svc.url, 'GET', '/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error('service did not recover');
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await buy();
    expect(after.status).toBe(201);
    const sold = 2 + during.filter((r) => r.status === 201).length;
    const [row] = await expectStockInvariants(svc.database.db, event.id);
    // Requests answered 503 may still have committed (the answer was lost, not the work): the
    // ledger balances either way, and at least what was confirmed to the client is held.
    expect(row!.held).toBeGreaterThanOrEqual(sold);
  });
});

describe('graceful shutdown under load', () => {
  it('finishes every request it started, leaves none half-done, then exits 0 (SIGTERM mid-burst)', async () => {
    const svc = await startTestService();
    try {
      const organizer = await createUser(svc, 'ORGANIZADOR');
      const buyers = await Promise.all(Array.from({ length: 20 }, () => createUser(svc)));
      const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 1000 }]);
      const category = event.categorias[0]!;
      const service = await spawnService();

      const outcomes: Array<{ key: string; status?: number; id?: string; error?: string }> = [];
      const send = async (i: number) => {
        const key = `shutdown-${event.id}-${i}`;
        try {
          const res = await fetch(`${service.url}/api/orders`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${buyers[i % buyers.length]!.token}`,
              // One request per connection: a refused connection then means "not accepted".
              connection: 'close',
              'idempotency-key': key,
            },
            body: JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 1 }] }),
          });
          const body = (await res.json()) as { id?: string };
          outcomes.push({ key, status: res.status, id: body.id });
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          outcomes.push({ key, error: cause?.code ?? String(error) });
        }
      };
      const burst = Promise.all(
        Array.from({ length: 300 }, (_, i) => new Promise((r) => setTimeout(r, i)).then(() => send(i))),
      );
      await new Promise((r) => setTimeout(r, 120));
      service.child.kill('SIGTERM');
      await burst;
      expect(await service.exited).toBe(0);

      // A request the service started was finished and answered; one it had not started yet
      // (refused, or reset before its bytes were read) left nothing behind. Nothing is half-done.
      const answered = outcomes.filter((o) => o.status !== undefined);
      const unanswered = outcomes.filter((o) => o.status === undefined);
      expect(outcomes).toHaveLength(300);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((o) => o.status === 201)).toBe(true);
      expect(unanswered.every((o) => o.error === 'ECONNREFUSED' || o.error === 'ECONNRESET')).toBe(true);
      const orders = await svc.database.db
        .selectFrom('orders')
        .select(['id', 'idempotency_key'])
        .where('event_id', '=', event.id)
        .execute();
      const byKey = new Map(orders.map((o) => [o.idempotency_key, o.id]));
      for (const o of answered) expect(byKey.get(o.key)).toBe(o.id);
      for (const o of unanswered) expect(byKey.has(o.key)).toBe(false);
      expect(orders).toHaveLength(answered.length);
      await expectStockInvariants(svc.database.db, event.id);
    } finally {
      await svc.close();
    }
  });
});

describe('draining before shutdown', () => {
  it('answers /ready with 503 during SHUTDOWN_DRAIN_MS while still serving, then exits 0', async () => {
    const service = await spawnService({ SHUTDOWN_DRAIN_MS: '1500' });
    expect((await call(service.url, 'GET', '/ready')).status).toBe(200);
    service.child.kill('SIGTERM');
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i++) {
      ready = (await call(service.url, 'GET', '/ready')).status;
      if (ready === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready).toBe(503);
    // Still serving real traffic while draining.
    expect((await call(service.url, 'GET', '/api/events')).status).toBe(200);
    expect(await service.exited).toBe(0);
  });
});
