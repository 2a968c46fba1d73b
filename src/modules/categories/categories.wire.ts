import { z } from 'zod';
import { id, timestamp } from '../../shared/http/wire';

export const categoryResponse = z
  .object({
    id,
    eventoId: id,
    nombre: z.string(),
    precio: z.number().min(0),
    cantidadTotal: z.int().min(1),
    disponible: z.int().min(0).describe('Buyable right now: total minus sold minus live holds'),
    beneficios: z.array(z.string()),
    ventaInicio: timestamp.nullable().describe('When sales open (database clock); null: open'),
    ventaFin: timestamp.nullable().describe('When sales close (database clock); null: when the event starts'),
  })
  .strict()
  .meta({ id: 'Category' });
export type CategoryDto = z.infer<typeof categoryResponse>;
