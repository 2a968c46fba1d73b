import { z } from 'zod';
import { money, NO_NUL_MESSAGE, noNul, paginationQuery, text } from '../../shared/http/schemas';
import { categoryBody } from '../categories/categories.schemas';

const futureDateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2030-12-31T20:00:00Z' })
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future');

const eventFields = {
  nombre: text(200),
  descripcion: z.string().trim().max(5000).refine(noNul, NO_NUL_MESSAGE),
  fecha: futureDateTime,
  ubicacion: text(200),
  capacidadTotal: z.number().int().min(1).max(10_000_000),
  precioBase: money,
  maxPorComprador: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .describe('Tickets one buyer may hold or own of this event at once (live holds + confirmed); null: no limit'),
  colaVirtual: z
    .boolean()
    .describe('A virtual queue: buyers join it and buy only with the admission token it gives them'),
};

export const createEventBody = z.object({
  ...eventFields,
  descripcion: eventFields.descripcion.default(''),
  maxPorComprador: eventFields.maxPorComprador.optional(),
  colaVirtual: eventFields.colaVirtual.optional(),
  categorias: z.array(categoryBody).max(100).default([]),
});
export type CreateEventInput = z.infer<typeof createEventBody>;

/**
 * Partial update of the event's own fields. Unknown keys are refused rather than ignored, so a
 * client trying to set `organizadorId` or `categorias` here learns it cannot.
 */
export const updateEventBody = z
  .object(eventFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'must change at least one field');
export type UpdateEventInput = z.infer<typeof updateEventBody>;

const utcDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'must be a real calendar date',
  );

export const searchQuery = paginationQuery.extend({
  fecha: utcDay.optional(),
  ubicacion: text(200).optional(),
  q: text(200).optional(),
  disponible: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type SearchQuery = z.infer<typeof searchQuery>;
