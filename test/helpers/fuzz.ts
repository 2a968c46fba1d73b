/**
 * The fuzzer's generators for test/security/fuzz.test.ts: a seeded PRNG, the cast (service, users,
 * canary and playground events), tokens of every kind, random values, ids and the route table with
 * a valid body template each, and `plan(i)`, the i-th request of the campaign.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import { createEvent, createUsers, FACTORY_PASSWORD, futureDate, type EventBody, type TestUser } from './factories';
import { b64url, hmacToken } from './tokens';
import { startTestService, TEST_JWT_SECRET, type TestService } from './service';
import { line, reserve } from './api';

export const TOTAL_REQUESTS = 3000;
export const CONCURRENCY = 12;
/** The campaign stops sending early past this bound (a safety net on slow machines, not an assertion). */
export const TIME_BUDGET_MS = 40_000;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED =
  process.env.FUZZ_SEED === 'random'
    ? crypto.randomInt(0, 2 ** 32)
    : process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED) >>> 0
      : 0x5eed_2026;
export const random = mulberry32(SEED);
export const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
export const chance = (p: number) => random() < p;
export const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

// ---------------------------------------------------------------------------------------------
// The service and its cast
// ---------------------------------------------------------------------------------------------

export let svc: TestService;
export let admin: TestUser;
export let organizer: TestUser;
export let otherOrganizer: TestUser;
export let buyer: TestUser;
export let otherBuyer: TestUser;
/** Owns the canary; its token is never given to the fuzzer. */
export let canaryOwner: TestUser;
export let canary: EventBody;
export let playgrounds: EventBody[];
export let playgroundOrders: string[];
/** Events for the DELETE route, so that deleting them leaves the playgrounds to the other routes. */
export let disposables: EventBody[];

export interface Inventory {
  event: unknown;
  categories: unknown;
  availableByCategory: Record<string, number>;
  orders: number;
}

