import type { Request } from 'express';
import { notFound } from '../errors';
import { uuid } from './schemas';

/**
 * A path id that is not a UUID cannot name any resource, so it is answered like an unknown id
 * (404) rather than as a validation error, and never reaches the database as a cast error.
 */
export function idParam(req: Request, name: string, what = 'Resource'): string {
  return pathId(req.params[name], what);
}

/** A path segment as an id (lower case), or 404 `what` when it cannot be one. */
export function pathId(value: unknown, what = 'Resource'): string {
  if (typeof value !== 'string' || !uuid.safeParse(value).success) throw notFound(what);
  return value.toLowerCase();
}
