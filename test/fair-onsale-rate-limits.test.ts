import { sql } from 'kysely';
import { createEvent, createUser, FACTORY_PASSWORD, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectError } from './helpers/expect';
import { servicesClosedAfterAll, type TestService } from './helpers/service';

/** ORDER_RATE_LIMIT_PER_MINUTE on POST /api/orders, and per-address plus per-account limits on login. */
const start = servicesClosedAfterAll();

async function fetchRaw(url: string, token: string, body: unknown) {
  const res = await fetch(`${url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

describe('POST /api/orders rate limit (ORDER_RATE_LIMIT_PER_MINUTE=4)', () => {
  it('answers the 5th attempt of a user within a minute 429 RATE_LIMITED with Retry-After; others are unaffected', async () => {
    const svc = await start({ ORDER_RATE_LIMIT_PER_MINUTE: '4' });
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
    const body = { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] };
    const buyer = await createUser(svc);
    // Invalid requests count too: probing with bad bodies is no way around the limit.
    expect((await fetchRaw(svc.url, buyer.token, { eventoId: 'nope' })).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await fetchRaw(svc.url, buyer.token, body)).status).toBe(201);
    const limited = await fetchRaw(svc.url, buyer.token, body);
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    // Nothing was reserved by the refused request.
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM orders WHERE user_id = ${buyer.id}`.execute(svc.database.db);
    expect(rows[0]!.n).toBe(3);

    const other = await createUser(svc);
    expect((await fetchRaw(svc.url, other.token, body)).status).toBe(201);
  });

  it('counts each user once across instances with RATE_LIMIT_STORE=postgres', async () => {
    const env = { ORDER_RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_STORE: 'postgres' };
    const [a, b] = await Promise.all([start(env), start(env)]);
    const organizer = await createUser(a, 'ORGANIZADOR');
    const event = await createEvent(a, organizer, {}, [{ cantidadTotal: 100 }]);
    const body = { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] };
    const buyer = await createUser(a);
    const answers = await Promise.all([a, b, a, b, a, b].map((s) => fetchRaw(s.url, buyer.token, body)));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(4);
    for (const r of answers.filter((x) => x.status !== 201)) expectError(r, 429, 'RATE_LIMITED');
    const { rows } = await sql<{
      points: number;
    }>`SELECT points FROM rate_limits WHERE key = ${`orders:${buyer.id}`}`.execute(a.database.db);
    expect(rows[0]!.points).toBeGreaterThanOrEqual(6);
  });
});

describe('login limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await start({
      TRUST_PROXY: 'true',
      AUTH_RATE_LIMIT_PER_MINUTE: '3',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      BCRYPT_COST: '4',
    });
  });
  const login = (email: string, password: string, from: string) =>
    call(svc.url, 'POST', '/api/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': from } });
  let n = 0;
  const freshAddress = () => `198.51.100.${++n}`;

  it('locks an account after too many failures from any addresses, even for the right password; others unaffected', async () => {
    const victim: TestUser = await createUser(svc);
    for (let i = 0; i < 3; i++)
      expectError(await login(victim.email, `Wrong${i}pass`, freshAddress()), 401, 'INVALID_CREDENTIALS');
    const locked = await fetch(`${svc.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshAddress() },
      body: JSON.stringify({ email: victim.email.toUpperCase(), password: FACTORY_PASSWORD }),
    });
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as any).error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);

    const other = await createUser(svc);
    expect((await login(other.email, FACTORY_PASSWORD, freshAddress())).status).toBe(200);
  });

  it('forgets the failures of an account once it signs in', async () => {
    const user = await createUser(svc);
    for (let i = 0; i < 2; i++)
      expectError(await login(user.email, 'Wrong1pass', freshAddress()), 401, 'INVALID_CREDENTIALS');
    expect((await login(user.email, FACTORY_PASSWORD, freshAddress())).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expectError(await login(user.email, 'Wrong1pass', freshAddress()), 401, 'INVALID_CREDENTIALS');
    expect((await login(user.email, FACTORY_PASSWORD, freshAddress())).status).toBe(200);
  });

  it('limits attempts per address (behind a trusted proxy: the forwarded one)', async () => {
    const address = freshAddress();
    for (let i = 0; i < 3; i++) {
      const user = await createUser(svc);
      expect((await login(user.email, FACTORY_PASSWORD, address)).status).toBe(200);
    }
    const user = await createUser(svc);
    expectError(await login(user.email, FACTORY_PASSWORD, address), 429, 'RATE_LIMITED');
    expect((await login(user.email, FACTORY_PASSWORD, freshAddress())).status).toBe(200);
  });
});
