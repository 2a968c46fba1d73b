import jwt from 'jsonwebtoken';
import { createUser, uniqueEmail } from './helpers/factories';
import { postRawJson } from './helpers/api';
import { startTestService, TEST_JWT_SECRET, type TestService } from './helpers/service';
import { expectError, expectValidationError, UUID, ISO_UTC } from './helpers/expect';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

const PASSWORD = 'Secret123';

function expectUser(user: unknown, expected: { nombre: string; email: string; role: string }) {
  expect(user).toEqual({
    id: expect.stringMatching(UUID),
    nombre: expected.nombre,
    email: expected.email,
    role: expected.role,
    createdAt: expect.stringMatching(ISO_UTC),
  });
}

const registration = (overrides: Record<string, unknown> = {}) => ({
  nombre: 'Ana García',
  email: uniqueEmail('reg'),
  password: PASSWORD,
  ...overrides,
});

const register = (body: unknown) =>
  svc
    .api()
    .post('/api/auth/register')
    .send(body as object);
const login = (email: string, password: string) => svc.api().post('/api/auth/login').send({ email, password });
const profile = (authorization?: string) => {
  const req = svc.api().get('/api/auth/profile');
  return authorization === undefined ? req : req.set('Authorization', authorization);
};

const storedHash = async (email: string) =>
  (
    await svc.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('email', '=', email)
      .executeTakeFirstOrThrow()
  ).password_hash;

