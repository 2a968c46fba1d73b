import path from 'node:path';
import { z } from 'zod';
import { PAYMENT_PROVIDERS, type PaymentProviderName } from './domain';

/** How long a token lives, in the `jsonwebtoken`/`ms` notation: `3600`, `15m`, `12h`, `7d`. */
const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w|y)?$/;

const intInRange = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * `LOW_STOCK_THRESHOLD` is either an absolute number of tickets (`15`) or a share of each
 * category's `cantidadTotal` (`10%`, the default).
 */
const lowStockThreshold = z
  .string()
  .regex(/^\d+(\.\d+)?%?$/, 'must be a number of tickets (e.g. 15) or a percentage (e.g. 10%)')
  .transform((raw) =>
    raw.endsWith('%')
      ? ({ kind: 'percent', value: Number(raw.slice(0, -1)) } as const)
      : ({ kind: 'absolute', value: Number(raw) } as const),
  );

/** Published example secrets, and strings with too few distinct characters to be random. */
const KNOWN_SECRETS = [
  'your-super-secure-secret-key-change-in-production',
  'super-secure-random-key-64-characters-minimum',
];
export function isWeakSecret(secret: string): boolean {
  const lowered = secret.toLowerCase();
  return KNOWN_SECRETS.some((known) => lowered.includes(known)) || new Set(secret).size < 12;
}

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: intInRange(0, 65535).default(3000),
    WS_PORT: intInRange(0, 65535).default(3001),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    EMBEDDED_PG_PORT: intInRange(1, 65535).default(54329),
    DATA_DIR: z.string().min(1).default('.data'),
    DB_POOL_SIZE: intInRange(1, 200).default(8),
    DB_LOCK_TIMEOUT_MS: intInRange(50, 60_000).default(1000),
    DB_STATEMENT_TIMEOUT_MS: intInRange(100, 600_000).default(10_000),
    DB_CONNECT_TIMEOUT_MS: intInRange(100, 60_000).default(3000),
    DB_REALTIME_POOL_SIZE: intInRange(1, 50).default(2),
    DB_JOBS_POOL_SIZE: intInRange(1, 50).default(2),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_EXPIRES_IN: z.string().regex(DURATION, 'must look like 3600, 15m, 12h or 7d').default('7d'),
    BCRYPT_COST: intInRange(4, 15).default(12),
    ORDER_RESERVATION_TIMEOUT_MINUTES: z.coerce
      .number()
      .positive()
      .max(24 * 60)
      .default(10),
    MAX_TICKETS_PER_ORDER: intInRange(1, 1000).default(10),
    LOW_STOCK_THRESHOLD: lowStockThreshold.default({ kind: 'percent', value: 10 }),
    AUTH_RATE_LIMIT_PER_MINUTE: intInRange(1, 100_000).default(20),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: intInRange(1, 100_000).default(10),
    LOGIN_LOCK_MINUTES: intInRange(1, 24 * 60).default(15),
    ORDER_RATE_LIMIT_PER_MINUTE: intInRange(1, 10_000_000).default(30),
    RATE_LIMIT_STORE: z.enum(['memory', 'redis', 'postgres']).optional(),
    SOCKET_JOINS_PER_10S: intInRange(1, 100_000).default(20),
    SOCKET_MAX_EVENT_ROOMS: intInRange(1, 100_000).default(50),
    EXPIRY_INTERVAL_MS: intInRange(50, 60_000).default(500),
    EXPIRY_BATCH_SIZE: intInRange(1, 10_000).default(1000),
    ORDER_BATCH_SIZE: intInRange(1, 64).default(16),
    QUEUE_ADMIT_PER_SECOND: intInRange(1, 100_000).default(50),
    QUEUE_TOKEN_TTL_SECONDS: intInRange(10, 24 * 3600).default(300),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    CORS_ORIGIN: z.string().min(1).default('*'),
    // No default in production (see below): whether clients' addresses come from X-Forwarded-For
    // decides what the per-address rate limits count, so it must be a decision.
    TRUST_PROXY: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    SHUTDOWN_TIMEOUT_MS: intInRange(100, 120_000).default(10_000),
    SHUTDOWN_DRAIN_MS: intInRange(0, 120_000).default(0),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    TICKET_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    // Unset: `simulated` outside production; in production it must be chosen explicitly.
    PAYMENT_PROVIDER: z.enum(PAYMENT_PROVIDERS).optional(),
    ALLOW_SIMULATED_PAYMENTS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_\w+$/, 'must be a Stripe secret key (sk_… or rk_…)')
      .optional(),
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_\w+$/, 'must be a Stripe webhook signing secret (whsec_…)')
      .optional(),
    STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
    CURRENCY: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO currency code, e.g. eur')
      .transform((c) => c.toLowerCase())
      .default('eur'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && env.JWT_SECRET && isWeakSecret(env.JWT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is too weak for production: use a random value, e.g. `openssl rand -base64 48`',
      });
    }
    if (env.NODE_ENV === 'production' && !env.TICKET_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TICKET_SIGNING_SECRET'],
        message: 'is required when NODE_ENV=production',
      });
    }
    if (env.NODE_ENV === 'production' && env.TICKET_SIGNING_SECRET && isWeakSecret(env.TICKET_SIGNING_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TICKET_SIGNING_SECRET'],
        message: 'is too weak for production: use a random value, e.g. `openssl rand -base64 48`',
      });
    }
    if (env.NODE_ENV === 'production' && env.BCRYPT_COST < 12) {
      ctx.addIssue({ code: 'custom', path: ['BCRYPT_COST'], message: 'must be at least 12 in production' });
    }
    if (env.NODE_ENV === 'production' && env.TRUST_PROXY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message:
          'must be set explicitly when NODE_ENV=production: true behind one reverse proxy, false when clients connect directly',
      });
    }
    if (env.NODE_ENV === 'production' && !env.METRICS_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message:
          'is required when NODE_ENV=production (GET /metrics shows business figures), e.g. `openssl rand -hex 24`',
      });
    }
    if (env.RATE_LIMIT_STORE === 'redis' && !env.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['RATE_LIMIT_STORE'], message: 'redis needs REDIS_URL' });
    }
    const provider = env.PAYMENT_PROVIDER ?? 'simulated';
    if (provider === 'simulated' && env.NODE_ENV === 'production' && !env.ALLOW_SIMULATED_PAYMENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['PAYMENT_PROVIDER'],
        message:
          "simulated payments accept any buyer's word as payment and are refused when NODE_ENV=production: " +
          'set PAYMENT_PROVIDER=stripe, or ALLOW_SIMULATED_PAYMENTS=true for a demo',
      });
    }
    if (provider === 'stripe') {
      for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
        if (!env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required when PAYMENT_PROVIDER=stripe' });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  wsPort: number;
  db: {
    /** Unset: the app runs an embedded PostgreSQL under `dataDir`. */
    url: string | undefined;
    embeddedPort: number;
    poolSize: number;
    /** Bulkheads: real-time reads and background jobs never take the purchase pool's connections. */
    realtimePoolSize: number;
    jobsPoolSize: number;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
    connectTimeoutMs: number;
  };
  dataDir: string;
  auth: {
    /** Unset outside production: a random secret is generated and kept under `dataDir`. */
    jwtSecret: string | undefined;
    jwtExpiresIn: string;
    bcryptCost: number;
    rateLimitPerMinute: number;
  };
  rateLimits: {
    /** memory: this instance only; redis / postgres: shared by every instance. */
    store: 'memory' | 'redis' | 'postgres';
    ordersPerMinute: number;
    loginFailuresPerAccount: number;
    loginLockSeconds: number;
  };
  orders: {
    reservationTimeoutMs: number;
    maxTicketsPerOrder: number;
    expiryIntervalMs: number;
    expiryBatchSize: number;
    /** Purchases waiting for a connection sent in one statement, at most this many (1: each alone). */
    batchSize: number;
  };
  /** Virtual queue: admissions per second per event (all instances together), token lifetime. */
  queue: { admitPerSecond: number; tokenTtlMs: number };
  lowStockThreshold: Env['LOW_STOCK_THRESHOLD'];
  /** Per Socket.IO connection: `join:event` attempts per 10 s, and event rooms at once. */
  sockets: { joinsPer10s: number; maxEventRooms: number };
  logLevel: Env['LOG_LEVEL'];
  redisUrl: string | undefined;
  corsOrigin: string;
  trustProxy: boolean;
  shutdownTimeoutMs: number;
  /** On SIGTERM, how long /ready answers 503 while traffic is still served (behind a balancer). */
  shutdownDrainMs: number;
  /** Set: GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /**
   * Encrypts the events' ticket-signing keys at rest. Unset outside production: a random secret
   * is generated and kept under `dataDir`.
   */
  ticketSigningSecret: string | undefined;
  payments: {
    provider: PaymentProviderName;
    /** Lower-case ISO 4217 code, as Stripe writes it. */
    currency: string;
    stripe?: { secretKey: string; webhookSecret: string; apiBase: string | undefined };
  };
}

export class ConfigError extends Error {}

/**
 * Reads and validates the environment. Any bad value stops start-up with a message naming the
 * variable, so a typo never silently becomes a default.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings (e.g. `FOO=` in a .env file) mean "not set", not "set to nothing".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    wsPort: env.WS_PORT,
    db: {
      url: env.DATABASE_URL,
      embeddedPort: env.EMBEDDED_PG_PORT,
      poolSize: env.DB_POOL_SIZE,
      realtimePoolSize: env.DB_REALTIME_POOL_SIZE,
      jobsPoolSize: env.DB_JOBS_POOL_SIZE,
      lockTimeoutMs: env.DB_LOCK_TIMEOUT_MS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    },
    dataDir: path.resolve(env.DATA_DIR),
    auth: {
      jwtSecret: env.JWT_SECRET,
      jwtExpiresIn: env.JWT_EXPIRES_IN,
      bcryptCost: env.BCRYPT_COST,
      rateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
    },
    rateLimits: {
      store: env.RATE_LIMIT_STORE ?? (env.REDIS_URL ? 'redis' : 'memory'),
      ordersPerMinute: env.ORDER_RATE_LIMIT_PER_MINUTE,
      loginFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginLockSeconds: env.LOGIN_LOCK_MINUTES * 60,
    },
    orders: {
      reservationTimeoutMs: Math.round(env.ORDER_RESERVATION_TIMEOUT_MINUTES * 60_000),
      maxTicketsPerOrder: env.MAX_TICKETS_PER_ORDER,
      expiryIntervalMs: env.EXPIRY_INTERVAL_MS,
      expiryBatchSize: env.EXPIRY_BATCH_SIZE,
      batchSize: env.ORDER_BATCH_SIZE,
    },
    queue: { admitPerSecond: env.QUEUE_ADMIT_PER_SECOND, tokenTtlMs: env.QUEUE_TOKEN_TTL_SECONDS * 1000 },
    lowStockThreshold: env.LOW_STOCK_THRESHOLD,
    sockets: { joinsPer10s: env.SOCKET_JOINS_PER_10S, maxEventRooms: env.SOCKET_MAX_EVENT_ROOMS },
    logLevel: env.LOG_LEVEL,
    redisUrl: env.REDIS_URL,
    corsOrigin: env.CORS_ORIGIN,
    trustProxy: env.TRUST_PROXY ?? false,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    metricsToken: env.METRICS_TOKEN,
    ticketSigningSecret: env.TICKET_SIGNING_SECRET,
    payments: {
      provider: env.PAYMENT_PROVIDER ?? 'simulated',
      currency: env.CURRENCY,
      ...(env.PAYMENT_PROVIDER === 'stripe'
        ? {
            stripe: {
              secretKey: env.STRIPE_SECRET_KEY!,
              webhookSecret: env.STRIPE_WEBHOOK_SECRET!,
              apiBase: env.STRIPE_API_BASE,
            },
          }
        : {}),
    },
  };
}
