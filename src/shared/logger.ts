import pino from 'pino';

export type Logger = pino.Logger;

/** Error fields worth a log line; driver errors carry much more (and sometimes their client). */
const ERROR_FIELDS = [
  'code',
  'severity',
  'routine',
  'constraint',
  'table',
  'column',
  'errno',
  'syscall',
  'address',
  'port',
] as const;

/**
 * An error as a few plain fields: type, message, code, the PostgreSQL fields that say which rule
 * or table, and the stack for our own errors. Never the whole object: pg errors and the objects
 * passed with them hold connection parameters, sockets and clients (hundreds of fields).
 */
export function serializeError(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value === undefined ? value : { message: String(value) };
  const error = value as Record<string, unknown>;
  const out: Record<string, unknown> = {
    type: typeof error.type === 'string' ? error.type : (error.constructor?.name ?? 'Error'),
    message: typeof error.message === 'string' ? error.message : String(value),
  };
  for (const field of ERROR_FIELDS) {
    const v = error[field];
    if (typeof v === 'string' || typeof v === 'number') out[field] = v;
  }
  // A database error's stack only points into the driver's protocol parser.
  const fromDatabase = typeof error.severity === 'string' || typeof error.routine === 'string';
  if (!fromDatabase && typeof error.stack === 'string') out.stack = error.stack;
  if (error.cause !== undefined && error.cause !== value) out.cause = serializeError(error.cause);
  if (Array.isArray(error.errors)) out.errors = error.errors.slice(0, 5).map(serializeError);
  return out;
}

/** The same for every logger (and pino-http's): errors under any of these keys get serialized. */
export const logSerializers = { err: serializeError, error: serializeError };

export function createLogger(level: pino.LevelWithSilent): Logger {
  return pino({
    level,
    base: { service: 'ticketing-api' },
    serializers: logSerializers,
    // Never write credentials to the logs, whatever a caller passes in.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.passwordHash', '*.token'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
