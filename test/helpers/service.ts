import supertest from 'supertest';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { startService, type RunningService } from '../../src/server';
import { TEST_DB_ENV } from '../setup/test-database';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export function testDatabaseUrl(): string {
  const url = process.env[TEST_DB_ENV];
  if (!url) throw new Error(`${TEST_DB_ENV} is not set: run the tests through jest (global setup)`);
  return url;
}

/** The environment a test service starts with; a test overrides what it is about. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    HOST: '127.0.0.1',
    PORT: '0',
    WS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    TICKET_SIGNING_SECRET: 'test-ticket-signing-secret-0123456789-abcdefgh',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    // Suites send many orders and logins per account; the limits have their own suite.
    ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '100000',
    DB_POOL_SIZE: '8',
    ...overrides,
  };
}

export type TestService = RunningService & { api: () => ReturnType<typeof supertest> };

/** The real service (HTTP server, services, jobs) on a random port, against the suite's database. */
export async function startTestService(overrides: Record<string, string> = {}): Promise<TestService> {
  const config = loadConfig(testEnv(overrides));
  const service = await startService(config, createLogger(config.logLevel));
  return Object.assign(service, { api: () => supertest(service.url) });
}

/** Starts an extra service for one test and always closes it. */
export async function withService<T>(env: Record<string, string>, body: (s: TestService) => Promise<T>): Promise<T> {
  const s = await startTestService(env);
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

/**
 * For files that start services with different settings test by test: returns `start(env)`, and
 * closes every service it started after the file's tests (call it at the top level of the file).
 */
export function servicesClosedAfterAll(): (env?: Record<string, string>) => Promise<TestService> {
  const services: TestService[] = [];
  afterAll(() => Promise.all(services.map((s) => s.close())));
  return async (env = {}) => {
    const s = await startTestService(env);
    services.push(s);
    return s;
  };
}
