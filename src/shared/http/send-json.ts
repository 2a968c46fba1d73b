import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A JSON answer as Express's `res.status(status).json(payload)` writes it (same headers: a
 * Content-Type unless one is set, Content-Length; no body for HEAD), on the bare Node response,
 * so the hot routes (hot-routes.ts) and Express's routes answer byte for byte alike.
 */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.statusCode = status;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (req.method === 'HEAD') res.end();
  else res.end(body, 'utf8');
}
