import crypto from 'node:crypto';
import { sql } from 'kysely';
import { base32 } from 'rfc4648';
import { ENDPOINTS } from '../src/modules/docs/openapi';
import { SigningKeys } from '../src/modules/tickets/signing-keys';
import { TICKET_ENDPOINTS } from '../src/modules/tickets/tickets.docs';
import { loadConfig } from '../src/shared/config';
import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { line, placeOrder } from './helpers/api';
import { call } from './helpers/http';
import { expectStockInvariants, expectTicketInvariants } from './helpers/invariants';
import { startTestService, type TestService } from './helpers/service';
import { buyConfirmed, scan, ticketsOf } from './helpers/tickets';

let svc: TestService;
let organizer: TestUser;
let buyer: TestUser;
let admin: TestUser;
let event: EventBody;

beforeAll(async () => {
  svc = await startTestService();
  [organizer, buyer, admin] = await Promise.all([
    createUser(svc, 'ORGANIZADOR'),
    createUser(svc),
    createUser(svc, 'ADMIN'),
  ]);
  event = await createEvent(svc, organizer, {}, [
    { nombre: 'VIP', cantidadTotal: 50 },
    { nombre: 'General', cantidadTotal: 200 },
  ]);
});
afterAll(() => svc.close());

/** Verifies a code the way a third-party scanner would: only the published public key and node:crypto. */
function verifyOffline(codigo: string, clavePublica: string) {
  const bytes = Buffer.from(base32.parse(codigo, { loose: true }));
  const key = crypto.createPublicKey(clavePublica);
  return {
    length: bytes.length,
    version: bytes[0],
    ticketId: bytes.subarray(1, 17).toString('hex'),
    eventId: bytes.subarray(17, 33).toString('hex'),
    valid: crypto.verify(null, bytes.subarray(0, 33), key, bytes.subarray(33)),
  };
}

describe('issuance', () => {
  it('issues one ticket per admission when the order is confirmed, none before', async () => {
    const reserved = await placeOrder(svc, buyer, {
      eventoId: event.id,
      tickets: [line(event.categorias[0]!, 2), line(event.categorias[1]!, 1)],
    });
    expect(await ticketsOf(svc, buyer, reserved.body.id)).toEqual([]);
    await call(svc.url, 'PUT', `/api/orders/${reserved.body.id}/confirm`, {
      token: buyer.token,
      body: { metodoPago: 'card', transactionId: `issue-${reserved.body.id}` },
    });
    const tickets = await ticketsOf(svc, buyer, reserved.body.id);
    expect(tickets.map((t) => [t.categoriaNombre, t.estado, t.ordenId, t.eventoId, t.ingresoEn, t.puerta])).toEqual([
      ['General', 'VALIDO', reserved.body.id, event.id, null, null],
      ['VIP', 'VALIDO', reserved.body.id, event.id, null, null],
      ['VIP', 'VALIDO', reserved.body.id, event.id, null, null],
    ]);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(3);
    // Codes are computed, not stored, and deterministic: the same on every read.
    expect((await ticketsOf(svc, buyer, reserved.body.id)).map((t) => t.codigo)).toEqual(tickets.map((t) => t.codigo));
    await expectTicketInvariants(svc.database.db, event.id);
  });

  it('voids the tickets in the transaction that cancels the order', async () => {
    const order = await buyConfirmed(svc, buyer, event, [1, 1]);
    const res = await call(svc.url, 'PUT', `/api/orders/${order.id}/cancel`, { token: buyer.token });
    expect(res.status).toBe(200);
    const { rows } = await sql<{ status: string }>`SELECT status FROM tickets WHERE order_id = ${order.id}`.execute(
      svc.database.db,
    );
    expect(rows.map((r) => r.status)).toEqual(['ANULADO', 'ANULADO']);
    expect(await ticketsOf(svc, buyer, order.id)).toEqual([]);
    await expectTicketInvariants(svc.database.db, event.id);
    await expectStockInvariants(svc.database.db, event.id);
  });

  it('shows tickets only to their buyer and administrators', async () => {
    const order = await buyConfirmed(svc, buyer, event, [1, 0]);
    const stranger = await createUser(svc);
    expect((await call(svc.url, 'GET', `/api/orders/${order.id}/tickets`, { token: stranger.token })).status).toBe(404);
    expect((await call(svc.url, 'GET', `/api/orders/${order.id}/tickets`, { token: organizer.token })).status).toBe(
      404,
    );
    expect((await call(svc.url, 'GET', `/api/orders/${order.id}/tickets`)).status).toBe(401);
    expect(await ticketsOf(svc, admin, order.id)).toHaveLength(1);
  });
});

