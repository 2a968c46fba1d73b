import { sql } from 'kysely';
import { AdmissionTokens } from '../src/modules/queue/admission-tokens';
import { queueTurnResponse, type QueueTurnDto } from '../src/modules/queue/queue.wire';
import type { QueueAdmitted, QueuePosition } from '../src/modules/realtime/realtime.wire';
import { QUEUE_TURN_STATUSES } from '../src/shared/domain';
import { createEvent, createUser, futureDate, type EventBody, type TestUser } from './helpers/factories';
import { expectStockInvariants, expectTicketInvariants } from './helpers/invariants';
import { startTestService, TEST_JWT_SECRET, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, eventually, request } from './helpers/sockets';

/** The virtual queue (API.md, "Fair on-sales" → "Virtual queue"). */
// Every instance runs an admitter: each test closes its own, so none admits another test's queue.
const services: TestService[] = [];
afterEach(async () => {
  closeAllSockets();
  await Promise.all(services.splice(0).map((s) => s.close()));
});
async function start(env: Record<string, string> = {}): Promise<TestService> {
  const s = await startTestService(env);
  services.push(s);
  return s;
}

const tokens = new AdmissionTokens(TEST_JWT_SECRET);

function joinQueue(svc: TestService, user: TestUser, event: EventBody) {
  return svc.api().post(`/api/events/${event.id}/queue`).set(user.auth);
}

function buy(svc: TestService, user: TestUser, event: EventBody, token?: string) {
  const req = svc.api().post('/api/orders').set(user.auth);
  if (token !== undefined) req.set('Queue-Token', token);
  return req.send({ eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] });
}

async function listen(svc: TestService, user: TestUser) {
  const socket = await connect(svc.url, user.token);
  expect(await request(socket, 'join:user', { userId: user.id })).toEqual({ ok: true });
  return {
    socket,
    admitted: collect(socket, 'queue:admitted') as QueueAdmitted[],
    positions: collect(socket, 'queue:position') as QueuePosition[],
  };
}

