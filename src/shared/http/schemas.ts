import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../domain';

/** Ids on the wire are UUIDs; anything else is a 404 (it cannot name a resource), see `idParam`. */
export const uuid = z.uuid();

export const paginationQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});
export type Pagination = z.infer<typeof paginationQuery>;

/** Money on the wire: a JSON number with at most two decimals. Stored as integer cents. */
export const money = z
  .number()
  .min(0)
  .max(10_000_000)
  .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'must have at most 2 decimals');

export const toCents = (amount: number): number => Math.round(amount * 100);
export const fromCents = (cents: number): number => cents / 100;

/** PostgreSQL cannot store NUL in text; refuse it as bad input rather than fail in the database. */
export const noNul = (s: string) => !s.includes('\0');
export const NO_NUL_MESSAGE = 'must not contain NUL characters';

/** Free text that must say something: trimmed, non-empty, bounded. */
export const text = (max: number) => z.string().trim().min(1).max(max).refine(noNul, NO_NUL_MESSAGE);
