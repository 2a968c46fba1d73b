import type { IncomingMessage } from 'node:http';
import type { Step } from '../../shared/http/hot-routes';
import { sql } from 'kysely';
import type pg from 'pg';
import client from 'prom-client';
import type { Database } from '../../shared/db/database';

/** What the metrics read at scrape time; bound once the service has started them. */
export interface MetricSources {
  db: Database;
  pool: pg.Pool;
  socketConnections: () => number;
  expiry: { runs: number; expired: number; failures: number };
}

/**
 * Prometheus metrics, in a registry of their own (no global state, so several instances in one
 * test process do not collide).
 */
export class Metrics {
  readonly registry = new client.Registry();
  private sources: MetricSources | undefined;

  readonly httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly reservations = new client.Counter({
    name: 'ticketing_reservations_total',
    help: 'POST /api/orders outcomes: created, replayed (Idempotency-Key), or the error code',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly reservationBatches = new client.Histogram({
    name: 'ticketing_reservation_batch_orders',
    help: 'Purchases per purchase statement: 1 alone (reserve_order), more when they queued for a connection (reserve_orders)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    new client.Gauge({
      name: 'ticketing_orders',
      help: 'Orders by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const s = sources();
        if (!s) return;
        const rows = await s.db
          .selectFrom('orders')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute();
        this.reset();
        for (const r of rows) this.set({ state: r.status }, r.n);
      },
    });
    new client.Gauge({
      name: 'ticketing_expiry_lag_seconds',
      help: 'How long the most overdue hold has been waiting to be released (0 when none)',
      registers: [this.registry],
      async collect() {
        const s = sources();
        if (!s) return;
        const { rows } = await sql<{ lag: number | null }>`
          SELECT extract(epoch FROM clock_timestamp() - min(expires_at))::float8 AS lag
          FROM orders WHERE status = 'RESERVED' AND expires_at <= clock_timestamp()`.execute(s.db);
        this.set(Math.max(0, rows[0]?.lag ?? 0));
      },
    });
    const counterFrom = (name: string, help: string, read: (s: MetricSources) => number) =>
      new client.Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = sources();
          if (!s) return;
          this.reset();
          this.inc(read(s));
        },
      });
    counterFrom('ticketing_expiry_runs_total', 'Expiry job passes on this instance', (s) => s.expiry.runs);
    counterFrom('ticketing_expiry_released_total', 'Holds expired by this instance', (s) => s.expiry.expired);
    counterFrom('ticketing_expiry_failures_total', 'Expiry job passes that failed', (s) => s.expiry.failures);
    const gaugeFrom = (name: string, help: string, read: (s: MetricSources) => number) =>
      new client.Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = sources();
          if (s) this.set(read(s));
        },
      });
    gaugeFrom('ticketing_socketio_connections', 'Socket.IO clients connected to this instance', (s) =>
      s.socketConnections(),
    );
    gaugeFrom('ticketing_db_pool_connections', 'Database pool connections open', (s) => s.pool.totalCount);
    gaugeFrom('ticketing_db_pool_idle', 'Database pool connections idle', (s) => s.pool.idleCount);
    gaugeFrom('ticketing_db_pool_waiting', 'Requests waiting for a database connection', (s) => s.pool.waitingCount);
  }

  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  /**
   * Times every request; the route label is the pattern (`/api/events/:id`), never the raw URL.
   * One histogram child per method, route and status, looked up by a string key: prom-client
   * would otherwise merge and hash the label object of every request.
   */
  httpMiddleware(): Step {
    return this.httpTimer((req) => {
      const { route, baseUrl } = req as unknown as { route?: { path?: string }; baseUrl: string };
      return route?.path ? `${baseUrl}${route.path}` : 'unmatched';
    });
  }

  /** The same timing with the route label given by `route` (a hot route's fixed pattern). */
  httpTimer(route: (req: IncomingMessage) => string): Step {
    const children = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status'>>();
    const child = (method: string, route: string, status: string) => {
      const key = `${method} ${status} ${route}`;
      let found = children.get(key);
      if (!found) {
        found = this.httpDuration.labels({ method, route, status });
        children.set(key, found);
      }
      return found;
    };
    return (req, res, next) => {
      const started = performance.now();
      res.once('finish', () => {
        child(req.method ?? '', route(req), String(res.statusCode)).observe((performance.now() - started) / 1000);
      });
      next();
    };
  }
}
