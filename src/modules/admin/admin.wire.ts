import { z } from 'zod';
import { ORDER_STATUSES, ROLES } from '../../shared/domain';
import { id } from '../../shared/http/wire';

const countsBy = <K extends readonly [string, ...string[]]>(keys: K) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.int().min(0)])) as Record<K[number], z.ZodInt>).strict();

export const statsResponse = z
  .object({
    usuarios: z.object({ total: z.int(), porRol: countsBy(ROLES) }).strict(),
    eventos: z.object({ total: z.int(), proximos: z.int() }).strict(),
    ordenes: z.object({ total: z.int(), porEstado: countsBy(ORDER_STATUSES) }).strict(),
    ticketsVendidos: z.int(),
    ingresos: z.number(),
  })
  .strict()
  .meta({ id: 'Stats' });
export type StatsDto = z.infer<typeof statsResponse>;

const salesFigures = {
  vendidas: z.int().min(0),
  reservadas: z.int().min(0),
  disponibles: z.int().min(0),
  ingresos: z.number(),
};
export const salesCategory = z
  .object({ categoriaId: id, nombre: z.string(), cantidadTotal: z.int(), ...salesFigures })
  .strict();
export const salesResponse = z
  .object({ eventoId: id, categorias: z.array(salesCategory), totales: z.object(salesFigures).strict() })
  .strict()
  .meta({ id: 'EventSales' });
export type SalesDto = z.infer<typeof salesResponse>;
export type SalesCategoryDto = z.infer<typeof salesCategory>;