describe('POST /api/auth/register', () => {
  it('creates a COMPRADOR by default and answers 201 {token, user} without any password field', async () => {
    const body = registration();
    const res = await register(body);

    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['token', 'user']);
    expect(typeof res.body.token).toBe('string');
    expectUser(res.body.user, { nombre: body.nombre, email: body.email, role: 'COMPRADOR' });
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash|\$2[aby]\$/i);
  });

  it('returns a token that authenticates the new user', async () => {
    const res = await register(registration());
    const me = await profile(`Bearer ${res.body.token}`);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('trims and lower-cases the email', async () => {
    const email = uniqueEmail('mixed');
    const res = await register(registration({ email: `  ${email.toUpperCase()}  ` }));
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(email);
  });

  it('allows registering as ORGANIZADOR', async () => {
    const res = await register(registration({ role: 'ORGANIZADOR' }));
    expect(res.status).toBe(201);
    expect(res.body.user.role).toBe('ORGANIZADOR');
  });

  it('refuses self-registration as ADMIN with 403 FORBIDDEN and creates no account', async () => {
    const body = registration({ role: 'ADMIN' });
    expectError(await register(body), 403, 'FORBIDDEN');
    const row = await svc.database.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', body.email)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('answers 409 EMAIL_TAKEN for an email already registered', async () => {
    const body = registration();
    expect((await register(body)).status).toBe(201);
    expectError(await register({ ...body, nombre: 'Someone Else' }), 409, 'EMAIL_TAKEN');
  });

  it('treats emails differing only in case (and surrounding spaces) as the same', async () => {
    const body = registration();
    expect((await register(body)).status).toBe(201);
    expectError(await register({ ...body, email: ` ${body.email.toUpperCase()} ` }), 409, 'EMAIL_TAKEN');
  });

  it('stores the password as a bcrypt hash of cost 12, never in clear', async () => {
    const body = registration();
    expect((await register(body)).status).toBe(201);
    const hash = await storedHash(body.email);
    expect(hash).toMatch(/^\$2b\$12\$/);
    expect(hash).not.toContain(PASSWORD);
  });

  describe('validation', () => {
    const { email: _email, ...withoutEmail } = registration();
    const { nombre: _nombre, ...withoutNombre } = registration();
    const { password: _password, ...withoutPassword } = registration();

    it.each<[string, () => unknown, string[]]>([
      ['an empty object', () => ({}), ['nombre', 'email', 'password']],
      ['a missing nombre', () => ({ ...withoutNombre, email: uniqueEmail() }), ['nombre']],
      ['a missing email', () => withoutEmail, ['email']],
      ['a missing password', () => ({ ...withoutPassword, email: uniqueEmail() }), ['password']],
      ['a malformed email', () => registration({ email: 'not-an-email' }), ['email']],
      ['an email without domain', () => registration({ email: 'someone@' }), ['email']],
      ['a password shorter than 8 characters', () => registration({ password: 'Abc1234' }), ['password']],
      ['a password without a digit', () => registration({ password: 'abcdefghij' }), ['password']],
      ['a password without a letter', () => registration({ password: '1234567890' }), ['password']],
      ['an empty nombre', () => registration({ nombre: '' }), ['nombre']],
      ['a whitespace-only nombre', () => registration({ nombre: '   ' }), ['nombre']],
      ['an unknown role', () => registration({ role: 'SUPERUSER' }), ['role']],
      ['a numeric nombre', () => registration({ nombre: 123 }), ['nombre']],
      ['a numeric email', () => registration({ email: 42 }), ['email']],
      ['a numeric password', () => registration({ password: 12345678 }), ['password']],
      ['a non-string role', () => registration({ role: true }), ['role']],
    ])('rejects %s with 400 VALIDATION_ERROR naming the field', async (_label, body, paths) => {
      expectValidationError(await register(body()), paths);
    });

    it('does not create an account when validation fails', async () => {
      const body = registration({ password: 'short1' });
      expectValidationError(await register(body), ['password']);
      const row = await svc.database.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', body.email)
        .executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it.each([
      ['a JSON array', '[]'],
      ['a JSON string', '"hello"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
    ])('rejects %s as body with 400 VALIDATION_ERROR', async (_label, raw) => {
      expectError(await postRawJson(svc, '/api/auth/register', raw), 400, 'VALIDATION_ERROR');
    });

    it('rejects malformed JSON with 400 VALIDATION_ERROR', async () => {
      expectError(await postRawJson(svc, '/api/auth/register', '{"nombre": "Ana", "email":'), 400, 'VALIDATION_ERROR');
    });
  });
});

describe('login and profile', () => {
  let account: { nombre: string; email: string; password: string };
  let registered: { token: string; user: { id: string } };

  beforeAll(async () => {
    account = registration({ nombre: 'Login Tester' });
    const res = await register(account);
    expect(res.status).toBe(201);
    registered = res.body;
  });

  describe('POST /api/auth/login', () => {
    it('answers 200 {token, user} with a token usable on /api/auth/profile', async () => {
      const res = await login(account.email, account.password);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['token', 'user']);
      expect(res.body.user).toEqual(registered.user);

      const me = await profile(`Bearer ${res.body.token}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual(registered.user);
    });

    it('matches the email case-insensitively and ignores surrounding spaces', async () => {
      const res = await login(`  ${account.email.toUpperCase()} `, account.password);
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(registered.user.id);
    });

    it('answers 401 INVALID_CREDENTIALS with the same message for unknown email and wrong password', async () => {
      const unknown = await login(uniqueEmail('nobody'), account.password);
      const wrong = await login(account.email, 'Wrong1234');
      expectError(unknown, 401, 'INVALID_CREDENTIALS');
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      expect(wrong.body).toEqual(unknown.body);
    });

    it('is case-sensitive on the password', async () => {
      expectError(await login(account.email, account.password.toUpperCase()), 401, 'INVALID_CREDENTIALS');
    });

    it('rejects a body without password with 400 VALIDATION_ERROR', async () => {
      expectValidationError(await svc.api().post('/api/auth/login').send({ email: account.email }), ['password']);
    });
  });

  describe('GET /api/auth/profile', () => {
    const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = () => ({ sub: registered.user.id, role: 'COMPRADOR' });
    const signWith = (secret: string, payload: object) => jwt.sign(payload, secret, { algorithm: 'HS256' });

    it('answers 200 with the caller as user', async () => {
      const res = await profile(`Bearer ${registered.token}`);
      expect(res.status).toBe(200);
      expectUser(res.body, { nombre: account.nombre, email: account.email, role: 'COMPRADOR' });
      expect(res.body.id).toBe(registered.user.id);
    });

    it('accepts a token built by hand with the server secret (control for the forged tokens below)', async () => {
      const res = await profile(`Bearer ${signWith(TEST_JWT_SECRET, claims())}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(registered.user.id);
    });

    it('answers 401 UNAUTHORIZED without a token', async () => {
      expectError(await profile(), 401, 'UNAUTHORIZED');
    });

    it.each([
      ['a bare token without scheme', () => registered.token],
      ['another scheme', () => `Basic ${registered.token}`],
      ['the scheme alone', () => 'Bearer'],
      ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
      ['two tokens', () => `Bearer ${registered.token} ${registered.token}`],
    ])('answers 401 UNAUTHORIZED for a malformed header: %s', async (_label, header) => {
      expectError(await profile(header()), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a token signed with another secret', async () => {
      const forged = signWith('another-secret-that-is-also-long-enough-0123456789', claims());
      expectError(await profile(`Bearer ${forged}`), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for an expired token', async () => {
      const expired = signWith(TEST_JWT_SECRET, { ...claims(), exp: Math.floor(Date.now() / 1000) - 60 });
      expectError(await profile(`Bearer ${expired}`), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for an unsigned `alg: none` token', async () => {
      const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
      expectError(await profile(`Bearer ${unsigned}`), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a token whose payload was altered after signing', async () => {
      const [header, payload, signature] = registered.token.split('.');
      const altered = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')), role: 'ADMIN' };
      const tampered = `${header}.${b64url(altered)}.${signature}`;
      expectError(await profile(`Bearer ${tampered}`), 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a validly signed token without a subject', async () => {
      const res = await profile(`Bearer ${signWith(TEST_JWT_SECRET, { role: 'COMPRADOR' })}`);
      expectError(res, 401, 'UNAUTHORIZED');
    });

    it('answers 401 UNAUTHORIZED for a valid token of a user that does not exist', async () => {
      const ghost = signWith(TEST_JWT_SECRET, { sub: '00000000-0000-4000-8000-000000000000', role: 'COMPRADOR' });
      expectError(await profile(`Bearer ${ghost}`), 401, 'UNAUTHORIZED');
    });

    it('reports the role of a factory-created user', async () => {
      const organizer = await createUser(svc, 'ORGANIZADOR', 'Org Person');
      const res = await svc.api().get('/api/auth/profile').set(organizer.auth);
      expect(res.status).toBe(200);
      expectUser(res.body, { nombre: 'Org Person', email: organizer.email, role: 'ORGANIZADOR' });
    });
  });
});

describe('rate limiting (AUTH_RATE_LIMIT_PER_MINUTE=3)', () => {
  let limited: TestService;
  beforeAll(async () => {
    limited = await startTestService({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => limited.close());

  it('answers the 4th login from the same client within a minute with 429 RATE_LIMITED', async () => {
    const attempt = () =>
      limited
        .api()
        .post('/api/auth/login')
        .send({ email: uniqueEmail('rl'), password: 'Wrong1234' });
    for (let i = 0; i < 3; i++) expectError(await attempt(), 401, 'INVALID_CREDENTIALS');
    expectError(await attempt(), 429, 'RATE_LIMITED');
  });

  it('answers the 4th registration from the same client within a minute with 429 RATE_LIMITED', async () => {
    const attempt = () => limited.api().post('/api/auth/register').send(registration());
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(201);
    const blocked = registration();
    expectError(await limited.api().post('/api/auth/register').send(blocked), 429, 'RATE_LIMITED');
    const row = await limited.database.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', blocked.email)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('does not limit the profile endpoint', async () => {
    const user = await createUser(limited);
    for (let i = 0; i < 5; i++) {
      expect((await limited.api().get('/api/auth/profile').set(user.auth)).status).toBe(200);
    }
  });
});
