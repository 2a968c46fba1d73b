import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { sendError } from './error-handler';
import { isPlainJsonRequest, readJsonBody } from './json-body';
import { sendJson } from './send-json';

/** A middleware on the bare Node request and response (Express's, cors, pino-http all fit). */
export type Step = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * A route answered without Express: the hottest ones (a purchase, a scan at the door, the event
 * page everyone reloads during an on-sale), where the
 * profile showed Express's own machinery (prototype swaps, the router walking its layers, the
 * body-parser stream, `res.json`) as a large share of a request's CPU. Everything that protects or
 * observes a request still runs: the same request id, access log, metrics, security headers and
 * CORS steps as Express's (`steps`), the same body rules, then the route's own authentication,
 * validation and rate limit in `handle` (shared with its Express route), and the same error answers.
 */
export interface HotRoute {
  /** POST routes take a plain JSON body; GET routes none. */
  method: 'GET' | 'POST';
  /** The route's path parameters when `path` (exact, no query) is this route's; else undefined. */
  match(path: string): string[] | undefined;
  /** The steps before the body is read: the app's common ones, with this route's metrics label. */
  steps: Step[];
  /** Authenticates, validates and does the work; throws what its Express route would. `body` is undefined for GET. */
  handle(req: IncomingMessage, body: unknown, params: string[]): Promise<{ status: number; body: unknown }>;
}

/**
 * The HTTP server's request listener: a hot route's request with a plain JSON body (POST, see
 * isPlainJsonRequest) or with no body (GET) is answered here; any other request, including every
 * unusual variant of a hot route's (chunked or compressed bodies, other content types, a GET with
 * a body, a query string, a trailing slash, HEAD), goes to Express (`fallback`), which has the
 * same route and answers it the same way.
 */
export function hotRoutes(routes: HotRoute[], fallback: RequestListener, logger: Logger): RequestListener {
  return (req, res) => {
    if (req.method === 'GET' ? hasNoBody(req) : isPlainJsonRequest(req)) {
      for (const route of routes) {
        if (req.method !== route.method) continue;
        const params = route.match(req.url ?? '');
        if (params) return serve(route, params, req, res, logger);
      }
    }
    fallback(req, res);
  };
}

function serve(route: HotRoute, params: string[], req: IncomingMessage, res: ServerResponse, logger: Logger) {
  const fail = (error: unknown) => sendError(req, res, error, req.log ?? logger);
  let i = 0;
  const next = (error?: unknown): void => {
    if (error) return fail(error);
    const step = route.steps[i++];
    if (step) {
      try {
        return step(req, res, next);
      } catch (thrown) {
        return fail(thrown);
      }
    }
    (route.method === 'GET' ? Promise.resolve(undefined) : readJsonBody(req))
      .then((body) => route.handle(req, body, params))
      .then((answer) => sendJson(req, res, answer.status, answer.body))
      .catch(fail);
  };
  next();
}

/** A request without a body: no Content-Length (or 0) and no Transfer-Encoding. */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}
