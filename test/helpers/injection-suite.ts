/**
 * What test/security/injection.test.ts stands on: the service, a canary event nobody may alter, a
 * tricky event full of metacharacters, snapshots of this file's own rows, and the payloads.
 */
import http from 'node:http';
import { createEvent, createUsers, unique, type EventBody, type TestUser } from './factories';
import { startTestService, type TestService } from './service';
import { expectErrorShape } from './expect';

export let svc: TestService;
export let admin: TestUser;
export let organizer: TestUser;
export let buyer: TestUser;
/** An event nobody should be able to alter or find with a pattern that does not literally match it. */
export let canary: EventBody;
/** An event whose text is full of SQL and LIKE metacharacters, to be found literally. */
export let tricky: EventBody;
export let canaryBefore: unknown;
/** This file's own rows, which no request here may remove (other test files share the database). */
export let ownRows: unknown;

export const TABLES = [
  'users',
  'events',
  'ticket_categories',
  'category_stock',
  'orders',
  'order_items',
  'order_status_history',
] as const;

export async function ownRowsNow() {
  const db = svc.database.db;
  const eventIds = [canary.id, tricky.id];
  const [users, events, categories, stock, orders] = await Promise.all([
    db
      .selectFrom('users')
      .select(['id', 'email', 'role', 'password_hash'])
      .where('id', 'in', [admin.id, organizer.id, buyer.id])
      .orderBy('id')
      .execute(),
    db.selectFrom('events').selectAll().where('id', 'in', eventIds).orderBy('id').execute(),
    db.selectFrom('ticket_categories').selectAll().where('event_id', 'in', eventIds).orderBy('id').execute(),
    db
      .selectFrom('category_stock')
      .selectAll()
      .where(
        'category_id',
        'in',
        canary.categorias.map((c) => c.id),
      )
      .orderBy('category_id')
      .orderBy('bucket')
      .execute(),
    db
      .selectFrom('orders')
      .select(['id', 'status', 'user_id', 'total_cents'])
      .where('user_id', '=', buyer.id)
      .orderBy('id')
      .execute(),
  ]);
  return JSON.parse(JSON.stringify({ users, events, categories, stock, orders })) as unknown;
}

export async function tableCounts(): Promise<Record<string, number>> {
  const entries = await Promise.all(
    TABLES.map(async (t) => {
      const row = await svc.database.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return [t, Number(row.n)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** What the search promises: case- and accent-insensitive. NFKD also folds full-width forms. */
export const LIGATURES: Record<string, string> = { æ: 'ae', œ: 'oe', ß: 'ss', ø: 'o', ł: 'l', đ: 'd', þ: 'th' };
export const fold = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[æœßøłđþ]/g, (c) => LIGATURES[c]!);

/** 200 or 400 VALIDATION_ERROR, nothing else; true when 200. */
export function okOrValidation(res: { status: number; body: any }, label: string): boolean {
  expect({ label, status: res.status }).toEqual({ label, status: res.status === 200 ? 200 : 400 });
  if (res.status === 400) {
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expectErrorShape(res);
    return false;
  }
  expect(Array.isArray(res.body.data)).toBe(true);
  expect(Number.isInteger(res.body.total) && Number.isInteger(res.body.page) && Number.isInteger(res.body.limit)).toBe(
    true,
  );
  return true;
}

// Strings that break naive SQL, LIKE patterns, JSON, logs or text encodings.
export const LONG = 'x'.repeat(5000);
export const PAYLOADS: string[] = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '1; DROP TABLE users; --',
  "'; DELETE FROM events; --",
  "'; UPDATE events SET name = 'pwned'; --",
  '" OR ""="',
  "') OR ('a'='a",
  "admin'--",
  "1' UNION SELECT id, email, password_hash FROM users --",
  "' AND pg_sleep(5) IS NULL --",
  '$1',
  '$$; SELECT 1; $$',
  '%',
  '_',
  '%%',
  '%_%',
  '\\',
  '\\%',
  '\\_',
  "%' OR name LIKE '%",
  '[a-z]*',
  '.*',
  '％', // full-width percent sign
  '＿', // full-width low line
  '＼', // full-width reverse solidus
  '﹪', // small percent sign
  'é',
  'ÑANDÚ',
  '😀',
  '\u202e', // right-to-left override
  '\ufeff', // byte-order mark
  'a\u0000b',
  '\u0000',
  '\r\nSet-Cookie: a=b',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '{"$gt":""}',
  '$ne',
  '   ',
  '',
  '-1',
  '0',
  '1e309',
  '0x10',
  '1.5',
  'NaN',
  'Infinity',
  '99999999999999999999999999',
  '2030-01-01',
  '2030-02-30',
  '0000-01-01',
  '9999-12-31',
  '1969-12-31',
  '2030-01-01T00:00:00Z',
  "2030-01-01' OR '1'='1",
  'RESERVED',
  "RESERVED' OR '1'='1",
  'reserved',
  '00000000-0000-0000-0000-000000000000',
  "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c' OR '1'='1",
  'a'.repeat(201),
  LONG,
];

/** Raw query strings that a URL encoder would never produce. */
export const RAW_QUERIES = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%ED%A0%80',
  '%FF%FE',
  '%00',
  '%C0%AF',
  '%25%32%35',
  'a%2B%2B',
  '%2527',
];

export function rawRequest(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const url = new URL(svc.url);
  return new Promise<{ status: number; body: any; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const PATH_PAYLOADS: string[] = [
  ...PAYLOADS.filter((p) => p !== '').map((p) => encodeURIComponent(p)),
  // Raw encodings that no encoder produces: malformed escapes, overlong UTF-8, encoded slashes.
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%AF',
  '%00',
  '..%2F..%2Fadmin%2Fstats',
  '%2e%2e',
  '1%20OR%201%3D1',
  'x'.repeat(8000),
];

/** Registers the suite's hooks: call once at the top of each file of the suite. */
export function useInjectionSuite(): void {
  beforeAll(async () => {
    svc = await startTestService();
    [admin, organizer, buyer] = await createUsers(svc, ['ADMIN', 'ORGANIZADOR', 'COMPRADOR']);
    const tag = unique('inj').replace(/-/g, '');
    canary = await createEvent(svc, organizer, {
      nombre: `Canary ${tag}`,
      descripcion: 'plain words only',
      ubicacion: 'Canary Hall',
    });
    tricky = await createEvent(svc, organizer, {
      nombre: `Tricky ${tag} 100% real_deal`,
      descripcion: `O'Brien "quoted" back\\slash; DROP TABLE users; -- [a-z]* $1 ${tag}`,
      ubicacion: `Málaga 50%_off ${tag}`,
    });
    // Orders so that the admin and my-orders filters have something to (not) match.
    const res = await svc
      .api()
      .post('/api/orders')
      .set(buyer.auth)
      .send({ eventoId: tricky.id, tickets: [{ categoriaId: tricky.categorias[0]!.id, cantidad: 1 }] });
    expect(res.status).toBe(201);
    canaryBefore = (await svc.api().get(`/api/events/${canary.id}`)).body;
    ownRows = await ownRowsNow();
  });
  afterAll(() => svc.close());
}
