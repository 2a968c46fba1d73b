import crypto from 'node:crypto';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import cors from 'cors';
import type pg from 'pg';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { AccountDirectory } from './modules/auth/accounts';
import { bearerToken } from './modules/auth/auth.middleware';
import { UserRepository } from './modules/auth/auth.repository';
import { authRoutes } from './modules/auth/auth.routes';
import { AuthService } from './modules/auth/auth.service';
import { PasswordHasher } from './modules/auth/passwords';
import { TokenService } from './modules/auth/tokens';
import { CategoryRepository } from './modules/categories/categories.repository';
import { categoryRoutes } from './modules/categories/categories.routes';
import { CategoryService } from './modules/categories/categories.service';
import { EventRepository } from './modules/events/events.repository';
import { eventHotRoute, eventRoutes } from './modules/events/events.routes';
import { EventService } from './modules/events/events.service';
import { healthRoutes, type Lifecycle } from './modules/health/health.routes';
import { docsRoutes } from './modules/docs/docs.routes';
import { Metrics } from './modules/metrics/metrics';
import { StockRepository } from './modules/inventory/stock.repository';
import { AdminRepository } from './modules/admin/admin.repository';
import { adminRoutes } from './modules/admin/admin.routes';
import { AdminService } from './modules/admin/admin.service';
import { OrderRepository } from './modules/orders/orders.repository';
import { createOrderHotRoute, orderRoutes } from './modules/orders/orders.routes';
import { OrderService } from './modules/orders/orders.service';
import { RateLimits } from './modules/onsale/rate-limits';
import { DeviceTokens } from './modules/tickets/checkin-auth';
import { SigningKeys } from './modules/tickets/signing-keys';
import { TicketRepository } from './modules/tickets/tickets.repository';
import { checkinHotRoute, ticketRoutes } from './modules/tickets/tickets.routes';
import { TicketService } from './modules/tickets/tickets.service';
import { createPaymentProvider } from './modules/payments/providers';
import { PaymentRepository } from './modules/payments/payments.repository';
import { paymentRoutes } from './modules/payments/payments.routes';
import { PaymentService } from './modules/payments/payments.service';
import { AdmissionTokens } from './modules/queue/admission-tokens';
import { QueueRepository } from './modules/queue/queue.repository';
import { queueRoutes } from './modules/queue/queue.routes';
import { QueueService } from './modules/queue/queue.service';
import { WaitlistRepository } from './modules/waitlist/waitlist.repository';
import { waitlistRoutes } from './modules/waitlist/waitlist.routes';
import { WaitlistService } from './modules/waitlist/waitlist.service';
import type { Config } from './shared/config';
import type { Database } from './shared/db/database';
import type { DomainEvents } from './shared/domain-events';
import { AppError } from './shared/errors';
import { errorHandler, notFoundHandler } from './shared/http/error-handler';
import { hotRoutes, type Step } from './shared/http/hot-routes';
import { precomputedHeaders } from './shared/http/precomputed-headers';
import { logSerializers, type Logger } from './shared/logger';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  /** The same pool Kysely uses, for the few hot statements run as prepared statements. */
  pool: pg.Pool;
  bus: DomainEvents;
  jwtSecret: string;
  ticketSigningSecret: string;
  lifecycle: Lifecycle;
}

/** Services wired once per process; the HTTP routes, socket server and jobs share them. */
export function createServices(deps: AppDeps) {
  const { db, bus, config } = deps;
  const tokens = new TokenService(deps.jwtSecret, config.auth.jwtExpiresIn);
  const passwords = new PasswordHasher(config.auth.bcryptCost);
  const users = new UserRepository(db, deps.pool);
  const authenticator = { tokens, accounts: new AccountDirectory(users) };
  const events = new EventRepository(db);
  const categories = new CategoryRepository(db);
  const stock = new StockRepository();
  const rateLimits = new RateLimits(
    {
      store: config.rateLimits.store,
      redisUrl: config.redisUrl,
      ordersPerMinute: config.rateLimits.ordersPerMinute,
      authPerMinute: config.auth.rateLimitPerMinute,
      loginFailuresPerAccount: config.rateLimits.loginFailuresPerAccount,
      loginLockSeconds: config.rateLimits.loginLockSeconds,
    },
    deps.pool,
    deps.logger,
  );
  const devices = new DeviceTokens(deps.jwtSecret);
  const ticketRepository = new TicketRepository(db, deps.pool);
  const metrics = new Metrics();
  const orderRepository = new OrderRepository(db, deps.pool, {
    batchSize: config.orders.batchSize,
    maxInFlight: config.db.poolSize,
    onSent: (orders) => metrics.reservationBatches.observe(orders),
  });
  const payments = new PaymentService(
    db,
    orderRepository,
    new PaymentRepository(db),
    createPaymentProvider(config.payments),
    bus,
    config.payments.currency,
    deps.logger,
  );
  // Admission tokens of the virtual queue: checked in memory on the purchase path.
  const admission = new AdmissionTokens(deps.jwtSecret);
  const orders = new OrderService(db, orderRepository, stock, bus, config.orders, payments, admission);
  return {
    rateLimits,
    metrics,
    tokens,
    authenticator,
    passwords,
    users,
    auth: new AuthService(users, passwords, tokens),
    events: new EventService(db, events, categories, stock, bus),
    categories: new CategoryService(db, events, categories, stock, bus, config.orders.reservationTimeoutMs),
    orders,
    devices,
    ticketRepository,
    tickets: new TicketService(ticketRepository, new SigningKeys(deps.pool, deps.ticketSigningSecret), devices, bus),
    payments,
    admission,
    queue: new QueueService(new QueueRepository(db), admission, bus),
    waitlist: new WaitlistService(db, new WaitlistRepository(db), config.orders, admission),
    admin: new AdminService(new AdminRepository(db), events),
  };
}
export type Services = ReturnType<typeof createServices>;

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameSecret(given: string | undefined, expected: string): boolean {
  const a = crypto
    .createHash('sha256')
    .update(given ?? '')
    .digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return given !== undefined && crypto.timingSafeEqual(a, b);
}

