import { createEvent, createUser } from './helpers/factories';
import { call } from './helpers/http';
import { expectError } from './helpers/expect';
import { startTestService, type TestService } from './helpers/service';

/**
 * RATE_LIMIT_STORE=redis, the default when REDIS_URL is set: counters shared by every instance.
 * Runs when TEST_REDIS_URL points at a Redis server (`.ci/run` sets it); jest.config.js leaves the
 * Redis suites out otherwise.
 */
const redisUrl = process.env.TEST_REDIS_URL!;
let a: TestService;
let b: TestService;

beforeAll(async () => {
  const env = { REDIS_URL: redisUrl, ORDER_RATE_LIMIT_PER_MINUTE: '4' };
  [a, b] = await Promise.all([startTestService(env), startTestService(env)]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

it('counts each user once across instances through Redis, and leaves other users alone', async () => {
  const organizer = await createUser(a, 'ORGANIZADOR');
  const event = await createEvent(a, organizer, {}, [{ cantidadTotal: 100 }]);
  const body = { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 1 }] };
  const buyer = await createUser(a);

  const answers = await Promise.all(
    [a, b, a, b, a, b, a, b].map((s) => call(s.url, 'POST', '/api/orders', { token: buyer.token, body })),
  );
  // Four per minute in all, not four per instance.
  expect(answers.filter((r) => r.status === 201)).toHaveLength(4);
  for (const refused of answers.filter((r) => r.status !== 201)) expectError(refused, 429, 'RATE_LIMITED');
  const again = await fetch(`${b.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` },
    body: JSON.stringify(body),
  });
  expect(again.status).toBe(429);
  expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

  const other = await createUser(b);
  expect((await call(a.url, 'POST', '/api/orders', { token: other.token, body })).status).toBe(201);
});
