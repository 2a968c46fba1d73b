import { startTestService, type TestService } from './helpers/service';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

describe('health and readiness', () => {
  it('GET /health answers while the process is alive', async () => {
    const res = await svc.api().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
  });

  it('GET /ready answers 200 when the database is reachable', async () => {
    const res = await svc.api().get('/ready').expect(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  it('sends a request id back, keeping a well-formed one from the caller', async () => {
    const own = await svc.api().get('/health').set('X-Request-Id', 'abc-123');
    expect(own.headers['x-request-id']).toBe('abc-123');
    const generated = await svc.api().get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