describe('virtual queue: joining and the Queue-Token', () => {
  it('colaVirtual is set on create and update and shown on the event', async () => {
    const svc = await start();
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const plain = await createEvent(svc, organizer);
    expect(plain.colaVirtual).toBe(false);
    const queued = await createEvent(svc, organizer, { colaVirtual: true });
    expect(queued.colaVirtual).toBe(true);
    const edited = await svc.api().put(`/api/events/${plain.id}`).set(organizer.auth).send({ colaVirtual: true });
    expect(edited.status).toBe(200);
    expect((await svc.api().get(`/api/events/${plain.id}`)).body.colaVirtual).toBe(true);
  });

  it('joins once per buyer and event; buying needs a valid token of this buyer and event (403 QUEUE_REQUIRED)', async () => {
    // Admission paused for this test: nobody is admitted while we look at the queue.
    const svc = await start({ QUEUE_ADMIT_PER_SECOND: '1' });
    await svc.admissionJob.stop();
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const event = await createEvent(svc, organizer, { colaVirtual: true });
    const other = await createEvent(svc, organizer, { colaVirtual: true });
    const plain = await createEvent(svc, organizer);
    const [buyer, stranger] = await Promise.all([createUser(svc), createUser(svc)]);

    const first = await joinQueue(svc, buyer, event).expect(201);
    const turn: QueueTurnDto = queueTurnResponse.parse(first.body);
    expect(turn).toMatchObject({ posicion: 1, estado: 'ESPERANDO', agotado: false, token: null, expiraEn: null });
    expect((await joinQueue(svc, buyer, event).expect(201)).body).toEqual(turn);
    expect((await joinQueue(svc, stranger, event).expect(201)).body.posicion).toBe(2);
    expect((await joinQueue(svc, buyer, plain).expect(409)).body.error.code).toBe('INVALID_STATE');
    await svc.api().post(`/api/events/${crypto.randomUUID()}/queue`).set(buyer.auth).expect(404);
    await svc.api().post(`/api/events/${event.id}/queue`).expect(401);

    const expiresAt = new Date(Date.now() + 60_000);
    const valid = tokens.sign({ turnId: turn.turnoId, userId: buyer.id, eventId: event.id, expiresAt });
    const refused = async (token?: string) => {
      const res = await buy(svc, buyer, event, token);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'QUEUE_REQUIRED' });
    };
    await refused();
    await refused('not-a-token');
    await refused(valid.slice(0, -2) + (valid.endsWith('AA') ? 'BB' : 'AA')); // forged signature
    await refused(tokens.sign({ turnId: turn.turnoId, userId: stranger.id, eventId: event.id, expiresAt })); // another buyer's
    await refused(tokens.sign({ turnId: turn.turnoId, userId: buyer.id, eventId: other.id, expiresAt })); // another event's
    await refused(
      tokens.sign({
        turnId: turn.turnoId,
        userId: buyer.id,
        eventId: event.id,
        expiresAt: new Date(Date.now() - 1000),
      }),
    ); // expired
    await refused(
      new AdmissionTokens('another-secret-that-is-long-enough-0123456789').sign({
        turnId: turn.turnoId,
        userId: buyer.id,
        eventId: event.id,
        expiresAt,
      }),
    );
    // A plain event needs no token; a queued one sells with a valid token.
    await buy(svc, buyer, plain).expect(201);
    const order = await buy(svc, buyer, event, valid).expect(201);
    expect(order.body.eventoId).toBe(event.id);
    await expectStockInvariants(svc.database.db, event.id);
  });

  it('gives early joiners random places, ahead of everyone who joins once sales are open', async () => {
    const svc = await start({ QUEUE_ADMIT_PER_SECOND: '1' });
    await svc.admissionJob.stop();
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const opensAt = new Date(Date.now() + 60_000).toISOString();
    const event = await createEvent(svc, organizer, { colaVirtual: true }, [{ cantidadTotal: 50 }]);
    await svc
      .api()
      .put(`/api/events/${event.id}/categories/${event.categorias[0]!.id}`)
      .set(organizer.auth)
      .send({ ventaInicio: opensAt, ventaFin: futureDate(20) })
      .expect(200);
    const early = await Promise.all(Array.from({ length: 20 }, () => createUser(svc)));
    const earlyTurns: QueueTurnDto[] = [];
    for (const u of early) earlyTurns.push((await joinQueue(svc, u, event).expect(201)).body);
    // Each joined into a random place among those already there.
    for (const [i, t] of earlyTurns.entries()) expect(t.posicion).toBeLessThanOrEqual(i + 1);
    const places = async (users: TestUser[]) => {
      const { rows } = await sql<{ user_id: string; place: number }>`
        SELECT user_id, place FROM queue_turns WHERE event_id = ${event.id}`.execute(svc.database.db);
      const byUser = new Map(rows.map((r) => [r.user_id, r.place]));
      return users.map((u) => byUser.get(u.id)!);
    };
    const earlyPlaces = await places(early);
    expect([...earlyPlaces].sort((a, b) => a - b)).not.toEqual(earlyPlaces); // not arrival order (1 in 20! by chance)

    // Sales open: later joiners queue in arrival order, behind every early joiner.
    await sql`UPDATE ticket_categories SET sales_start = now() - interval '1 second' WHERE id = ${event.categorias[0]!.id}`.execute(
      svc.database.db,
    );
    const late = await Promise.all(Array.from({ length: 3 }, () => createUser(svc)));
    const lateTurns: QueueTurnDto[] = [];
    for (const u of late) lateTurns.push((await joinQueue(svc, u, event).expect(201)).body);
    expect(lateTurns.map((t) => t.posicion)).toEqual([21, 22, 23]);
    const latePlaces = await places(late);
    expect(Math.min(...latePlaces)).toBeGreaterThan(Math.max(...earlyPlaces));
    expect([...latePlaces].sort((a, b) => a - b)).toEqual(latePlaces);

    // The admitter takes them in that order, one per tick here.
    for (let i = 0; i < 23; i++) {
      await sql`UPDATE queue_state SET credit = 1, ticked_at = clock_timestamp() WHERE event_id = ${event.id}`.execute(
        svc.database.db,
      );
      await svc.admissionJob.runOnce();
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM queue_turns WHERE event_id = ${event.id} AND status = 'ADMITIDO'`.execute(
        svc.database.db,
      );
      expect(rows[0]!.n).toBe(i + 1);
    }
    const { rows } = await sql<{ user_id: string }>`
      SELECT user_id FROM queue_turns WHERE event_id = ${event.id} ORDER BY admitted_at, place`.execute(
      svc.database.db,
    );
    const expected = [...early.map((u, i) => ({ u, p: earlyPlaces[i]! }))].sort((a, b) => a.p - b.p).map((x) => x.u.id);
    expect(rows.map((r) => r.user_id)).toEqual([...expected, ...late.map((u) => u.id)]);
  });

  it('stops admitting when the event is sold out and tells those waiting (posicion 0, agotado)', async () => {
    const svc = await start();
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const event = await createEvent(svc, organizer, { colaVirtual: true }, [{ cantidadTotal: 1 }]);
    const owner = await createUser(svc);
    const ownerToken = tokens.sign({
      turnId: crypto.randomUUID(),
      userId: owner.id,
      eventId: event.id,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const order = await buy(svc, owner, event, ownerToken).expect(201);
    await svc
      .api()
      .put(`/api/orders/${order.body.id}/confirm`)
      .set(owner.auth)
      .send({ metodoPago: 'card', transactionId: `q-${order.body.id}` })
      .expect(200);

    const waiting = await Promise.all(Array.from({ length: 3 }, () => createUser(svc)));
    const listeners = await Promise.all(waiting.map((u) => listen(svc, u)));
    for (const u of waiting) await joinQueue(svc, u, event).expect(201);
    await eventually(
      () => listeners.every((l) => l.positions.some((p) => p.agotado === true)),
      'every waiting buyer is told the event sold out',
    );
    for (const l of listeners) {
      expect(l.admitted).toEqual([]);
      expect(l.positions.find((p) => p.agotado)).toMatchObject({ eventoId: event.id, posicion: 0, agotado: true });
    }
    const again = await joinQueue(svc, waiting[0]!, event).expect(201);
    expect(again.body).toMatchObject({ estado: 'AGOTADO', agotado: true, posicion: 0, token: null });
    await expectTicketInvariants(svc.database.db, event.id);

    // The ticket comes back: those told "sold out" queue again in their places and are admitted.
    await svc.api().put(`/api/orders/${order.body.id}/cancel`).set(owner.auth).expect(200);
    await eventually(() => listeners.some((l) => l.admitted.length > 0), 'a buyer told "sold out" is admitted');
    const admittedBuyer = waiting[listeners.findIndex((l) => l.admitted.length > 0)]!;
    const admission = listeners.find((l) => l.admitted.length > 0)!.admitted[0]!;
    await buy(svc, admittedBuyer, event, admission.token).expect(201);
    await expectTicketInvariants(svc.database.db, event.id);
  });

  it('queue_turn_status is the PostgreSQL enum, in order', async () => {
    const svc = await start();
    const { rows } = await sql<{ value: string }>`
      SELECT e.enumlabel AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
      WHERE t.typname = 'queue_turn_status' ORDER BY e.enumsortorder`.execute(svc.database.db);
    expect(rows.map((r) => r.value)).toEqual([...QUEUE_TURN_STATUSES]);
  });
});

describe('virtual queue on two instances', () => {
  it('admits at one pace, delivers positions and admissions whichever instance the socket is on; admitted buyers buy', async () => {
    const rate = 3;
    const env = { QUEUE_ADMIT_PER_SECOND: String(rate) };
    const [a, b] = [await start(env), await start(env)];
    const organizer = await createUser(a, 'ORGANIZADOR');
    const tickets = 8;
    const event = await createEvent(a, organizer, { colaVirtual: true }, [{ cantidadTotal: tickets }]);
    const buyers = await Promise.all(Array.from({ length: 16 }, () => createUser(a)));
    const instanceOf = (i: number) => (i % 2 === 0 ? a : b);
    const listeners: Array<Awaited<ReturnType<typeof listen>>> = [];
    for (const [i, u] of buyers.entries()) listeners.push(await listen(instanceOf(i), u));

    // Each buyer, once admitted, buys one ticket (on the other instance) and pays.
    const outcomes = new Map<string, number>();
    const purchases: Promise<void>[] = [];
    for (const [i, u] of buyers.entries()) {
      listeners[i]!.socket.on('queue:admitted', (m) => {
        purchases.push(
          (async () => {
            const res = await buy(instanceOf(i + 1), u, event, m.token);
            outcomes.set(u.id, res.status);
            if (res.status === 201) {
              await instanceOf(i)
                .api()
                .put(`/api/orders/${res.body.id}/confirm`)
                .set(u.auth)
                .send({ metodoPago: 'card', transactionId: `q2-${res.body.id}` })
                .expect(200);
            }
          })(),
        );
      });
    }
    for (const [i, u] of buyers.entries()) await joinQueue(instanceOf(i), u, event).expect(201);

    await eventually(
      () => listeners.every((l) => l.admitted.length > 0 || l.positions.some((p) => p.agotado)),
      'every buyer is admitted or told the event sold out',
      60_000,
    );
    await Promise.all(purchases);

    // Exactly the tickets that exist were sold, each to an admitted buyer.
    const sold = [...outcomes.values()].filter((s) => s === 201).length;
    expect(sold).toBe(tickets);
    expect([...outcomes.values()].every((s) => s === 201 || s === 409)).toBe(true);
    await expectStockInvariants(a.database.db, event.id);
    await expectTicketInvariants(a.database.db, event.id);

    // One pace for both instances: a token bucket of `rate` per second holding at most one
    // second's worth, so n admissions span at least (n - rate) / rate seconds (two independent
    // admitters would go twice as fast).
    const { rows } = await sql<{ admitted_at: Date }>`
      SELECT admitted_at FROM queue_turns WHERE event_id = ${event.id} AND admitted_at IS NOT NULL
      ORDER BY admitted_at`.execute(a.database.db);
    expect(rows.length).toBeGreaterThanOrEqual(tickets);
    const spanS = (rows.at(-1)!.admitted_at.getTime() - rows[0]!.admitted_at.getTime()) / 1000;
    expect(spanS).toBeGreaterThanOrEqual((rows.length - rate - 1) / rate);

    // Admissions and positions reached sockets on both instances; positions only ever go down.
    for (const [i, l] of listeners.entries()) {
      for (const m of l.admitted) expect(tokens.admits(m.token, buyers[i]!.id, event.id)).toBe(true);
      const seen = l.positions.filter((p) => !p.agotado).map((p) => p.posicion);
      expect([...seen].sort((x, y) => y - x)).toEqual(seen);
    }
    const gotPositions = (inst: number) =>
      listeners.filter((l, i) => i % 2 === inst && l.positions.some((p) => p.posicion > 0)).length;
    expect(gotPositions(0)).toBeGreaterThan(0);
    expect(gotPositions(1)).toBeGreaterThan(0);
    const admittedOn = (inst: number) => listeners.filter((l, i) => i % 2 === inst && l.admitted.length > 0).length;
    expect(admittedOn(0)).toBeGreaterThan(0);
    expect(admittedOn(1)).toBeGreaterThan(0);
  });
});
