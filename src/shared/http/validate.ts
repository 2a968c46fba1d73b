import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors';

type Source = 'body' | 'query' | 'params' | 'headers';

/** One entry per offending field, e.g. `{ in: 'body', path: 'tickets.0.cantidad', message }`. */
export function validationDetails(error: z.ZodError, source: Source) {
  return error.issues.map((issue) => ({
    in: source,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** A value (e.g. a body read without Express) checked against its schema; 400 VALIDATION_ERROR if not. */
export const parseValue = <S extends z.ZodType>(schema: S, value: unknown, source: Source): z.infer<S> =>
  parse(schema, value, source);

function parse<S extends z.ZodType>(schema: S, value: unknown, source: Source): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('VALIDATION_ERROR', `Invalid request ${source}`, validationDetails(result.error, source));
  }
  return result.data;
}

export const parseBody = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> =>
  parse(schema, req.body ?? {}, 'body');
export const parseQuery = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> =>
  parse(schema, req.query, 'query');
export const parseParams = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> =>
  parse(schema, req.params, 'params');
