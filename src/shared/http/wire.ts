import { z } from 'zod';
import { ERROR_CODES, MAX_PAGE_SIZE } from '../domain';

/**
 * Building blocks of the response schemas. Each module describes its responses in
 * `<area>.wire.ts` (zod); presenters return those types, `/api/openapi.json` is generated from the
 * schemas, and the web client and the tests import the inferred types, so a renamed field fails
 * the type check everywhere.
 */
export const id = z.uuid();
export const timestamp = z.iso.datetime({ offset: true });

export interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
}

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      page: z.int().min(1),
      limit: z.int().min(1).max(MAX_PAGE_SIZE),
      total: z.int().min(0),
    })
    .strict()
    .meta({ id: name });

/** One entry of a VALIDATION_ERROR's `details`. */
export const validationDetail = z
  .object({ in: z.string().optional(), path: z.string(), message: z.string() })
  .strict()
  .meta({ id: 'ValidationDetail' });
export type ValidationDetail = z.infer<typeof validationDetail>;

export const errorResponse = z
  .object({
    error: z
      .object({
        code: z.enum(ERROR_CODES),
        message: z.string(),
        details: z
          .unknown()
          .optional()
          .describe(
            'VALIDATION_ERROR: ValidationDetail[]; INSUFFICIENT_STOCK: StockShortage[]; LIMIT_EXCEEDED: LimitExceeded; SALES_CLOSED: SalesClosed[]',
          ),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorResponse>;
