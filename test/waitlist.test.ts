import { sql } from 'kysely';
import { WAITLIST_STATUSES } from '../src/shared/domain';
import { waitlistEntries, waitlistEntryResponse, type WaitlistEntryDto } from '../src/modules/waitlist/waitlist.wire';
import { createEvent, createUser, type EventBody, type OrderBody, type TestUser } from './helpers/factories';
import { expectStockInvariants, expectTicketInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, eventually, request } from './helpers/sockets';

/** Waiting lists (API.md, "Fair on-sales" → "Waiting list"): served first, in order, atomically. */
let svc: TestService;
let organizer: TestUser;
beforeAll(async () => {
  svc = await startTestService();
  organizer = await createUser(svc, 'ORGANIZADOR');
});
afterEach(() => closeAllSockets());
afterAll(() => svc.close());

const api = () => svc.api();
const db = () => svc.database.db;

async function soldOutEvent(total: number, overrides: Record<string, unknown> = {}) {
  const event = await createEvent(svc, organizer, { capacidadTotal: total, ...overrides }, [{ cantidadTotal: total }]);
  return { event, categoryId: event.categorias[0]!.id };
}

function buy(user: TestUser, event: EventBody, categoryId: string, cantidad: number) {
  return api()
    .post('/api/orders')
    .set(user.auth)
    .send({ eventoId: event.id, tickets: [{ categoriaId: categoryId, cantidad }] });
}

