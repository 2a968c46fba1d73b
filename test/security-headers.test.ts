import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { precomputedHeaders } from '../src/shared/http/precomputed-headers';

/** helmet's headers, computed once at start-up, must be exactly the ones helmet itself sets. */
describe('precomputed security headers', () => {
  it('sets the same headers as helmet run per request, and removes X-Powered-By', async () => {
    const options = {
      contentSecurityPolicy: { directives: { 'connect-src': ["'self'", 'ws:'], 'upgrade-insecure-requests': null } },
    };
    const plain = express()
      .use(helmet(options))
      .get('/', (_req, res) => res.json({}));
    const replayed = express()
      .use(precomputedHeaders(helmet(options)))
      .get('/', (_req, res) => res.json({}));
    const a = await request(plain).get('/');
    const b = await request(replayed).get('/');
    const strip = (h: Record<string, string>) => {
      const { date: _d, etag: _e, ...rest } = h;
      return rest;
    };
    expect(strip(b.headers)).toEqual(strip(a.headers));
    expect(b.headers['x-powered-by']).toBeUndefined();
    expect(b.headers['content-security-policy']).toContain("connect-src 'self' ws:");
  });

  it('refuses at start-up a middleware that does not just set headers', () => {
    expect(() => precomputedHeaders((_req, res) => void res.end())).toThrow('did not just set headers');
    expect(() => precomputedHeaders(() => undefined)).toThrow('did not just set headers');
  });
});
