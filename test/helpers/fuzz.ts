/**
 * The fuzzer's generators for test/security/fuzz.test.ts: a seeded PRNG, the cast (service, users,
 * canary and playground events), tokens of every kind, random values, ids and the route table with
 * a valid body template each, and `plan(i)`, the i-th request of the campaign.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { createEvent, createUsers, FACTORY_PASSWORD, futureDate, type EventBody, type TestUser } from './factories';
import { b64url, hmacToken } from './tokens';
import { startTestService, TEST_JWT_SECRET, type TestService } from './service';
import { line, reserve } from './api';
import {
  SEED,
  random,
  int,
  chance,
  pick,
  randomValue,
  randomQuery,
  mutate,
  CONTENT_TYPES,
  malformedBody,
  json,
  useKnownIds,
} from './fuzz-values';

export { SEED };

export const TOTAL_REQUESTS = 3000;
export const CONCURRENCY = 12;
/** The campaign stops sending early past this bound (a safety net on slow machines, not an assertion). */
export const TIME_BUDGET_MS = 40_000;

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

useKnownIds(() => idPool(false));

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

export interface Planned {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  note: string;
}

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
