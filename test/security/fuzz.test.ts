/**
 * Fuzzing every route with thousands of random and malformed requests: random JSON of every type,
 * deep nesting, huge and odd numbers, wrong content types and encodings, invalid UTF-8, empty
 * bodies, hostile path ids and query strings, and valid, forged and missing tokens of each role.
 *
 * The PRNG is seeded (mulberry32): the seed is printed, and `FUZZ_SEED=<n> npx jest
 * test/security/fuzz` replays the same campaign. `FUZZ_SEED=random` picks a new one.
 *
 * Asserted: no 5xx (503 included), every error in the contract's shape with a code that matches
 * its status, and a canary event whose stock nobody may legitimately touch is unchanged — while
 * every event the fuzz could legitimately change keeps sold + held + available = total.
 */
import http from 'node:http';
import { expectStockInvariants } from '../helpers/invariants';
import type { Inventory, Planned } from '../helpers/fuzz';
import {
  TOTAL_REQUESTS,
  CONCURRENCY,
  TIME_BUDGET_MS,
  SEED,
  svc,
  admin,
  organizer,
  otherOrganizer,
  canaryOwner,
  canaryInventory,
  TOKEN_KINDS,
  ROUTES,
  plan,
  setUpCast,
} from '../helpers/fuzz';

// ---------------------------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------------------------

interface Outcome {
  planned: Planned;
  status: number;
  text: string;
  contentType: string;
  problem?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(p: Planned): Promise<{ status: number; text: string; contentType: string }> {
  const url = new URL(svc.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: p.method,
        path: p.path,
        headers: p.headers,
        agent,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            contentType: String(res.headers['content-type'] ?? ''),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(p.body);
  });
}

const STATUS_CODES: Record<number, string[]> = {
  400: ['VALIDATION_ERROR'],
  401: ['UNAUTHORIZED', 'INVALID_CREDENTIALS'],
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  409: [
    'EMAIL_TAKEN',
    'INSUFFICIENT_STOCK',
    'ORDER_EXPIRED',
    'INVALID_STATE',
    'CAPACITY_EXCEEDED',
    'HAS_ORDERS',
    'DUPLICATE_TRANSACTION',
    'IDEMPOTENCY_KEY_REUSED',
  ],
  413: ['PAYLOAD_TOO_LARGE'],
  429: ['RATE_LIMITED'],
};

/** Returns what is wrong with an error response, or undefined. */
function shapeProblem(status: number, text: string, contentType: string): string | undefined {
  if (status < 400) return undefined;
  if (!/^application\/json/.test(contentType)) return `error without a JSON body (${contentType || 'no content-type'})`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return 'error body is not JSON';
  }
  if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'error')
    return 'error body is not exactly {error}';
  const { error } = body;
  if (typeof error?.code !== 'string' || typeof error?.message !== 'string')
    return 'error without string code and message';
  if (!Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k)))
    return `error with extra keys ${Object.keys(error).join()}`;
  const allowed = STATUS_CODES[status];
  if (!allowed) return `unexpected error status ${status}`;
  if (!allowed.includes(error.code)) return `code ${error.code} does not go with status ${status}`;
  if (/\bat \S+ \(|\.[jt]s:\d+|node_modules|syntax error|\bselect\b.*\bfrom\b/i.test(text))
    return 'error body leaks internals';
  return undefined;
}

const describeRequest = (o: Outcome) => {
  const body = o.planned.body ? o.planned.body.toString('utf8').slice(0, 160) : '';
  return `${o.planned.method} ${o.planned.path.slice(0, 160)} [${o.planned.note}] ${body} → ${o.status} ${o.text.slice(0, 160)}${o.problem ? ` (${o.problem})` : ''}`;
};

// ---------------------------------------------------------------------------------------------
// The campaign
// ---------------------------------------------------------------------------------------------

let outcomes: Outcome[] = [];
let canaryBefore: Inventory;
let canaryAfter: Inventory;

beforeAll(async () => {
  await setUpCast();
  canaryBefore = await canaryInventory();

  console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  const plans = Array.from({ length: TOTAL_REQUESTS }, (_, i) => i);
  const deadline = Date.now() + TIME_BUDGET_MS;
  let next = 0;
  const results: Outcome[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < plans.length && Date.now() < deadline) {
        const planned = plan(plans[next++]!);
        try {
          const res = await send(planned);
          const outcome: Outcome = { planned, ...res };
          if (res.status >= 500) outcome.problem = `server error ${res.status}`;
          else outcome.problem = shapeProblem(res.status, res.text, res.contentType);
          results.push(outcome);
        } catch (error) {
          results.push({
            planned,
            status: 0,
            text: '',
            contentType: '',
            problem: `transport error: ${(error as Error).message}`,
          });
        }
      }
    }),
  );
  outcomes = results;
  agent.destroy();
  canaryAfter = await canaryInventory();
}, 120_000);

afterAll(() => svc?.close());

describe(`fuzzing every route (seed ${SEED})`, () => {
  it('sent thousands of requests covering every route, every kind of token and a spread of outcomes', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(Math.min(TOTAL_REQUESTS, ROUTES.length * 20));
    const routesHit = new Set(outcomes.map((o) => o.planned.route));
    expect([...routesHit].sort()).toEqual(ROUTES.map((r) => r.name).sort());
    const tokens = new Set(outcomes.map((o) => o.planned.note.split(' ')[0]));
    expect(tokens.size).toBe(TOKEN_KINDS.length);
    const statuses = new Set(outcomes.map((o) => o.status));
    // The fuzz reached past validation into the services: successes, refusals and conflicts.
    for (const s of [200, 201, 400, 401, 403, 404])
      expect({ status: s, seen: statuses.has(s) }).toEqual({ status: s, seen: true });
  });

  it('never answers 5xx (503 included) and never drops a connection', () => {
    const failures = outcomes.filter((o) => o.status >= 500 || o.status === 0);
    expect({ seed: SEED, count: failures.length, examples: failures.slice(0, 15).map(describeRequest) }).toEqual({
      seed: SEED,
      count: 0,
      examples: [],
    });
  });

  it('answers every error in the contract shape {error: {code, message, details?}} with a code matching its status', () => {
    const failures = outcomes.filter((o) => o.status > 0 && o.status < 500 && o.problem);
    expect({ seed: SEED, count: failures.length, examples: failures.slice(0, 15).map(describeRequest) }).toEqual({
      seed: SEED,
      count: 0,
      examples: [],
    });
  });

  it('leaves the canary event, its categories and their stock exactly as they were; nothing was sold from it', () => {
    expect(canaryAfter).toEqual(canaryBefore);
    expect(canaryAfter.orders).toBe(0);
    expect(Object.values(canaryAfter.availableByCategory).sort((a, b) => a - b)).toEqual([60, 100]);
  });

  it('keeps sold + held + available = total for every event the fuzz could touch', async () => {
    const events = await svc.database.db
      .selectFrom('events')
      .select('id')
      .where('organizer_id', 'in', [admin.id, organizer.id, otherOrganizer.id, canaryOwner.id])
      .execute();
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const e of events) await expectStockInvariants(svc.database.db, e.id);
  });
});
