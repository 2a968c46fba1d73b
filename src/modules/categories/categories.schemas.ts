import { z } from 'zod';
import { money, text } from '../../shared/http/schemas';

const benefits = z.array(text(200)).max(50);

/** A sales window bound: an ISO date-time, or null for none (open from creation / until the event starts). */
const salesBound = (what: string) =>
  z.iso
    .datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2030-12-31T20:00:00Z' })
    .nullable()
    .describe(what);

const categoryFields = {
  nombre: text(100),
  precio: money,
  cantidadTotal: z.number().int().min(1).max(1_000_000),
  beneficios: benefits,
  ventaInicio: salesBound('When sales of this category open (database clock); null: at once'),
  ventaFin: salesBound('When sales of this category close (database clock); null: when the event starts'),
};

/** Both bounds given: the window must not be empty. */
const windowInOrder = (c: { ventaInicio?: string | null; ventaFin?: string | null }) =>
  !c.ventaInicio || !c.ventaFin || Date.parse(c.ventaInicio) < Date.parse(c.ventaFin);
const WINDOW_ORDER = { message: 'must be after ventaInicio', path: ['ventaFin'] };

export const categoryBody = z
  .object({
    ...categoryFields,
    beneficios: benefits.default([]),
    ventaInicio: categoryFields.ventaInicio.optional(),
    ventaFin: categoryFields.ventaFin.optional(),
  })
  .refine(windowInOrder, WINDOW_ORDER);
export type CategoryInput = z.infer<typeof categoryBody>;

/** PUT takes any subset of the create fields, at least one. */
export const categoryPatchBody = z
  .object(categoryFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'must change at least one field')
  .refine(windowInOrder, WINDOW_ORDER);
export type CategoryPatch = z.infer<typeof categoryPatchBody>;