/** `web/dist` at the project root, both from `src/` and from `dist/`. */
const WEB_DIR = path.resolve(__dirname, '../web/dist');

/** A caller-supplied request id is kept if it looks like one, so logs join up across services. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createApp(deps: AppDeps, services: Services): Express {
  return createHttpHandlers(deps, services).app;
}

/**
 * The Express app, and the HTTP server's request listener: the hot routes (a purchase, a scan at
 * the door) answered without Express, with the same steps (request id, access log, metrics,
 * security headers, CORS) as every Express route; everything else through Express.
 */
export function createHttpHandlers(deps: AppDeps, services: Services): { app: Express; listener: RequestListener } {
  const { config, logger } = deps;
  const app = express();
  app.set('trust proxy', config.trustProxy ? 1 : false);
  app.set('etag', false);
  app.disable('x-powered-by'); // helmet would remove it from every response anyway

  const requestId: Step = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
  // One log line per request at `info`; above that level nothing would be written, so the
  // per-request logger is not even built (it is a visible share of the CPU under a rush).
  const accessLog: Step | undefined = logger.isLevelEnabled('info')
    ? pinoHttp({
        logger,
        genReqId: (req) => req.id,
        // One short line per request: id, method, path, status and time; never headers or bodies.
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            url: req.url,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          err: logSerializers.err,
        },
        customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
        autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/ready' },
      })
    : undefined;
  // helmet's headers do not depend on the request: computed once, set on every response.
  const securityHeaders = precomputedHeaders(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // The web client talks to this API and to Socket.IO, which may listen on WS_PORT.
          'connect-src': [
            "'self'",
            'ws:',
            'wss:',
            ...(config.wsPort === config.port ? [] : [`http://*:${config.wsPort}`]),
          ],
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  const corsHeaders: Step = cors({
    origin: config.corsOrigin === '*' ? '*' : config.corsOrigin.split(',').map((o) => o.trim()),
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
  });
  /** What every request goes through first, in this order; `timer` labels its metrics. */
  const commonSteps = (timer: Step): Step[] => [
    requestId,
    ...(accessLog ? [accessLog] : []),
    timer,
    securityHeaders,
    corsHeaders,
  ];

  for (const step of commonSteps(services.metrics.httpMiddleware())) app.use(step);
  // Before the JSON parser: provider webhooks are verified on their raw bytes.
  app.use('/api/payments', paymentRoutes({ payments: services.payments }));
  app.use(express.json({ limit: '100kb' }));

  // The hot routes first: Express tries the layers in order for every request.
  const orderDeps = {
    orders: services.orders,
    payments: services.payments,
    auth: services.authenticator,
    metrics: services.metrics,
    limits: services.rateLimits,
  };
  app.use('/api/orders', orderRoutes(orderDeps));
  app.use(
    '/api',
    ticketRoutes({
      tickets: services.tickets,
      orders: services.orders,
      auth: services.authenticator,
      devices: services.devices,
    }),
  );
  app.use('/api', waitlistRoutes({ waitlist: services.waitlist, auth: services.authenticator }));
  app.use(
    '/api/events/:id/categories',
    categoryRoutes({ categories: services.categories, auth: services.authenticator }),
  );
  app.use('/api/events', queueRoutes({ queue: services.queue, auth: services.authenticator }));
  app.use('/api/events', eventRoutes({ events: services.events, auth: services.authenticator }));
  app.use(
    '/api/auth',
    authRoutes({ auth: services.auth, authenticator: services.authenticator, limits: services.rateLimits }),
  );
  app.use('/api/admin', adminRoutes({ admin: services.admin, orders: services.orders, auth: services.authenticator }));
  // Where browsers reach Socket.IO: null means the same origin as this API.
  app.get('/api/realtime', (_req, res) => {
    res.json({ wsPort: config.wsPort === config.port ? null : config.wsPort, path: '/socket.io' });
  });
  app.use(docsRoutes());
  app.use(healthRoutes({ db: deps.db, lifecycle: deps.lifecycle }));
  app.get('/metrics', async (req, res) => {
    // Business counts: with METRICS_TOKEN set, only a scraper that presents it may read them.
    if (config.metricsToken && !sameSecret(bearerToken(req.headers.authorization), config.metricsToken)) {
      throw new AppError('UNAUTHORIZED', 'Metrics need the METRICS_TOKEN bearer token');
    }
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
  // The browser client (web/, built into web/dist by `npm run build:web`), after the API so API
  // requests never cost a file lookup.
  app.use(express.static(WEB_DIR, { index: 'index.html', maxAge: '1h' }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  const hot = [
    createOrderHotRoute(orderDeps, commonSteps(services.metrics.httpTimer(() => '/api/orders/'))),
    checkinHotRoute(
      { tickets: services.tickets, auth: services.authenticator, devices: services.devices },
      commonSteps(services.metrics.httpTimer(() => '/api/events/:id/checkins')),
    ),
    eventHotRoute({ events: services.events }, commonSteps(services.metrics.httpTimer(() => '/api/events/:id'))),
  ];
  return { app, listener: hotRoutes(hot, app, logger) };
}
