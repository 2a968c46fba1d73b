/**
 * `npx tsx bench/request-path.ts`: CPU µs of each piece of the purchase request path, called in a
 * loop in this process (process.cpuUsage, so other load on the machine barely matters). Gives
 * the per-item breakdown in docs/performance.md; the end-to-end figures come from `npm run bench`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { TokenService } from '../src/modules/auth/tokens';
import { Metrics } from '../src/modules/metrics/metrics';
import { presentOrder, type OrderWithItems } from '../src/modules/orders/order.presenter';
import { createOrderBody } from '../src/modules/orders/orders.schemas';

function cpuUs(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(); // warm-up (JIT)
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

async function cpuUsAsync(fn: () => Promise<void>, iterations: number): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 500); i++) await fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

/** A response object as Express gets it, on a socket that goes nowhere. */
function fakeExchange(headers: Record<string, string> = {}) {
  const socket = new net.Socket();
  const req = new http.IncomingMessage(socket);
  req.method = 'POST';
  req.url = '/api/orders';
  req.headers = { host: 'localhost', 'content-type': 'application/json', ...headers };
  const res = new http.ServerResponse(req);
  return { req, res };
}

function middlewareUs(mw: express.RequestHandler, iterations: number, headers?: Record<string, string>): number {
  return cpuUs(() => {
    const { req, res } = fakeExchange(headers);
    mw(req as express.Request, res as unknown as express.Response, () => undefined);
  }, iterations);
}

async function main() {
  const rows: [string, number][] = [];
  const add = (name: string, us: number) => rows.push([name, Math.round(us * 10) / 10]);
  const n = Number(process.env.ITERATIONS ?? 20_000);

  add(
    'baseline: fake req/res objects alone',
    cpuUs(() => fakeExchange(), n),
  );

  const tokens = new TokenService(crypto.randomBytes(32).toString('hex'), '1d');
  const token = tokens.sign({ id: crypto.randomUUID(), role: 'COMPRADOR' });
  add(
    'JWT verify (tokens.verify)',
    cpuUs(() => tokens.verify(token), n),
  );

  const body = { eventoId: crypto.randomUUID(), tickets: [{ categoriaId: crypto.randomUUID(), cantidad: 2 }] };
  const text = JSON.stringify(body);
  add(
    'JSON.parse of the body',
    cpuUs(() => JSON.parse(text), n),
  );
  add(
    'zod createOrderBody.safeParse',
    cpuUs(() => createOrderBody.safeParse(JSON.parse(text)), n),
  );

  const order: OrderWithItems = {
    id: crypto.randomUUID(),
    user_id: crypto.randomUUID(),
    event_id: body.eventoId,
    status: 'RESERVED',
    total_cents: 10_000,
    expires_at: new Date(),
    payment_method: null,
    transaction_id: null,
    confirmed_at: null,
    idempotency_key: null,
    request_hash: null,
    created_at: new Date(),
    updated_at: new Date(),
    items: [
      {
        order_id: '',
        category_id: body.tickets[0]!.categoriaId,
        category_name: 'Hot',
        quantity: 2,
        unit_price_cents: 5000,
      },
    ],
  } as OrderWithItems;
  add(
    'presentOrder',
    cpuUs(() => presentOrder(order), n),
  );
  add(
    'presentOrder + JSON.stringify',
    cpuUs(() => JSON.stringify(presentOrder(order)), n),
  );

  add(
    'helmet (as configured in app.ts)',
    middlewareUs(
      helmet({
        contentSecurityPolicy: {
          directives: { 'connect-src': ["'self'", 'ws:', 'wss:'], 'upgrade-insecure-requests': null },
        },
      }),
      n,
    ),
  );
  add(
    'cors (origin *)',
    middlewareUs(
      cors({ origin: '*', exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'] }),
      n,
      { origin: 'http://x' },
    ),
  );
  const metrics = new Metrics();
  const metricsMw = metrics.httpMiddleware();
  add(
    'metrics middleware + finish',
    cpuUs(() => {
      const { req, res } = fakeExchange();
      metricsMw(req as express.Request, res as unknown as express.Response, () => undefined);
      res.statusCode = 201;
      res.emit('finish');
    }, n),
  );
  add(
    'request id (crypto.randomUUID + setHeader)',
    middlewareUs((req, res, next) => {
      res.setHeader('X-Request-Id', crypto.randomUUID());
      next();
    }, n),
  );

  // The whole Express pipeline without the database: a JSON body in, a JSON answer out, over
  // real HTTP on loopback (client CPU included, so only the difference between rows matters).
  const bare = express();
  bare.post('/api/orders', express.json(), (req, res) => {
    res.status(201).json(presentOrder(order));
  });
  const server = http.createServer(bare).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/orders',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  add('HTTP round trip, express.json + res.json (server AND client CPU)', await cpuUsAsync(post, Math.min(n, 5000)));
  server.close();
  agent.destroy();

  console.log('| piece | CPU µs per call |');
  console.log('|---|---|');
  for (const [name, us] of rows) console.log(`| ${name} | ${us} |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