async function hold(user: TestUser, event: EventBody, categoryId: string, cantidad: number): Promise<OrderBody> {
  const res = await buy(user, event, categoryId, cantidad);
  if (res.status !== 201) throw new Error(`hold failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as OrderBody;
}

function join(user: TestUser, event: EventBody, categoryId: string, cantidad: number) {
  return api().post(`/api/events/${event.id}/categories/${categoryId}/waitlist`).set(user.auth).send({ cantidad });
}

async function entries(user: TestUser): Promise<WaitlistEntryDto[]> {
  const res = await api().get('/api/waitlist/mine').set(user.auth).expect(200);
  return waitlistEntries.parse(res.body);
}

async function expire(orderIds: string[]) {
  await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ANY(${orderIds}::uuid[])`.execute(
    db(),
  );
}

/** What is on sale now, from the buckets (the event endpoint may answer from its short cache). */
async function available(categoryId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT coalesce(sum(available), 0)::int AS n FROM category_stock WHERE category_id = ${categoryId}`.execute(db());
  return rows[0]!.n;
}

async function expectLedger(eventId: string) {
  await expectStockInvariants(db(), eventId);
  await expectTicketInvariants(db(), eventId);
}

describe('joining and leaving a waiting list', () => {
  it('is refused while the category has tickets on sale, then gives places in order; own entries only', async () => {
    const { event, categoryId } = await soldOutEvent(4);
    const [holder, first, second, stranger] = await Promise.all([1, 2, 3, 4].map(() => createUser(svc)));
    await hold(holder!, event, categoryId, 3);

    const early = await join(first!, event, categoryId, 1).expect(409);
    expect(early.body.error).toMatchObject({ code: 'INVALID_STATE', details: { disponible: 1 } });

    await hold(holder!, event, categoryId, 1);
    const a = await join(first!, event, categoryId, 2).expect(201);
    expect(waitlistEntryResponse.parse(a.body)).toMatchObject({
      categoriaId: categoryId,
      cantidad: 2,
      posicion: 1,
      estado: 'EN_ESPERA',
      ordenId: null,
    });
    const b = await join(second!, event, categoryId, 1).expect(201);
    expect(b.body).toMatchObject({ posicion: 2, estado: 'EN_ESPERA' });
    // One waiting entry per buyer and category.
    expect((await join(first!, event, categoryId, 1).expect(409)).body.error.code).toBe('INVALID_STATE');
    // Wrong category of the event, or unknown: 404.
    await api()
      .post(`/api/events/${event.id}/categories/${crypto.randomUUID()}/waitlist`)
      .set(first!.auth)
      .send({ cantidad: 1 })
      .expect(404);
    await join(first!, event, categoryId, 0).expect(400);
    await api().post(`/api/events/${event.id}/categories/${categoryId}/waitlist`).send({ cantidad: 1 }).expect(401);

    // Someone else's entry is answered like a missing one.
    await api().delete(`/api/waitlist/${a.body.id}`).set(stranger!.auth).expect(404);
    const left = await api().delete(`/api/waitlist/${a.body.id}`).set(first!.auth).expect(200);
    expect(waitlistEntryResponse.parse(left.body)).toMatchObject({ estado: 'CANCELADO', posicion: null });
    await api().delete(`/api/waitlist/${a.body.id}`).set(first!.auth).expect(409);
    // The second moves up.
    expect((await entries(second!))[0]).toMatchObject({ id: b.body.id, posicion: 1, eventoId: event.id });
    expect((await entries(first!)).map((e) => e.estado)).toEqual(['CANCELADO']);
  });

  it('refuses more tickets than maxPorComprador allows', async () => {
    const { event, categoryId } = await soldOutEvent(2, { maxPorComprador: 2 });
    const [holder, buyer] = await Promise.all([createUser(svc), createUser(svc)]);
    await hold(holder!, event, categoryId, 2);
    const res = await join(buyer!, event, categoryId, 3).expect(409);
    expect(res.body.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { maxPorComprador: 2, solicitadas: 3 } });
  });
});

describe('freed tickets go to the waiting list first', () => {
  it('parallel releases (expiry and cancellations) serve entries in order; outside buyers racing get nothing', async () => {
    // 100 tickets over 4 buckets, all held in orders of 2.
    const { event, categoryId } = await soldOutEvent(100);
    const holders = await Promise.all(Array.from({ length: 5 }, () => createUser(svc)));
    const orders: OrderBody[] = [];
    for (const h of holders) for (let i = 0; i < 10; i++) orders.push(await hold(h, event, categoryId, 2));

    const waiters = await Promise.all(Array.from({ length: 8 }, () => createUser(svc)));
    const joined: WaitlistEntryDto[] = [];
    for (const w of waiters) joined.push((await join(w, event, categoryId, 2).expect(201)).body);
    expect(joined.map((e) => e.posicion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // 6 orders of 2 are freed at once: 3 run out (two expiry runs race for them), 3 are cancelled
    // by their buyers; meanwhile 20 buyers who are not on the list keep trying to buy.
    const outsiders = await Promise.all(Array.from({ length: 20 }, () => createUser(svc)));
    const toExpire = orders.slice(0, 3);
    const toCancel = orders.slice(3, 6);
    await expire(toExpire.map((o) => o.id));
    let releasing = true;
    const outsideAttempts: number[] = [];
    const racing = outsiders.map(async (o) => {
      while (releasing) outsideAttempts.push((await buy(o, event, categoryId, 1)).status);
    });
    const owner = (order: OrderBody) => holders[Math.floor(orders.indexOf(order) / 10)]!;
    await Promise.all([
      svc.expiryJob.runOnce(),
      svc.expiryJob.runOnce(),
      ...toCancel.map((o) => api().put(`/api/orders/${o.id}/cancel`).set(owner(o).auth).expect(200)),
    ]);
    // A few more rounds after the releases committed: still nothing for outsiders.
    await new Promise((r) => setTimeout(r, 200));
    releasing = false;
    await Promise.all(racing);

    expect(outsideAttempts.length).toBeGreaterThan(20);
    expect(outsideAttempts.filter((s) => s !== 409)).toEqual([]);
    const outsideOrders = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM orders WHERE event_id = ${event.id}
        AND user_id = ANY(${outsiders.map((o) => o.id)}::uuid[])`.execute(db());
    expect(outsideOrders.rows[0]!.n).toBe(0);

    // The first six entries, in list order, were offered a RESERVED order of 2; the last two wait.
    const states = await Promise.all(waiters.map(async (w) => (await entries(w))[0]!));
    expect(states.map((e) => e.estado)).toEqual([...Array(6).fill('OFERTADO'), 'EN_ESPERA', 'EN_ESPERA']);
    expect(states.slice(6).map((e) => e.posicion)).toEqual([1, 2]);
    for (const [i, entry] of states.slice(0, 6).entries()) {
      const order = await api().get(`/api/orders/${entry.ordenId}`).set(waiters[i]!.auth).expect(200);
      expect(order.body).toMatchObject({ estado: 'RESERVED', eventoId: event.id });
      expect(order.body.tickets).toEqual([expect.objectContaining({ categoriaId: categoryId, cantidad: 2 })]);
    }
    expect(await available(categoryId)).toBe(0);
    await expectLedger(event.id);
  });

  it('serves the first entry that fits, with tickets left over from earlier releases', async () => {
    const { event, categoryId } = await soldOutEvent(6);
    const holder = await createUser(svc);
    const held = [await hold(holder, event, categoryId, 2), await hold(holder, event, categoryId, 2)];
    await hold(holder, event, categoryId, 2);
    const [big, small] = await Promise.all([createUser(svc), createUser(svc)]);
    await join(big, event, categoryId, 3).expect(201);
    await join(small, event, categoryId, 1).expect(201);

    // 2 freed: the entry of 3 does not fit, the entry of 1 does; 1 ticket is left on sale.
    await api().put(`/api/orders/${held[0]!.id}/cancel`).set(holder.auth).expect(200);
    expect((await entries(small))[0]).toMatchObject({ estado: 'OFERTADO' });
    expect((await entries(big))[0]).toMatchObject({ estado: 'EN_ESPERA', posicion: 1 });
    expect(await available(categoryId)).toBe(1);

    // 2 more freed: with the one left over, the entry of 3 now fits.
    await api().put(`/api/orders/${held[1]!.id}/cancel`).set(holder.auth).expect(200);
    const offered = (await entries(big))[0]!;
    expect(offered).toMatchObject({ estado: 'OFERTADO', posicion: null });
    const order = await api().get(`/api/orders/${offered.ordenId}`).set(big.auth).expect(200);
    expect(order.body.tickets[0].cantidad).toBe(3);
    expect(await available(categoryId)).toBe(0);
    await expectLedger(event.id);
  });

  it('pushes the offer live; an offer that expires passes to the next entry; a paid offer issues tickets', async () => {
    const { event, categoryId } = await soldOutEvent(2);
    const holder = await createUser(svc);
    const held = await hold(holder, event, categoryId, 2);
    const [first, second] = await Promise.all([createUser(svc), createUser(svc)]);
    await join(first, event, categoryId, 2).expect(201);
    await join(second, event, categoryId, 2).expect(201);
    const sockets = await Promise.all([first, second].map((u) => connect(svc.url, u.token)));
    for (const [i, u] of [first, second].entries())
      expect(await request(sockets[i]!, 'join:user', { userId: u.id })).toEqual({ ok: true });
    const firstSeen = collect(sockets[0]!, 'order:status-change');
    const secondSeen = collect(sockets[1]!, 'order:status-change');

    await expire([held.id]);
    await svc.expiryJob.runOnce();
    const offer = (await entries(first))[0]!;
    expect(offer.estado).toBe('OFERTADO');
    await eventually(() => firstSeen.length > 0, 'the first buyer hears of the offer');
    expect(firstSeen[0]).toMatchObject({ orderId: offer.ordenId, nuevoEstado: 'RESERVED' });

    // The first buyer lets the offer run out: it passes to the second, in the same transaction.
    await expire([offer.ordenId!]);
    await svc.expiryJob.runOnce();
    expect((await entries(first))[0]).toMatchObject({ estado: 'EXPIRADO', ordenId: offer.ordenId });
    const next = (await entries(second))[0]!;
    expect(next.estado).toBe('OFERTADO');
    await eventually(() => secondSeen.some((m) => m.orderId === next.ordenId), 'the second buyer hears of it');
    await eventually(
      () => firstSeen.some((m) => m.orderId === offer.ordenId && m.nuevoEstado === 'EXPIRED'),
      'the first buyer hears the offer expired',
    );
    await expectLedger(event.id);

    // The second pays: tickets are issued as for any order.
    await api()
      .put(`/api/orders/${next.ordenId}/confirm`)
      .set(second.auth)
      .send({ metodoPago: 'card', transactionId: `wl-${next.ordenId}` })
      .expect(200);
    const tickets = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM tickets WHERE order_id = ${next.ordenId} AND status = 'VALIDO'`.execute(db());
    expect(tickets.rows[0]!.n).toBe(2);
    await expectLedger(event.id);
  });

  it('skips an entry whose buyer would pass maxPorComprador; a cancelled offer becomes CANCELADO', async () => {
    const { event, categoryId } = await soldOutEvent(4, { maxPorComprador: 2 });
    const [holder, greedy, fair] = await Promise.all([createUser(svc), createUser(svc), createUser(svc)]);
    const held = await hold(holder, event, categoryId, 2);
    await hold(greedy, event, categoryId, 2);
    await join(greedy, event, categoryId, 2).expect(201);
    await join(fair, event, categoryId, 2).expect(201);

    await api().put(`/api/orders/${held.id}/cancel`).set(holder.auth).expect(200);
    expect((await entries(greedy))[0]).toMatchObject({ estado: 'EN_ESPERA', posicion: 1 });
    const offer = (await entries(fair))[0]!;
    expect(offer.estado).toBe('OFERTADO');

    // Cancelling the offered order ends the entry; the tickets go to the next that fits (none).
    await api().put(`/api/orders/${offer.ordenId}/cancel`).set(fair.auth).expect(200);
    expect((await entries(fair))[0]).toMatchObject({ estado: 'CANCELADO' });
    expect((await entries(greedy))[0]).toMatchObject({ estado: 'EN_ESPERA' });
    expect(await available(categoryId)).toBe(2);
    await expectLedger(event.id);
  });

  it('joins racing a release never leave an entry waiting while its tickets are on sale', async () => {
    for (let round = 0; round < 5; round++) {
      const { event, categoryId } = await soldOutEvent(2);
      const holder = await createUser(svc);
      const held = await hold(holder, event, categoryId, 2);
      const joiners = await Promise.all(Array.from({ length: 6 }, () => createUser(svc)));
      const [, ...joins] = await Promise.all([
        api().put(`/api/orders/${held.id}/cancel`).set(holder.auth).expect(200),
        ...joiners.map((j) => join(j, event, categoryId, 1)),
      ]);
      for (const res of joins) expect([201, 409]).toContain(res.status);
      const onSale = await available(categoryId);
      const waiting = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM waitlist_entries WHERE category_id = ${categoryId} AND status = 'EN_ESPERA'`.execute(
        db(),
      );
      // Either the tickets went to entries, or nobody is left waiting while they are on sale.
      expect(onSale === 0 || waiting.rows[0]!.n === 0).toBe(true);
      await expectLedger(event.id);
    }
  });
});

describe('waiting-list statuses', () => {
  it('are the PostgreSQL enum waitlist_status, in the same order', async () => {
    const { rows } = await sql<{ value: string }>`
      SELECT e.enumlabel AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
      WHERE t.typname = 'waitlist_status' ORDER BY e.enumsortorder`.execute(db());
    expect(rows.map((r) => r.value)).toEqual([...WAITLIST_STATUSES]);
  });
});
