import type pg from 'pg';
import { createClient } from 'redis';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';

/** Where counters live: `memory` (one instance), `redis` or `postgres` (shared by every instance). */
export type RateLimitStore = 'memory' | 'redis' | 'postgres';

export interface RateLimitSettings {
  store: RateLimitStore;
  redisUrl?: string;
  /** `POST /api/orders` per user per minute. */
  ordersPerMinute: number;
  /** Login and register attempts per client address and endpoint per minute. */
  authPerMinute: number;
  /** Failed logins per account before it is refused for `loginLockSeconds`, from any address. */
  loginFailuresPerAccount: number;
  loginLockSeconds: number;
}

/** The 429 answer: RATE_LIMITED, with when to retry (the error handler sends it as Retry-After). */
export function rateLimited(message: string, retryAfterMs: number): AppError {
  const error = new AppError('RATE_LIMITED', message);
  error.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return error;
}

/** Table of the PostgreSQL store, created by migrations/0006 (the layout rate-limiter-flexible expects). */
const PG_TABLE = 'rate_limits';

/**
 * Counters for the rate limits, built on rate-limiter-flexible. With a shared store, a key over its
 * limit is also blocked in this process's memory until its window ends, so a client hammering an
 * endpoint costs no store round trip per request once refused; and if the store is unreachable
 * the limits fall back to this process's memory instead of failing requests.
 */
export class RateLimits {
  private readonly orders: RateLimiterAbstract;
  private readonly authByAddress: RateLimiterAbstract;
  private readonly loginFailures: RateLimiterAbstract;
  private readonly closeStore: () => Promise<void>;

  constructor(settings: RateLimitSettings, pool: pg.Pool, logger: Logger) {
    const make = buildFactory(settings, pool, logger);
    this.orders = make('orders', settings.ordersPerMinute, 60);
    this.authByAddress = make('auth', settings.authPerMinute, 60);
    this.loginFailures = make('login-fail', settings.loginFailuresPerAccount, settings.loginLockSeconds);
    this.closeStore = make.close;
  }

  /** One order attempt by this user; throws RATE_LIMITED past the limit. */
  async order(userId: string): Promise<void> {
    await consume(this.orders, userId, 'Too many order requests; wait a moment and try again');
  }

  /** One login or register attempt from this address (per endpoint). */
  async authAttempt(endpoint: 'login' | 'register', address: string): Promise<void> {
    await consume(this.authByAddress, `${endpoint}:${address}`, 'Too many attempts; try again in a minute');
  }

  /**
   * Before checking a password: refused while the account has had too many failures, whatever
   * the address, so a distributed guesser gets no more tries (the answer says nothing about
   * whether the account exists).
   */
  async assertLoginAllowed(email: string): Promise<void> {
    const state = await this.loginFailures.get(email);
    if (state && state.consumedPoints >= this.loginFailures.points) {
      throw rateLimited('Too many failed sign-ins for this account; try again later', state.msBeforeNext);
    }
  }

  async loginFailed(email: string): Promise<void> {
    await this.loginFailures.penalty(email, 1);
  }

  async loginSucceeded(email: string): Promise<void> {
    await this.loginFailures.delete(email);
  }

  close(): Promise<void> {
    return this.closeStore();
  }
}

async function consume(limiter: RateLimiterAbstract, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (refusal: unknown) {
    if (refusal instanceof RateLimiterRes) throw rateLimited(message, refusal.msBeforeNext);
    throw refusal;
  }
}

type Factory = ((name: string, points: number, durationSeconds: number) => RateLimiterAbstract) & {
  close: () => Promise<void>;
};

function buildFactory(settings: RateLimitSettings, pool: pg.Pool, logger: Logger): Factory {
  if (settings.store === 'memory') {
    return Object.assign(
      (name: string, points: number, duration: number) => new RateLimiterMemory({ keyPrefix: name, points, duration }),
      { close: async () => undefined },
    );
  }
  const fallback = (name: string, points: number, duration: number) =>
    new RateLimiterMemory({ keyPrefix: name, points, duration });
  if (settings.store === 'redis') {
    const client = createClient({ url: settings.redisUrl });
    client.on('error', (err) => logger.warn({ err }, 'rate-limit redis client error'));
    // Commands sent before the connection is up wait in the client's queue.
    const connecting = client
      .connect()
      .catch((err: unknown) => logger.warn({ err }, 'rate-limit redis connect failed'));
    return Object.assign(
      (name: string, points: number, duration: number) =>
        new RateLimiterRedis({
          storeClient: client,
          useRedisPackage: true,
          keyPrefix: `rl:${name}`,
          points,
          duration,
          inMemoryBlockOnConsumed: points,
          insuranceLimiter: fallback(name, points, duration),
        }),
      {
        close: async () => {
          await connecting;
          await client.quit().catch(() => undefined);
        },
      },
    );
  }
  return Object.assign(
    (name: string, points: number, duration: number) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: PG_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: true,
        keyPrefix: name,
        points,
        duration,
        inMemoryBlockOnConsumed: points,
        insuranceLimiter: fallback(name, points, duration),
      }),
    { close: async () => undefined },
  );
}