export async function canaryInventory(): Promise<Inventory> {
  const db = svc.database.db;
  const [event, categories, stock, orders] = await Promise.all([
    db
      .selectFrom('events')
      .select([
        'id',
        'name',
        'description',
        'starts_at',
        'location',
        'capacity',
        'base_price_cents',
        'organizer_id',
        'updated_at',
      ])
      .where('id', '=', canary.id)
      .executeTakeFirst(),
    db
      .selectFrom('ticket_categories')
      .select(['id', 'name', 'price_cents', 'total_quantity', 'benefits', 'updated_at'])
      .where('event_id', '=', canary.id)
      .orderBy('id')
      .execute(),
    sql<{ category_id: string; available: number }>`
      SELECT category_id, sum(available)::int AS available FROM category_stock
      WHERE category_id IN (SELECT id FROM ticket_categories WHERE event_id = ${canary.id})
      GROUP BY category_id ORDER BY category_id`.execute(db),
    db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('event_id', '=', canary.id)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    event: JSON.parse(JSON.stringify(event ?? null)),
    categories: JSON.parse(JSON.stringify(categories)),
    availableByCategory: Object.fromEntries(stock.rows.map((r) => [r.category_id, r.available])),
    orders: Number(orders.n),
  };
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

export type TokenKind =
  | 'none'
  | 'admin'
  | 'organizer'
  | 'otherOrganizer'
  | 'buyer'
  | 'otherBuyer'
  | 'forgedAdmin'
  | 'algNoneAdmin'
  | 'expiredAdmin'
  | 'garbage'
  | 'schemeOnly'
  | 'basic'
  | 'lowercaseBuyer';

export const TOKEN_KINDS: TokenKind[] = [
  'none',
  'admin',
  'organizer',
  'otherOrganizer',
  'buyer',
  'otherBuyer',
  'forgedAdmin',
  'algNoneAdmin',
  'expiredAdmin',
  'garbage',
  'schemeOnly',
  'basic',
  'lowercaseBuyer',
];
/** Tokens that authenticate a real user (and so could legitimately buy the canary's tickets). */
export const VALID_USER_TOKENS = new Set<TokenKind>([
  'admin',
  'organizer',
  'otherOrganizer',
  'buyer',
  'otherBuyer',
  'lowercaseBuyer',
]);

export function authorization(kind: TokenKind): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  const adminClaims = { sub: admin.id, role: 'ADMIN', iat: now, exp: now + 3600 };
  switch (kind) {
    case 'none':
      return undefined;
    case 'admin':
      return `Bearer ${admin.token}`;
    case 'organizer':
      return `Bearer ${organizer.token}`;
    case 'otherOrganizer':
      return `Bearer ${otherOrganizer.token}`;
    case 'buyer':
      return `Bearer ${buyer.token}`;
    case 'otherBuyer':
      return `Bearer ${otherBuyer.token}`;
    case 'lowercaseBuyer':
      return `bearer ${buyer.token}`;
    case 'forgedAdmin':
      return `Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, adminClaims, `${TEST_JWT_SECRET}-not`)}`;
    case 'algNoneAdmin':
      return `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(adminClaims)}.`;
    case 'expiredAdmin':
      return `Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...adminClaims, exp: now - 60 }, TEST_JWT_SECRET)}`;
    case 'garbage':
      return `Bearer ${pick(['x', 'a.b.c', '....', '\u00ff\u00fe', 'e30.e30.', '%00', 'null', `${buyer.token}${buyer.token}`])}`;
    case 'schemeOnly':
      return 'Bearer';
    case 'basic':
      return `Basic ${Buffer.from(`${admin.email}:${FACTORY_PASSWORD}`).toString('base64')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Random values
// ---------------------------------------------------------------------------------------------

export const INTERESTING_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u202d',
  '\ufeff',
  '😀'.repeat(50),
  'Ω≈ç√∫˜µ≤≥÷',
  'Málaga',
  '％＿＼',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '%',
  '_',
  '\\',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  'null',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '1e309',
  '0x1F',
  '1.005',
  '00000000-0000-0000-0000-000000000000',
  'ADMIN',
  'CONFIRMED',
  '2030-02-30T25:61:61Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  '__proto__',
  'constructor',
];
export const INTERESTING_NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  10,
  11,
  0.5,
  1.5,
  -1.5,
  0.001,
  1.005,
  49.99,
  99.999,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53 + 2,
  -(2 ** 63),
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  Number.EPSILON,
  10_000_001,
  1_000_001,
];
export const FIELD_NAMES = [
  'nombre',
  'email',
  'password',
  'role',
  'descripcion',
  'fecha',
  'ubicacion',
  'capacidadTotal',
  'precioBase',
  'categorias',
  'precio',
  'cantidadTotal',
  'beneficios',
  'eventoId',
  'tickets',
  'categoriaId',
  'cantidad',
  'metodoPago',
  'transactionId',
  'estado',
  'total',
  'organizadorId',
  'disponible',
  'id',
  'createdAt',
  'usuarioId',
  'precioUnitario',
  'pago',
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '$gt',
  '',
  ' ',
  '\u0000',
  'a'.repeat(300),
];

export function randomString(): string {
  switch (int(0, 4)) {
    case 0:
      return pick(INTERESTING_STRINGS);
    case 1:
      return Array.from({ length: int(0, 20) }, () => String.fromCharCode(int(0, 0xffff))).join('');
    case 2:
      return 'x'.repeat(pick([199, 200, 201, 256, 1000, 5001, 20_000]));
    case 3:
      return Array.from({ length: int(1, 12) }, () => String.fromCharCode(int(0x20, 0x7e))).join('');
    default:
      return pick(idPool(false));
  }
}

export function randomValue(depth = 0): unknown {
  const kinds = depth > 3 ? 5 : 7;
  switch (int(0, kinds)) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick(INTERESTING_NUMBERS);
    case 3:
      return (random() - 0.5) * 10 ** int(0, 12);
    case 4:
    case 5:
      return randomString();
    case 6:
      return Array.from({ length: int(0, 4) }, () => randomValue(depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = int(0, 5); i > 0; i--) obj[pick(FIELD_NAMES)] = randomValue(depth + 1);
      return obj;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ids: which may be used with which token
// ---------------------------------------------------------------------------------------------

export const MALFORMED_IDS = [
  'not-a-uuid',
  '1',
  '-1',
  "1'%20OR%20'1'%3D'1",
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '..%2F..',
  'x'.repeat(3000),
  '%F0%9F%98%80',
  'null',
  'undefined',
  '[object%20Object]',
  '%EF%BC%85',
];

/** Ids that may appear where the canary could be touched: never the canary's event for a privileged caller. */
export function idPool(includeCanaryEvent: boolean): string[] {
  const ids = [
    crypto.randomUUID(),
    ...playgrounds.map((e) => e.id),
    ...playgrounds.flatMap((e) => e.categorias.map((c) => c.id)),
    // The canary's categories may appear anywhere: through any other event they must be refused.
    ...canary.categorias.map((c) => c.id),
    ...playgroundOrders,
    admin.id,
    buyer.id,
  ];
  if (includeCanaryEvent) ids.push(canary.id);
  return ids;
}

export function pathId(includeCanaryEvent: boolean): string {
  if (chance(0.3)) return pick(MALFORMED_IDS);
  const id = pick(idPool(includeCanaryEvent));
  return chance(0.1) ? id.toUpperCase() : id;
}

// ---------------------------------------------------------------------------------------------
// Routes with a valid body template each; the fuzzer mutates it or throws it away
// ---------------------------------------------------------------------------------------------

export interface Ctx {
  token: TokenKind;
  /**
   * May this request name the canary event? Only when its caller cannot legitimately change it
   * through this route, so that any change to the canary is a bug.
   */
  canaryAllowed: boolean;
}

/** Bodies aimed at the canary by a caller who could legitimately buy: invalid, and never mutated. */
export const CANARY_PROBE = Symbol('canary probe');

export interface Route {
  name: string;
  method: string;
  path: (ctx: Ctx) => string;
  body?: (ctx: Ctx) => unknown;
  query?: boolean;
}

export const eventIdFor = (ctx: Ctx) => (chance(0.4) ? pick(playgrounds).id : pathId(ctx.canaryAllowed));
export const anyId = () => pathId(true);
/** `/api/events/:id/categories/:catId`, usually a matching pair, so that writes get through. */
export function categoryPath(ctx: Ctx): string {
  if (chance(0.5)) {
    const event = pick(playgrounds);
    return `/api/events/${event.id}/categories/${pick(event.categorias).id}`;
  }
  return `/api/events/${eventIdFor(ctx)}/categories/${anyId()}`;
}

export const ROUTES: Route[] = [
  {
    name: 'POST /api/auth/register',
    method: 'POST',
    path: () => '/api/auth/register',
    body: () => ({
      nombre: 'Fuzz User',
      email: `fuzz-${crypto.randomUUID()}@example.test`,
      password: 'Passw0rd!',
      role: pick(['COMPRADOR', 'ORGANIZADOR', 'ADMIN']),
    }),
  },
  {
    name: 'POST /api/auth/login',
    method: 'POST',
    path: () => '/api/auth/login',
    body: () => ({
      email: pick([buyer.email, admin.email, 'nobody@example.test']),
      password: pick([FACTORY_PASSWORD, 'Wrong1234']),
    }),
  },
  { name: 'GET /api/auth/profile', method: 'GET', path: () => '/api/auth/profile' },
  { name: 'GET /api/events', method: 'GET', path: () => '/api/events', query: true },
  { name: 'GET /api/events/search', method: 'GET', path: () => '/api/events/search', query: true },
  { name: 'GET /api/events/:id', method: 'GET', path: () => `/api/events/${anyId()}` },
  {
    name: 'POST /api/events',
    method: 'POST',
    path: () => '/api/events',
    body: () => ({
      nombre: 'Fuzz event',
      descripcion: 'fuzz',
      fecha: futureDate(int(1, 400)),
      ubicacion: 'Fuzz City',
      capacidadTotal: int(1, 200),
      precioBase: pick([0, 10, 49.99]),
      categorias: [{ nombre: 'F', precio: 5, cantidadTotal: int(1, 50), beneficios: ['x'] }],
    }),
  },
  {
    name: 'PUT /api/events/:id',
    method: 'PUT',
    path: (ctx) => `/api/events/${eventIdFor(ctx)}`,
    body: () => ({ nombre: 'Fuzz renamed', capacidadTotal: int(1, 2000), precioBase: 12.5 }),
  },
  {
    name: 'DELETE /api/events/:id',
    method: 'DELETE',
    path: (ctx) =>
      `/api/events/${chance(0.5) ? pick(disposables).id : chance(0.5) ? pick(MALFORMED_IDS) : ctx.canaryAllowed && chance(0.5) ? canary.id : crypto.randomUUID()}`,
  },
  { name: 'GET /api/events/:id/categories', method: 'GET', path: () => `/api/events/${anyId()}/categories` },
  {
    name: 'POST /api/events/:id/categories',
    method: 'POST',
    path: (ctx) => `/api/events/${eventIdFor(ctx)}/categories`,
    body: () => ({ nombre: 'Fuzz cat', precio: 1, cantidadTotal: int(1, 20), beneficios: [] }),
  },
  {
    name: 'PUT /api/events/:id/categories/:catId',
    method: 'PUT',
    path: categoryPath,
    body: () => ({ nombre: 'Fuzz cat 2', precio: 2, cantidadTotal: int(1, 300) }),
  },
  { name: 'DELETE /api/events/:id/categories/:catId', method: 'DELETE', path: categoryPath },
  {
    name: 'POST /api/orders',
    method: 'POST',
    path: () => '/api/orders',
    body: (ctx) => {
      if (!ctx.canaryAllowed && chance(0.3)) {
        // A real user aiming at the canary: every such body is invalid, so nothing may be sold.
        return {
          [CANARY_PROBE]: true,
          eventoId: canary.id,
          tickets: [
            {
              categoriaId: pick(canary.categorias).id,
              cantidad: pick([0, -1, 1.5, 11, 2 ** 53, '1', null, true, [1], { n: 1 }, 1e300, 'NaN']),
            },
          ],
        };
      }
      const event = pick(playgrounds);
      return {
        eventoId: chance(0.9) ? event.id : pathId(ctx.canaryAllowed),
        tickets: [
          { categoriaId: chance(0.8) ? pick(event.categorias).id : pick(idPool(false)), cantidad: int(-1, 12) },
        ],
      };
    },
  },
  { name: 'GET /api/orders/my-orders', method: 'GET', path: () => '/api/orders/my-orders', query: true },
  {
    name: 'GET /api/orders/:id',
    method: 'GET',
    path: () => `/api/orders/${chance(0.4) ? pick(playgroundOrders) : anyId()}`,
  },
  {
    name: 'PUT /api/orders/:id/confirm',
    method: 'PUT',
    path: () => `/api/orders/${chance(0.4) ? pick(playgroundOrders) : anyId()}/confirm`,
    body: () => ({ metodoPago: 'tarjeta', transactionId: `fuzz-${int(0, 50)}` }),
  },
  {
    name: 'PUT /api/orders/:id/cancel',
    method: 'PUT',
    path: () => `/api/orders/${chance(0.4) ? pick(playgroundOrders) : anyId()}/cancel`,
  },
  { name: 'GET /api/admin/orders', method: 'GET', path: () => '/api/admin/orders', query: true },
  { name: 'GET /api/admin/stats', method: 'GET', path: () => '/api/admin/stats' },
  {
    name: 'GET /api/admin/events/:id/sales',
    method: 'GET',
    path: (ctx) => `/api/admin/events/${eventIdFor(ctx)}/sales`,
  },
  { name: 'GET /api/realtime', method: 'GET', path: () => '/api/realtime' },
  { name: 'GET /health', method: 'GET', path: () => '/health' },
  { name: 'GET /ready', method: 'GET', path: () => '/ready' },
];

export const QUERY_KEYS = [
  'page',
  'limit',
  'q',
  'ubicacion',
  'fecha',
  'disponible',
  'estado',
  'eventoId',
  'usuarioId',
  'sort',
  '__proto__',
];
/** Already as they go on the wire: some deliberately malformed (`%ZZ`, a lone `%`). */
export const QUERY_VALUES = [
  '1',
  '0',
  '-1',
  '100',
  '101',
  '1e3',
  'true',
  'RESERVED',
  '2030-01-01',
  '%',
  '_',
  '%25',
  '%ZZ',
  '%00',
  '%EF%BC%85',
  "'",
  'a%20b',
];

/** encodeURIComponent throws on lone surrogates; the fuzzer sends U+FFFD for them instead. */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}

export function randomQuery(): string {
  const parts: string[] = [];
  for (let i = int(0, 4); i > 0; i--) {
    const key = pick(QUERY_KEYS);
    const shape = int(0, 5);
    const value = chance(0.6) ? pick(QUERY_VALUES) : encode(randomString().slice(0, 300));
    if (shape === 0) parts.push(`${key}[]=${value}`);
    else if (shape === 1) parts.push(`${key}[$ne]=${value}`);
    else if (shape === 2) parts.push(`${key}=${value}&${key}=${pick(QUERY_VALUES)}`);
    else parts.push(`${key}=${value}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export function mutate(template: unknown): unknown {
  if (template === null || typeof template !== 'object' || Array.isArray(template)) return randomValue();
  const copy = JSON.parse(JSON.stringify(template)) as Record<string, unknown>;
  const keys = Object.keys(copy);
  for (let i = int(1, 3); i > 0; i--) {
    switch (int(0, 4)) {
      case 0:
        if (keys.length > 0) delete copy[pick(keys)];
        break;
      case 1:
        if (keys.length > 0) copy[pick(keys)] = randomValue();
        break;
      case 2:
        copy[pick(FIELD_NAMES)] = randomValue();
        break;
      case 3: {
        // Reach into a nested array of objects (categorias, tickets).
        const nested = keys.map((k) => copy[k]).find((v) => Array.isArray(v) && v.length > 0) as
          Record<string, unknown>[] | undefined;
        const first = nested?.[0];
        if (first && typeof first === 'object') first[pick(FIELD_NAMES)] = randomValue();
        break;
      }
      default:
        if (keys.length > 0) copy[pick(keys)] = pick(INTERESTING_NUMBERS);
    }
  }
  return copy;
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/merge-patch+json',
  '*/*',
  'application/json, text/html',
];

export interface Planned {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  note: string;
}

/** Raw bodies no serializer would produce. */
export function malformedBody(): { body: Buffer; note: string; headers?: Record<string, string> } {
  switch (int(0, 11)) {
    case 0:
      return { body: Buffer.from(''), note: 'empty body' };
    case 1:
      return {
        body: Buffer.from(
          pick(['{', '{"a":', '[1,2', "{'a':1}", '{"a":1,}', 'nul', 'tru', '{"a" 1}', '}', '"unterminated']),
        ),
        note: 'broken JSON',
      };
    case 2:
      return {
        body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
        note: 'invalid UTF-8',
      };
    case 3: {
      const depth = pick([100, 1000, 10_000, 40_000]);
      return { body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`), note: `array nested ${depth} deep` };
    }
    case 4: {
      const depth = pick([100, 1000, 5000]);
      return {
        body: Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
        note: `object nested ${depth} deep`,
      };
    }
    case 5:
      return {
        body: Buffer.from(
          `{"cantidad": ${pick(['1e999', '-1e999', '123456789012345678901234567890', '-0', '0.1e-400', '1E+2', '0001'])}, "precio": 1e400}`,
        ),
        note: 'huge number literals',
      };
    case 6:
      return { body: Buffer.from(JSON.stringify({ nombre: 'x'.repeat(110 * 1024) })), note: 'over 100 kB' };
    case 7:
      return { body: Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]), note: 'UTF-8 BOM' };
    case 8:
      return { body: Buffer.from('{"a":"\\ud800","b":"\\u0000"}'), note: 'escaped lone surrogate and NUL' };
    case 9:
      return {
        body: zlib.gzipSync(JSON.stringify(randomValue())),
        note: 'valid gzip',
        headers: { 'content-encoding': 'gzip' },
      };
    case 10:
      return {
        body: Buffer.from(pick(['not gzip at all', '\u001f\u008b broken'])),
        note: 'invalid compressed body',
        headers: { 'content-encoding': pick(['gzip', 'deflate', 'br']) },
      };
    default:
      return {
        body: Buffer.from('{"a":1}'),
        note: 'unknown content-encoding',
        headers: { 'content-encoding': pick(['compress', 'x-custom', 'identity, gzip']) },
      };
  }
}

export const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export function plan(index: number): Planned {
  // Every route in turn, so each is exercised about equally; everything else is random.
  const route = ROUTES[index % ROUTES.length]!;
  // Half the time a real user of a useful role, so that writes get past authentication.
  const token = chance(0.5)
    ? pick<TokenKind>(['admin', 'organizer', 'organizer', 'buyer', 'buyer', 'otherBuyer', 'otherOrganizer'])
    : pick(TOKEN_KINDS);
  // Who could legitimately change the canary through this route: any signed-in user by buying,
  // an administrator through the event and category routes. They never get to name it (except
  // in invalid purchase probes); everyone else may, and must be refused.
  const privileged = route.name === 'POST /api/orders' ? VALID_USER_TOKENS.has(token) : token === 'admin';
  const ctx: Ctx = { token, canaryAllowed: !privileged };

  let method = route.method;
  let path = route.path(ctx);
  if (route.query || chance(0.1)) path += randomQuery();
  // Another method on the same path, unless that could turn a read of the canary into a write.
  if (chance(0.03) && !(VALID_USER_TOKENS.has(token) && path.includes(canary.id))) {
    method = pick(['PATCH', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'GET']);
  }

  const headers: Record<string, string> = {};
  const auth = authorization(token);
  if (auth !== undefined) headers.authorization = auth;
  if (chance(0.1))
    headers['idempotency-key'] = pick(['k', 'same-key', "';--", 'x'.repeat(300), '\u00e9t\u00e9', crypto.randomUUID()]);
  if (chance(0.05)) headers['x-request-id'] = pick(['abc', 'a'.repeat(500), '\u00ff\u00fe', '../..']);

  let body: Buffer | undefined;
  let note = `token=${token}`;
  const template = route.body?.(ctx) as Record<string | symbol, unknown> | undefined;
  const probe = template?.[CANARY_PROBE] === true;
  const r = random();
  if (method === 'GET' || method === 'DELETE') {
    if (chance(0.15)) {
      body = json(randomValue());
      headers['content-type'] = 'application/json';
      note += ' body on a bodiless method';
    }
  } else if (template && (probe || r < 0.2)) {
    body = json(template);
    headers['content-type'] = 'application/json';
    note += probe ? ' invalid purchase on the canary' : ' valid template';
  } else if (template && r < 0.5) {
    body = json(mutate(template));
    headers['content-type'] = 'application/json';
    note += ' mutated template';
  } else if (r < 0.65) {
    body = json(randomValue());
    headers['content-type'] = 'application/json';
    note += ' random JSON';
  } else if (r < 0.85) {
    const m = malformedBody();
    body = m.body;
    headers['content-type'] = 'application/json';
    Object.assign(headers, m.headers);
    note += ` ${m.note}`;
  } else {
    body = chance(0.5) ? json(template ?? randomValue()) : Buffer.from('nombre=x&email=y&eventoId=1');
    headers['content-type'] = pick(CONTENT_TYPES);
    note += ` content-type ${headers['content-type']}`;
  }
  // Belt and braces: a privileged caller's body names the canary event only in a probe.
  if (privileged && !probe && body?.includes(canary.id)) {
    body = Buffer.from(body.toString('latin1').split(canary.id).join(crypto.randomUUID()), 'latin1');
  }
  // Always framed by Content-Length: without it a body on GET or DELETE would be read by the
  // server as the start of the next request on the connection.
  if (body !== undefined) headers['content-length'] = String(body.length);
  return { route: route.name, method, path, headers, body, note };
}

/** Starts the service and creates the cast: users, the canary, playgrounds with orders, disposables. */
export async function setUpCast(): Promise<void> {
  svc = await startTestService({ BCRYPT_COST: '4' });
  [admin, organizer, otherOrganizer, buyer, otherBuyer, canaryOwner] = await createUsers(svc, [
    'ADMIN',
    'ORGANIZADOR',
    'ORGANIZADOR',
    'COMPRADOR',
    'COMPRADOR',
    'ORGANIZADOR',
  ]);
  canary = await createEvent(svc, canaryOwner, { nombre: 'Fuzz canary', capacidadTotal: 500 }, [
    { nombre: 'Canary A', precio: 10, cantidadTotal: 100 },
    { nombre: 'Canary B', precio: 20, cantidadTotal: 60 },
  ]);
  playgrounds = await Promise.all(
    [organizer, organizer, otherOrganizer].map((o, i) =>
      createEvent(svc, o, { nombre: `Fuzz playground ${i}`, capacidadTotal: 1000 }, [
        { nombre: 'P1', precio: 5, cantidadTotal: 200 },
        { nombre: 'P2', precio: 7.5, cantidadTotal: 30 },
      ]),
    ),
  );
  disposables = await Promise.all(
    [organizer, otherOrganizer, organizer, admin].map((o, i) =>
      createEvent(svc, o, { nombre: `Fuzz disposable ${i}` }, [{ cantidadTotal: 20 }]),
    ),
  );
  playgroundOrders = [];
  for (const [user, event] of [
    [buyer, playgrounds[0]!],
    [otherBuyer, playgrounds[1]!],
    [buyer, playgrounds[2]!],
  ] as const) {
    playgroundOrders.push((await reserve(svc, user, event.id, [line(event.categorias[0]!, 2)])).id);
  }
}
