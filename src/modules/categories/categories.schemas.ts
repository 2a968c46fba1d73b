import { z } from 'zod';
import { money, text } from '../../shared/http/schemas';

const benefits = z.array(text(200)).max(50);

export const categoryBody = z.object({
  nombre: text(100),
  precio: money,
  cantidadTotal: z.number().int().min(1).max(1_000_000),
  beneficios: benefits.default([]),
});
export type CategoryInput = z.infer<typeof categoryBody>;

/** PUT takes any subset of the create fields, at least one. */
export const categoryPatchBody = z
  .object({
    nombre: text(100),
    precio: money,
    cantidadTotal: z.number().int().min(1).max(1_000_000),
    beneficios: benefits,
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'must change at least one field');
export type CategoryPatch = z.infer<typeof categoryPatchBody>;
