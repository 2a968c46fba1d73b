import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { sendJson } from './send-json';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/** Seconds a client should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 1;

/**
 * PostgreSQL and driver failures that mean "busy or unreachable, try again": connection
 * errors, lock or statement timeouts, serialization failures, server shutting down.
 */
function isTransientDatabaseError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  // 08: connection exception, 53: insufficient resources, 57P0x: shutdown, 55P03: lock_not_available,
  // 57014: query_canceled (statement_timeout), 40001/40P01: serialization failure / deadlock.
  if (/^(08|53|57P0)/.test(code) || ['55P03', '57014', '40001', '40P01'].includes(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client was closed/i.test(
    message,
  );
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as { type?: string; status?: number };
  // Errors raised by express.json() before any route runs.
  if (e?.type === 'entity.parse.failed') return new AppError('VALIDATION_ERROR', 'Malformed JSON body');
  if (e?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError('VALIDATION_ERROR', 'Unsupported body encoding');
  }
  // Text the database cannot store (NUL bytes, invalid encoding) that slipped past a schema.
  if (['22021', '22P05'].includes(String((error as { code?: unknown })?.code))) {
    return new AppError('VALIDATION_ERROR', 'The request contains characters that cannot be stored');
  }
  // Other client errors raised by Express itself (e.g. a malformed %-escape in the path).
  const status = Number(
    (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode,
  );
  if (status >= 400 && status < 500 && (error as { expose?: unknown })?.expose !== false) {
    if (status === 404) return new AppError('NOT_FOUND', 'Not found');
    if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    return new AppError('VALIDATION_ERROR', 'Malformed request');
  }
  if (isTransientDatabaseError(error)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The service is busy or the database is unreachable; retry shortly');
  }
  return new AppError('INTERNAL', 'Internal server error');
}

/**
 * The answer to a failed request, `{ error: { code, message, details? } }` with the error's status
 * (and `Retry-After` where there is one). Unexpected errors are logged; 5xx never show internals.
 * Written on the bare response: Express's routes and the hot routes (hot-routes.ts) answer alike.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown, log: Logger): void {
  const appError = toAppError(error);
  if (appError.code === 'INTERNAL') {
    log.error({ err: error }, 'unhandled error');
  } else if (appError.code === 'SERVICE_UNAVAILABLE') {
    log.warn({ err: error }, 'request failed on a transient database error');
  }
  if (res.headersSent) return;
  if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
  else if (appError.code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  const body: { code: string; message: string; details?: unknown } = {
    code: appError.code,
    message: appError.message,
  };
  if (appError.details !== undefined) body.details = appError.details;
  sendJson(req, res, appError.status, { error: body });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => sendError(req, res, error, req.log ?? logger);
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
