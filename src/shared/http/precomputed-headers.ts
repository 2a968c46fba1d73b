import http from 'node:http';
import net from 'node:net';
import type { RequestHandler } from 'express';
import type { Step } from './hot-routes';

/**
 * A middleware that only sets fixed response headers (helmet without nonce functions), run once
 * at start-up and replayed on every request: the same headers, set without a chain of a dozen
 * middleware calls per request. Refuses at start-up a middleware whose headers would depend on
 * the request (one that does not finish synchronously or answers by itself).
 */
export function precomputedHeaders(middleware: RequestHandler): Step {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = 'GET';
  req.url = '/';
  const res = new http.ServerResponse(req);
  const removed: string[] = [];
  const removeHeader = res.removeHeader.bind(res);
  res.removeHeader = (name: string) => {
    removed.push(name);
    removeHeader(name);
  };
  let finished = false;
  middleware(req as never, res as never, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished || res.headersSent) throw new Error('precomputedHeaders: the middleware did not just set headers');
  const headers = Object.entries(res.getHeaders()).map(
    ([name, value]) => [name, value as string | number | string[]] as const,
  );
  return (_req, response, next) => {
    for (const name of removed) response.removeHeader(name);
    for (const [name, value] of headers) response.setHeader(name, value);
    next();
  };
}
