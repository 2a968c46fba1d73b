import crypto from 'node:crypto';
import { sql } from 'kysely';
import { base32 } from 'rfc4648';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectTicketInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';
import { buyConfirmed, scan, ticketsOf, type TicketBody } from './helpers/tickets';

let svc: TestService;
let organizer: TestUser;
let buyer: TestUser;
let event: EventBody;

beforeAll(async () => {
  svc = await startTestService({ DB_CONNECT_TIMEOUT_MS: '20000' });
  [organizer, buyer] = await Promise.all([createUser(svc, 'ORGANIZADOR'), createUser(svc)]);
  event = await createEvent(svc, organizer, {}, [
    { nombre: 'VIP', cantidadTotal: 100 },
    { nombre: 'General', cantidadTotal: 500 },
  ]);
});
afterAll(() => svc.close());

const newTickets = async (lines: number[], ev = event) =>
  ticketsOf(svc, buyer, (await buyConfirmed(svc, buyer, ev, lines)).id);
const sync = (token: string, escaneos: unknown[], eventId = event.id) =>
  call(svc.url, 'POST', `/api/events/${eventId}/checkins/sync`, { token, body: { escaneos } });

describe('check-in', () => {
  it('admits a ticket once; a second scan is refused with the first admission’s time and door', async () => {
    const [ticket] = await newTickets([1, 0]);
    const first = await scan(svc, organizer.token, event.id, ticket!.codigo, 'Puerta Norte');
    expect(first.status).toBe(200);
    expect(first.body.resultado).toBe('ADMITIDO');
    expect(first.body.ticket).toMatchObject({
      id: ticket!.id,
      estado: 'USADO',
      puerta: 'Puerta Norte',
      codigo: ticket!.codigo,
    });
    const again = await scan(svc, organizer.token, event.id, ticket!.codigo, 'Puerta Sur');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_CHECKED_IN');
    expect(again.body.error.details).toEqual({ ingresoEn: first.body.ticket.ingresoEn, puerta: 'Puerta Norte' });
  });

  it('admits exactly one of 50 simultaneous scans of the same ticket', async () => {
    const [ticket] = await newTickets([0, 1]);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => scan(svc, organizer.token, event.id, ticket!.codigo, `door-${i}`)),
    );
    const admitted = answers.filter((a) => a.status === 200);
    expect(admitted).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(49);
    const { ingresoEn, puerta } = admitted[0]!.body.ticket;
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'ALREADY_CHECKED_IN', details: { ingresoEn, puerta } });
    }
    const { rows } = await sql<{
      status: string;
      door: string;
    }>`SELECT status, door FROM tickets WHERE id = ${ticket!.id}`.execute(svc.database.db);
    expect(rows).toEqual([{ status: 'USADO', door: puerta }]);
  });

  it('refuses tickets of a cancelled order as revoked', async () => {
    const tickets = await newTickets([2, 1]);
    const [used, ...others] = tickets;
    expect((await scan(svc, organizer.token, event.id, used!.codigo)).status).toBe(200);
    const cancelled = await call(svc.url, 'PUT', `/api/orders/${used!.ordenId}/cancel`, { token: buyer.token });
    expect(cancelled.status).toBe(200);
    for (const t of [...others, used!]) {
      const res = await scan(svc, organizer.token, event.id, t.codigo);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('TICKET_REVOKED');
    }
    await expectTicketInvariants(svc.database.db, event.id);
  });

  it('answers 404 for forged, malformed, unknown and other events’ codes, admitting nothing', async () => {
    const [ticket] = await newTickets([1, 0]);
    const bytes = Buffer.from(base32.parse(ticket!.codigo, { loose: true }));
    const forged = Buffer.from(bytes);
    forged[90]! ^= 0x40;
    // A genuine signature over another ticket id: the ids are signed too.
    const swapped = Buffer.from(bytes);
    swapped[3]! ^= 0x01;
    const other = await createEvent(svc, organizer);
    const [otherTicket] = await newTickets([1, 0], other);
    for (const codigo of [
      base32.stringify(forged, { pad: false }),
      base32.stringify(swapped, { pad: false }),
      'NOT-A-CODE',
      'A'.repeat(156),
      otherTicket!.codigo,
    ]) {
      const res = await scan(svc, organizer.token, event.id, codigo);
      expect({ codigo, status: res.status, code: res.body.error.code }).toEqual({
        codigo,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    const res = await scan(svc, organizer.token, event.id, ticket!.codigo.toLowerCase().replace(/(.{39})/g, '$1 '));
    expect(res.status).toBe(200); // lower case and spaces, as typed from a printout, are forgiven
    expect((await scan(svc, organizer.token, crypto.randomUUID(), otherTicket!.codigo)).status).toBe(404);
  });

  it('lets only the organizer, administrators and the event’s device tokens scan', async () => {
    const [ticket] = await newTickets([1, 0]);
    const otherOrganizer = await createUser(svc, 'ORGANIZADOR');
    const refused = await scan(svc, otherOrganizer.token, event.id, ticket!.codigo);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const asBuyer = await scan(svc, buyer.token, event.id, ticket!.codigo);
    expect([asBuyer.status, asBuyer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(
      (await call(svc.url, 'POST', `/api/events/${event.id}/checkins`, { body: { codigo: ticket!.codigo } })).status,
    ).toBe(401);
    const admin = await createUser(svc, 'ADMIN');
    expect((await scan(svc, admin.token, event.id, ticket!.codigo)).status).toBe(200);
  });
});

describe('door-device tokens', () => {
  it('check in tickets of their event only, open nothing else, and stop at once when revoked', async () => {
    const created = await call(svc.url, 'POST', `/api/events/${event.id}/checkin-tokens`, {
      token: organizer.token,
      body: { etiqueta: 'Puerta 1', horas: 12 },
    });
    expect(created.status).toBe(201);
    const { id, token, expiraEn } = created.body;
    expect(new Date(expiraEn).getTime()).toBeGreaterThan(Date.now() + 11 * 3_600_000);
    const [a, b] = await newTickets([2, 0]);
    expect((await scan(svc, token, event.id, a!.codigo)).status).toBe(200);

    // Nothing but check-in of this event.
    const other = await createEvent(svc, organizer);
    const [foreign] = await newTickets([1, 0], other);
    expect((await scan(svc, token, other.id, foreign!.codigo)).status).toBe(403);
    for (const [method, path, body] of [
      ['GET', '/api/auth/profile', undefined],
      ['POST', '/api/orders', { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] }],
      ['GET', `/api/events/${event.id}/checkins/stats`, undefined],
      ['POST', `/api/events/${event.id}/checkin-tokens`, {}],
      ['GET', `/api/orders/${a!.ordenId}/tickets`, undefined],
      ['PUT', `/api/events/${event.id}`, { nombre: 'Hijacked' }],
    ] as const) {
      const res = await call(svc.url, method, path, { token, body });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }

    const revoked = await call(svc.url, 'DELETE', `/api/events/${event.id}/checkin-tokens/${id}`, {
      token: organizer.token,
    });
    expect(revoked.status).toBe(204);
    const after = await scan(svc, token, event.id, b!.codigo);
    expect([after.status, after.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await sync(token, [{ codigo: b!.codigo, escaneadoEn: new Date().toISOString(), nonce: 'x' }])).status).toBe(
      401,
    );
    expect((await ticketsOf(svc, buyer, b!.ordenId)).find((t) => t.id === b!.id)!.estado).toBe('VALIDO');
    expect(
      (
        await call(svc.url, 'DELETE', `/api/events/${event.id}/checkin-tokens/${crypto.randomUUID()}`, {
          token: organizer.token,
        })
      ).status,
    ).toBe(404);
  });

  it('are refused once expired, and forged ones never work', async () => {
    const created = await call(svc.url, 'POST', `/api/events/${event.id}/checkin-tokens`, {
      token: organizer.token,
      body: {},
    });
    await sql`UPDATE checkin_tokens SET expires_at = now() - interval '1 second' WHERE id = ${created.body.id}`.execute(
      svc.database.db,
    );
    const [ticket] = await newTickets([1, 0]);
    expect((await scan(svc, created.body.token, event.id, ticket!.codigo)).status).toBe(401);
    const [, payload] = (created.body.token as string).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const unsigned = `ck_${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString('base64url')}.`;
    expect((await scan(svc, unsigned, event.id, ticket!.codigo)).status).toBe(401);
    expect((await scan(svc, organizer.token, event.id, ticket!.codigo)).status).toBe(200);
  });
});

describe('offline sync', () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  it('answers each scan; repeats of a nonce get their first result; the earliest scan of a ticket wins', async () => {
    const [t1, t2, t3] = await newTickets([3, 0]);
    const batch = [
      { codigo: t1!.codigo, escaneadoEn: at(5), puerta: 'B', nonce: 'n-late' },
      { codigo: t1!.codigo, escaneadoEn: at(9), puerta: 'A', nonce: 'n-early' },
      { codigo: t2!.codigo, escaneadoEn: at(3), nonce: 'n-t2' },
      { codigo: 'FORGED', escaneadoEn: at(1), nonce: 'n-bad' },
    ];
    const res = await sync(organizer.token, batch);
    expect(res.status).toBe(200);
    expect(res.body.resultados).toEqual([
      { nonce: 'n-late', resultado: 'DUPLICADO', ticketId: t1!.id },
      { nonce: 'n-early', resultado: 'ADMITIDO', ticketId: t1!.id },
      { nonce: 'n-t2', resultado: 'ADMITIDO', ticketId: t2!.id },
      { nonce: 'n-bad', resultado: 'INVALIDO' },
    ]);
    const stored = await ticketsOf(svc, buyer, t1!.ordenId);
    expect(stored.find((t) => t.id === t1!.id)).toMatchObject({
      estado: 'USADO',
      ingresoEn: batch[1]!.escaneadoEn,
      puerta: 'A',
    });
    // The same batch again (a device retrying after a lost answer): the same answers, nothing moves.
    expect((await sync(organizer.token, batch)).body).toEqual(res.body);
    // A later scan of t3 online, then an earlier offline scan of it synced afterwards: the earlier one wins.
    const online = await scan(svc, organizer.token, event.id, t3!.codigo, 'Online');
    expect(online.status).toBe(200);
    const earlier = at(30);
    const late = await sync(organizer.token, [
      { codigo: t3!.codigo, escaneadoEn: earlier, puerta: 'Offline', nonce: 'n-t3' },
    ]);
    expect(late.body.resultados).toEqual([{ nonce: 'n-t3', resultado: 'ADMITIDO', ticketId: t3!.id }]);
    const again = await scan(svc, organizer.token, event.id, t3!.codigo);
    expect(again.body.error.details).toEqual({ ingresoEn: earlier, puerta: 'Offline' });
    // A later offline scan does not move it forward again.
    const later = await sync(organizer.token, [
      { codigo: t3!.codigo, escaneadoEn: at(1), puerta: 'Late', nonce: 'n-t3-late' },
    ]);
    expect(later.body.resultados[0].resultado).toBe('DUPLICADO');
  });

  it('gives the same outcome whichever device syncs first, under parallel syncs', async () => {
    const tickets = await newTickets([0, 5]);
    // Two devices scanned every ticket; device A earlier for even tickets, device B for odd ones.
    const deviceScans = (name: string, earlyFor: number) =>
      tickets.map((t, i) => ({
        codigo: t.codigo,
        escaneadoEn: at(i % 2 === earlyFor ? 20 : 10),
        puerta: name,
        nonce: `${name}-${t.id}`,
      }));
    const [a, b] = await Promise.all([
      sync(organizer.token, deviceScans('A', 0)),
      sync(organizer.token, deviceScans('B', 1)),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const after = await ticketsOf(svc, buyer, tickets[0]!.ordenId);
    for (const [i, t] of tickets.entries()) {
      expect(after.find((x) => x.id === t.id)).toMatchObject({ estado: 'USADO', puerta: i % 2 === 0 ? 'A' : 'B' });
    }
  });

  it('reports voided tickets and keeps revoked ones out', async () => {
    const [ticket] = await newTickets([1, 0]);
    await call(svc.url, 'PUT', `/api/orders/${ticket!.ordenId}/cancel`, { token: buyer.token });
    const res = await sync(organizer.token, [
      { codigo: ticket!.codigo, escaneadoEn: at(1), nonce: crypto.randomUUID() },
    ]);
    expect(res.body.resultados[0].resultado).toBe('ANULADO');
    await expectTicketInvariants(svc.database.db, event.id);
  });

  it('refuses batches over 500 scans and scans without a nonce', async () => {
    const scan1 = { codigo: 'X', escaneadoEn: at(1), nonce: 'n' };
    expect(
      (
        await sync(
          organizer.token,
          Array.from({ length: 501 }, (_, i) => ({ ...scan1, nonce: `n${i}` })),
        )
      ).status,
    ).toBe(400);
    expect((await sync(organizer.token, [{ codigo: 'X', escaneadoEn: at(1) }])).status).toBe(400);
  });
});

describe('stats', () => {
  it('counts issued and admitted tickets per category, for the organizer only', async () => {
    const fresh = await createEvent(svc, organizer, {}, [{ nombre: 'VIP' }, { nombre: 'General' }]);
    const tickets: TicketBody[] = await newTickets([2, 3], fresh);
    await scan(svc, organizer.token, fresh.id, tickets.find((t) => t.categoriaNombre === 'VIP')!.codigo);
    const cancelled = await newTickets([0, 1], fresh);
    await call(svc.url, 'PUT', `/api/orders/${cancelled[0]!.ordenId}/cancel`, { token: buyer.token });
    const res = await call(svc.url, 'GET', `/api/events/${fresh.id}/checkins/stats`, { token: organizer.token });
    expect(res.body).toEqual({
      emitidos: 5,
      admitidos: 1,
      porCategoria: [
        { categoriaId: fresh.categorias[0]!.id, nombre: 'VIP', emitidos: 2, admitidos: 1 },
        { categoriaId: fresh.categorias[1]!.id, nombre: 'General', emitidos: 3, admitidos: 0 },
      ],
    });
    const stranger = await createUser(svc, 'ORGANIZADOR');
    expect(
      (await call(svc.url, 'GET', `/api/events/${fresh.id}/checkins/stats`, { token: stranger.token })).status,
    ).toBe(403);
    expect(
      (await call(svc.url, 'GET', `/api/events/${crypto.randomUUID()}/checkins/stats`, { token: organizer.token }))
        .status,
    ).toBe(404);
  });
});
