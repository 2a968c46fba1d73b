import { ERROR_STATUS, type ErrorCode } from './domain';

/**
 * Domain errors carry a stable code from the wire contract (the list and its HTTP statuses live in
 * `shared/domain.ts`); one middleware (`shared/http/error-handler.ts`) turns a code into its status.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Sent as `Retry-After` (seconds) with the error, e.g. by rate limits. */
  retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    // Expected outcomes (sold out, not found, …) need no stack trace, and capturing one is a
    // measurable share of a sold-out rush's CPU.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const unauthorized = (message = 'Authentication required') => new AppError('UNAUTHORIZED', message);
