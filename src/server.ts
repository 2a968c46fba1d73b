import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import path from 'node:path';
import { createHttpHandlers, createServices, type Services } from './app';
import type { Config } from './shared/config';
import { createDatabase, type DatabaseHandle } from './shared/db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './shared/db/embedded';
import { migrate } from './shared/db/migrate';
import { DomainEvents } from './shared/domain-events';
import type { Logger } from './shared/logger';
import { ExpiryJob } from './modules/orders/expiry-job';
import { PaymentRetryJob } from './modules/payments/payment-retry-job';
import { AdmissionJob } from './modules/queue/admission-job';
import { QueueRepository } from './modules/queue/queue.repository';
import { RealtimeRepository } from './modules/realtime/realtime.repository';
import { startRealtime, type Realtime } from './modules/realtime/realtime.server';

/** How often owed provider calls are looked for; each row also waits out its own backoff. */
const PAYMENT_RETRY_INTERVAL_MS = 5000;

export interface RunningService {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  services: Services;
  app: Express;
  database: DatabaseHandle;
  bus: DomainEvents;
  expiryJob: ExpiryJob;
  admissionJob: AdmissionJob;
  realtime: Realtime;
  /** Stops accepting, lets in-flight requests finish, then releases the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Outside production an unset JWT_SECRET is replaced by a random one kept beside the data, so
 * tokens survive restarts and no fixed default secret ever exists.
 */
export async function resolveJwtSecret(config: Config): Promise<string> {
  return config.auth.jwtSecret ?? keptSecret(config, 'jwt-secret');
}

/** TICKET_SIGNING_SECRET, or outside production one generated once and kept like the JWT secret. */
export async function resolveTicketSigningSecret(config: Config): Promise<string> {
  return config.ticketSigningSecret ?? keptSecret(config, 'ticket-signing-secret');
}

async function keptSecret(config: Config, name: string): Promise<string> {
  const file = path.join(config.dataDir, name);
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    await fs.mkdir(config.dataDir, { recursive: true });
    const secret = crypto.randomBytes(48).toString('base64url');
    await fs.writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

export async function openDatabase(config: Config, logger: Logger) {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.db.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dir: config.dataDir,
      port: config.db.embeddedPort,
      database: 'ticketing',
      logger,
    });
    url = embedded.url;
  }
  const database = createDatabase({ ...config.db, url }, logger);
  return { database, embedded, url };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const { database, embedded, url: databaseUrl } = await openDatabase(config, logger);
  // Bulkheads: real-time reads (a join flood's cache misses, stock snapshots) and background jobs
  // (hold expiry) get their own small pools, so they can never take the connections purchases
  // need, and a flood of reads can never delay the release of holds.
  const realtimeDatabase = createDatabase(
    { ...config.db, url: databaseUrl, poolSize: config.db.realtimePoolSize, applicationName: 'ticketing-realtime' },
    logger,
  );
  const jobsDatabase = createDatabase(
    { ...config.db, url: databaseUrl, poolSize: config.db.jobsPoolSize, applicationName: 'ticketing-jobs' },
    logger,
  );
  let closeRateLimits = async (): Promise<void> => undefined;
  const releaseDatabase = async () => {
    await closeRateLimits();
    await Promise.all([realtimeDatabase.close(), jobsDatabase.close()]);
    await database.close();
    if (embedded) await embedded.stop().catch((err) => logger.warn({ err }, 'embedded PostgreSQL stop failed'));
  };

  const bus = new DomainEvents();
  const lifecycle = { draining: false };
  let server: http.Server | undefined;
  let app: Express;
  let services: Services;
  let port: number;
  let realtime: Realtime;
  const queueReader = new QueueRepository(realtimeDatabase.db);
  try {
    await migrate(database.pool, logger);
    const deps = {
      config,
      logger,
      db: database.db,
      pool: database.pool,
      bus,
      jwtSecret: await resolveJwtSecret(config),
      ticketSigningSecret: await resolveTicketSigningSecret(config),
      lifecycle,
    };
    services = createServices(deps);
    const limits = services.rateLimits;
    closeRateLimits = () => limits.close();
    const handlers = createHttpHandlers(deps, services);
    app = handlers.app;
    server = http.createServer(handlers.listener);
    // Keep-alive longer than a typical load balancer's idle timeout, so the balancer closes first.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    port = await listen(server, config.port, config.host);
    realtime = await startRealtime({
      config,
      logger,
      httpServer: server,
      databaseUrl,
      auth: services.authenticator,
      repository: new RealtimeRepository(realtimeDatabase.db, config.lowStockThreshold),
      bus,
      checkinCounts: services.ticketRepository,
      queuePositions: (eventId, userIds) => queueReader.positions(realtimeDatabase.db, eventId, userIds),
    });
  } catch (error) {
    server?.close();
    await releaseDatabase();
    throw error;
  }
  logger.info({ port, database: embedded ? 'embedded' : 'external' }, 'HTTP API listening');
  const expiryJob = new ExpiryJob(services.orders, logger, {
    db: jobsDatabase.db,
    intervalMs: config.orders.expiryIntervalMs,
    batchSize: config.orders.expiryBatchSize,
  });
  expiryJob.start();
  const paymentRetryJob = new PaymentRetryJob(services.payments, logger, PAYMENT_RETRY_INTERVAL_MS);
  paymentRetryJob.start();
  const admissionJob = new AdmissionJob(new QueueRepository(jobsDatabase.db), services.admission, bus, logger, {
    db: jobsDatabase.db,
    admitPerSecond: config.queue.admitPerSecond,
    tokenTtlMs: config.queue.tokenTtlMs,
  });
  admissionJob.start();
  services.metrics.bind({
    db: database.db,
    pool: database.pool,
    socketConnections: () => realtime.io.engine.clientsCount,
    expiry: expiryJob.stats,
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      if (config.shutdownDrainMs > 0) {
        // Readiness turns 503 first and traffic keeps being served, so a load balancer stops
        // sending new connections before this instance stops accepting them.
        lifecycle.draining = true;
        logger.info({ drainMs: config.shutdownDrainMs }, 'shutting down: draining');
        await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
      }
      logger.info('shutting down: no new connections, finishing in-flight requests');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Live sockets would keep the HTTP server open; clients reconnect to another instance.
      await realtime.close();
      logger.debug('shutdown: sockets closed');
      const force = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await drained;
      clearTimeout(force);
      logger.debug('shutdown: HTTP requests drained');
      await expiryJob.stop();
      await paymentRetryJob.stop();
      await admissionJob.stop();
      logger.debug('shutdown: expiry, payment retry and queue admission jobs stopped');
      await releaseDatabase();
      logger.info('shutdown complete');
    })();
    return closing;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    app,
    database,
    bus,
    expiryJob,
    admissionJob,
    realtime,
    close,
  };
}
