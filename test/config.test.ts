import { ConfigError, loadConfig } from '../src/shared/config';

const strong = 'k3Jx9-Qp2Lm8Zr4Tw7Vb1Nc6Yh5Gd0Fs_aE';

describe('configuration', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.wsPort).toBe(3001);
    expect(config.auth.jwtExpiresIn).toBe('7d');
    expect(config.auth.bcryptCost).toBe(12);
    expect(config.orders.reservationTimeoutMs).toBe(600_000);
    expect(config.orders.maxTicketsPerOrder).toBe(10);
    expect(config.auth.rateLimitPerMinute).toBe(20);
    expect(config.lowStockThreshold).toEqual({ kind: 'percent', value: 10 });
    expect(config.db.url).toBeUndefined();
  });

  it('accepts decimal reservation timeouts and both kinds of low-stock threshold', () => {
    expect(loadConfig({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.05' }).orders.reservationTimeoutMs).toBe(3000);
    expect(loadConfig({ LOW_STOCK_THRESHOLD: '15' }).lowStockThreshold).toEqual({ kind: 'absolute', value: 15 });
    expect(loadConfig({ LOW_STOCK_THRESHOLD: '25%' }).lowStockThreshold).toEqual({ kind: 'percent', value: 25 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['JWT_EXPIRES_IN', 'forever'],
    ['ORDER_RESERVATION_TIMEOUT_MINUTES', '-1'],
    ['MAX_TICKETS_PER_ORDER', '0'],
    ['LOW_STOCK_THRESHOLD', 'ten'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'http://x'],
  ])('stops start-up on a bad %s (%s), naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('requires a strong JWT_SECRET in production, and bcrypt cost 12 or more', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) })).toThrow(/too weak/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'your-super-secure-secret-key-change-in-production' }),
    ).toThrow(/too weak/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, BCRYPT_COST: '10' })).toThrow(/BCRYPT_COST/);
    const guards = { TRUST_PROXY: 'false', METRICS_TOKEN: 'metrics-token-0123456789' };
    expect(
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: strong,
        ALLOW_SIMULATED_PAYMENTS: 'true',
        TICKET_SIGNING_SECRET: strong,
        ...guards,
      }).auth.jwtSecret,
    ).toBe(strong);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).port).toBe(3000);
  });
});
