import type { Test } from 'supertest';
import { createUser, eventBody, type TestUser } from './helpers/factories';
import { postRawJson } from './helpers/api';
import { startTestService, type TestService } from './helpers/service';
import { expectCleanError, expectErrorShape } from './helpers/expect';

let svc: TestService;
let organizer: TestUser;
beforeAll(async () => {
  svc = await startTestService();
  organizer = await createUser(svc, 'ORGANIZADOR');
});
afterAll(() => svc.close());

describe('unknown routes', () => {
  it.each<[string, () => Test]>([
    ['GET /api/nope', () => svc.api().get('/api/nope')],
    ['GET /nope (outside /api)', () => svc.api().get('/nope')],
    ['POST /api/events/:id/unknown', () => svc.api().post('/api/events/3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c/unknown')],
    ['DELETE /api/auth/login (route exists for another method)', () => svc.api().delete('/api/auth/login')],
  ])('%s answers 404 NOT_FOUND in the error shape', async (_label, request) => {
    expectCleanError(await request(), 404, 'NOT_FOUND');
  });
});

describe('request bodies', () => {
  it.each([
    ['a truncated object', '{"email": "a@b.c", "password":'],
    ['single quotes', "{'email': 'a@b.c'}"],
    ['a trailing comma', '{"email": "a@b.c",}'],
  ])('answers malformed JSON (%s) with 400 VALIDATION_ERROR', async (_label, raw) => {
    expectCleanError(await postRawJson(svc, '/api/auth/login', raw), 400, 'VALIDATION_ERROR');
  });

  it('answers malformed JSON on an unknown route with 400 too (the body is read first)', async () => {
    expectCleanError(await postRawJson(svc, '/api/nope', '{"broken":'), 400, 'VALIDATION_ERROR');
  });

  it('answers a body over 100 kB with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ nombre: 'x'.repeat(150 * 1024), email: 'big@example.test', password: 'Secret123' });
    expectCleanError(await postRawJson(svc, '/api/auth/register', big), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('still reads a body just under 100 kB (and validates it)', async () => {
    const body = JSON.stringify({ nombre: 'x'.repeat(90 * 1024), email: 'big@example.test', password: 'Secret123' });
    const res = await postRawJson(svc, '/api/auth/register', body);
    expectCleanError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['nombre']);
  });

  it('answers text that PostgreSQL cannot store (a NUL character) with 400 VALIDATION_ERROR, not 500', async () => {
    const res = await svc
      .api()
      .post('/api/events')
      .set(organizer.auth)
      .send(eventBody({ ubicacion: 'Sala\u0000B' }));
    expectCleanError(res, 400, 'VALIDATION_ERROR');
  });
});

describe('security headers', () => {
  it.each<[string, () => Test]>([
    ['a successful response', () => svc.api().get('/api/events')],
    ['an error response', () => svc.api().get('/api/nope')],
  ])('are set by helmet on %s, and x-powered-by is absent', async (_label, request) => {
    const res = await request();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toEqual(expect.stringContaining("default-src 'self'"));
    expect(res.headers['strict-transport-security']).toEqual(expect.stringContaining('max-age='));
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('CORS', () => {
  it('allows cross-origin reads', async () => {
    const res = await svc.api().get('/api/events').set('Origin', 'https://app.example.com');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers the preflight of an authenticated JSON write', async () => {
    const res = await svc
      .api()
      .options('/api/events')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toEqual(expect.stringContaining('PUT'));
    expect(res.headers['access-control-allow-methods']).toEqual(expect.stringContaining('DELETE'));
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toEqual(
      expect.stringContaining('authorization'),
    );
  });

  it('puts the CORS header on error responses too', async () => {
    const res = await svc.api().get('/api/nope').set('Origin', 'https://app.example.com');
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('error bodies never leak internals', () => {
  it.each<[string, () => Test]>([
    ['unknown route', () => svc.api().get('/api/nope')],
    ['malformed JSON', () => postRawJson(svc, '/api/auth/login', '{"email":')],
    ['field validation', () => svc.api().post('/api/auth/register').send({ email: 'nope' })],
    ['query validation', () => svc.api().get('/api/events').query({ limit: 'lots' })],
    ['missing token', () => svc.api().get('/api/auth/profile')],
    ['forged token', () => svc.api().get('/api/auth/profile').set('Authorization', 'Bearer a.b.c')],
    ['unknown id', () => svc.api().get('/api/events/3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c')],
    ['oversized body', () => postRawJson(svc, '/api/auth/login', JSON.stringify({ email: 'x'.repeat(200 * 1024) }))],
    ['a NUL byte in a search query', () => svc.api().get('/api/events/search').query({ q: 'a\u0000b' })],
    [
      'a NUL byte in a field to be stored',
      () =>
        svc
          .api()
          .post('/api/events')
          .set(organizer.auth)
          .send(eventBody({ nombre: 'x\u0000y' })),
    ],
  ])('%s: error envelope only, no stack trace or SQL', async (_label, request) => {
    const res = await request();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expectErrorShape(res);
  });
});
