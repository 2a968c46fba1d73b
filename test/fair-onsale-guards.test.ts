import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/shared/config';

/** Production guards: explicit TRUST_PROXY and METRICS_TOKEN, and no seed with published passwords. */
const strong = 'k3Jx9-Qp2Lm8Zr4Tw7Vb1Nc6Yh5Gd0Fs_aE';
const production = {
  NODE_ENV: 'production',
  JWT_SECRET: strong,
  TICKET_SIGNING_SECRET: strong,
  ALLOW_SIMULATED_PAYMENTS: 'true',
};

it('refuses to start in production without an explicit TRUST_PROXY or without METRICS_TOKEN, naming them', () => {
  expect(() => loadConfig({ ...production, METRICS_TOKEN: 'metrics-token-0123456789' })).toThrow(
    /TRUST_PROXY: must be set explicitly/,
  );
  expect(() => loadConfig({ ...production, TRUST_PROXY: 'false' })).toThrow(/METRICS_TOKEN: is required/);
  const config = loadConfig({ ...production, TRUST_PROXY: 'true', METRICS_TOKEN: 'metrics-token-0123456789' });
  expect(config.trustProxy).toBe(true);
  expect(config.metricsToken).toBe('metrics-token-0123456789');
  // Outside production the defaults apply.
  expect(loadConfig({}).trustProxy).toBe(false);
});

it('reads the rate-limit settings, with the store following REDIS_URL unless chosen', () => {
  const defaults = loadConfig({});
  expect(defaults.rateLimits).toEqual({
    store: 'memory',
    ordersPerMinute: 30,
    loginFailuresPerAccount: 10,
    loginLockSeconds: 900,
  });
  expect(defaults.sockets).toEqual({ joinsPer10s: 20, maxEventRooms: 50 });
  expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).rateLimits.store).toBe('redis');
  expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_STORE: 'postgres' }).rateLimits.store).toBe(
    'postgres',
  );
  expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis' })).toThrow(ConfigError);
  expect(() => loadConfig({ ORDER_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/ORDER_RATE_LIMIT_PER_MINUTE/);
});

it('refuses `npm run seed` under NODE_ENV=production unless ALLOW_SEED_IN_PRODUCTION=true', () => {
  const root = path.resolve(__dirname, '..');
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/seed/run-seed.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('Refusing to seed with NODE_ENV=production');
  expect(run.stderr).toContain('ALLOW_SEED_IN_PRODUCTION');
});