describe('codes and QR codes', () => {
  it('gives codes in the contract format that verify offline with the published key, and only with it', async () => {
    const order = await buyConfirmed(svc, buyer, event, [1, 1]);
    const tickets = await ticketsOf(svc, buyer, order.id);
    const key = await call(svc.url, 'GET', `/api/events/${event.id}/checkin-key`);
    expect(key.status).toBe(200);
    expect(key.body.algoritmo).toBe('Ed25519');
    expect(key.body.clavePublica).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    for (const t of tickets) {
      expect(t.codigo).toMatch(/^[A-Z2-7]{156}$/);
      expect(verifyOffline(t.codigo, key.body.clavePublica)).toEqual({
        length: 97,
        version: 1,
        ticketId: t.id.replace(/-/g, ''),
        eventId: event.id.replace(/-/g, ''),
        valid: true,
      });
    }
    // Another event's key does not verify these codes; a changed byte does not verify either.
    const other = await createEvent(svc, organizer);
    const otherKey = await call(svc.url, 'GET', `/api/events/${other.id}/checkin-key`);
    expect(verifyOffline(tickets[0]!.codigo, otherKey.body.clavePublica).valid).toBe(false);
    const bytes = Buffer.from(base32.parse(tickets[0]!.codigo, { loose: true }));
    bytes[5]! ^= 1;
    expect(verifyOffline(base32.stringify(bytes, { pad: false }), key.body.clavePublica).valid).toBe(false);
    expect((await call(svc.url, 'GET', `/api/events/${crypto.randomUUID()}/checkin-key`)).status).toBe(404);
  });

  it('makes one key per event even when many requests ask for it at once', async () => {
    const fresh = await createEvent(svc, organizer);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call(svc.url, 'GET', `/api/events/${fresh.id}/checkin-key`)),
    );
    expect(new Set(answers.map((a) => a.body.clavePublica)).size).toBe(1);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM event_signing_keys WHERE event_id = ${fresh.id}`.execute(svc.database.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('keeps private keys encrypted: the stored key does not open without TICKET_SIGNING_SECRET', async () => {
    const { rows } = await sql<{
      private_key: Buffer;
    }>`SELECT private_key FROM event_signing_keys WHERE event_id = ${event.id}`.execute(svc.database.db);
    // An unencrypted Ed25519 PKCS#8 key starts with these bytes; the stored one must not.
    expect(rows[0]!.private_key.subarray(28, 44).toString('hex')).not.toBe('302e020100300506032b657004220420');
    expect(() => crypto.createPrivateKey({ key: rows[0]!.private_key, format: 'der', type: 'pkcs8' })).toThrow();
    const wrongSecret = new SigningKeys(svc.database.pool, 'another-secret-another-secret-another-secret');
    await expect(wrongSecret.existing(event.id)).rejects.toThrow(/TICKET_SIGNING_SECRET/);
  });

  it('serves the QR code as SVG to the buyer and administrators, 404 to anyone else', async () => {
    const order = await buyConfirmed(svc, buyer, event, [0, 1]);
    const [ticket] = await ticketsOf(svc, buyer, order.id);
    const qr = await svc.api().get(`/api/tickets/${ticket!.id}/qr.svg`).set(buyer.auth);
    expect(qr.status).toBe(200);
    expect(qr.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(String(qr.body ?? qr.text)).toContain('<svg');
    expect((await svc.api().get(`/api/tickets/${ticket!.id}/qr.svg`).set(admin.auth)).status).toBe(200);
    expect((await svc.api().get(`/api/tickets/${ticket!.id}/qr.svg`).set(organizer.auth)).status).toBe(404);
    expect((await svc.api().get(`/api/tickets/${crypto.randomUUID()}/qr.svg`).set(buyer.auth)).status).toBe(404);
    expect((await svc.api().get(`/api/tickets/${ticket!.id}/qr.svg`)).status).toBe(401);
  });
});

describe('configuration', () => {
  it('requires a strong TICKET_SIGNING_SECRET in production', () => {
    const strong = crypto.randomBytes(36).toString('base64url');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong })).toThrow(
      /TICKET_SIGNING_SECRET: is required/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, TICKET_SIGNING_SECRET: 'short' })).toThrow(
      /TICKET_SIGNING_SECRET/,
    );
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, TICKET_SIGNING_SECRET: 'a'.repeat(40) }),
    ).toThrow(/too weak/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: strong,
        TICKET_SIGNING_SECRET: strong,
        ALLOW_SIMULATED_PAYMENTS: 'true',
        TRUST_PROXY: 'false',
        METRICS_TOKEN: 'metrics-token-0123456789',
      }).ticketSigningSecret,
    ).toBe(strong);
  });
});

describe('documentation of tickets and check-in', () => {
  it('documents every ticket route with the schema its real response parses with', async () => {
    const order = await buyConfirmed(svc, buyer, event, [1, 0]);
    const [ticket] = await ticketsOf(svc, buyer, order.id);
    const doc = (method: string, path: string) => ENDPOINTS.find((e) => e.method === method && e.path === path)!;
    const check = (method: string, path: string, res: { status: number; body: unknown }) => {
      const endpoint = doc(method, path);
      expect(res.status).toBe(endpoint.ok.status);
      if (endpoint.ok.schema) expect(endpoint.ok.schema.safeParse(res.body).error).toBeUndefined();
      return res;
    };
    check(
      'get',
      '/api/orders/:id/tickets',
      await call(svc.url, 'GET', `/api/orders/${order.id}/tickets`, { token: buyer.token }),
    );
    check('get', '/api/tickets/:id/qr.svg', await svc.api().get(`/api/tickets/${ticket!.id}/qr.svg`).set(buyer.auth));
    check('get', '/api/events/:id/checkin-key', await call(svc.url, 'GET', `/api/events/${event.id}/checkin-key`));
    check('post', '/api/events/:id/checkins', await scan(svc, organizer.token, event.id, ticket!.codigo, 'A'));
    check(
      'post',
      '/api/events/:id/checkins/sync',
      await call(svc.url, 'POST', `/api/events/${event.id}/checkins/sync`, {
        token: organizer.token,
        body: {
          escaneos: [{ codigo: ticket!.codigo, escaneadoEn: new Date().toISOString(), nonce: crypto.randomUUID() }],
        },
      }),
    );
    check(
      'get',
      '/api/events/:id/checkins/stats',
      await call(svc.url, 'GET', `/api/events/${event.id}/checkins/stats`, { token: organizer.token }),
    );
    const device = check(
      'post',
      '/api/events/:id/checkin-tokens',
      await call(svc.url, 'POST', `/api/events/${event.id}/checkin-tokens`, { token: organizer.token, body: {} }),
    );
    check(
      'delete',
      '/api/events/:id/checkin-tokens/:tokenId',
      await call(svc.url, 'DELETE', `/api/events/${event.id}/checkin-tokens/${(device.body as { id: string }).id}`, {
        token: organizer.token,
      }),
    );
    expect(TICKET_ENDPOINTS.every((e) => ENDPOINTS.includes(e))).toBe(true);
  });
});
