import { z } from 'zod';
import { MAX_PAGE_SIZE, ORDER_STATUSES, ROLES } from '../../shared/domain';

/**
 * The response shapes of the wire contract, for the OpenAPI description. The docs test parses
 * real responses with these, so they cannot drift from what the presenters send.
 */
const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });
const role = z.enum(ROLES);

export const userResponse = z
  .object({ id, nombre: z.string(), email: z.email(), role, createdAt: timestamp })
  .strict()
  .meta({ id: 'User' });

export const sessionResponse = z.object({ token: z.string(), user: userResponse }).strict().meta({ id: 'Session' });

export const categoryResponse = z
  .object({
    id,
    eventoId: id,
    nombre: z.string(),
    precio: z.number().min(0),
    cantidadTotal: z.int().min(1),
    disponible: z.int().min(0).describe('Buyable right now: total minus sold minus live holds'),
    beneficios: z.array(z.string()),
  })
  .strict()
  .meta({ id: 'Category' });

export const eventResponse = z
  .object({
    id,
    nombre: z.string(),
    descripcion: z.string(),
    fecha: timestamp,
    ubicacion: z.string(),
    capacidadTotal: z.int(),
    precioBase: z.number(),
    organizadorId: id,
    categorias: z.array(categoryResponse),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .strict()
  .meta({ id: 'Event' });

export const orderResponse = z
  .object({
    id,
    usuarioId: id,
    eventoId: id,
    estado: z.enum(ORDER_STATUSES),
    tickets: z.array(
      z
        .object({
          categoriaId: id,
          nombre: z.string(),
          cantidad: z.int().min(1),
          precioUnitario: z.number(),
          subtotal: z.number(),
        })
        .strict(),
    ),
    total: z.number(),
    expiraEn: timestamp,
    pago: z
      .object({ metodoPago: z.string().nullable(), transactionId: z.string(), confirmadoEn: timestamp })
      .strict()
      .optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .strict()
  .meta({ id: 'Order' });

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({ data: z.array(item), page: z.int().min(1), limit: z.int().min(1).max(MAX_PAGE_SIZE), total: z.int().min(0) })
    .strict()
    .meta({ id: name });

export const errorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).strict(),
  })
  .strict()
  .meta({ id: 'Error' });

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

const salesFigures = {
  vendidas: z.int().min(0),
  reservadas: z.int().min(0),
  disponibles: z.int().min(0),
  ingresos: z.number(),
};
export const salesResponse = z
  .object({
    eventoId: id,
    categorias: z.array(
      z.object({ categoriaId: id, nombre: z.string(), cantidadTotal: z.int(), ...salesFigures }).strict(),
    ),
    totales: z.object(salesFigures).strict(),
  })
  .strict()
  .meta({ id: 'EventSales' });

export const healthResponse = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }).strict();
export const readyResponse = z.object({ status: z.literal('ready') }).strict();
export const realtimeInfoResponse = z
  .object({ wsPort: z.int().nullable().describe('null: same origin as the API'), path: z.string() })
  .strict();

export const orderHistoryResponse = z
  .object({
    orderId: id,
    estadoActual: z.enum(ORDER_STATUSES),
    historial: z.array(
      z
        .object({
          desde: z.enum(ORDER_STATUSES).nullable().describe('null: the order was created'),
          hasta: z.enum(ORDER_STATUSES),
          actorId: id.nullable().describe('null: the system (the expiry job)'),
          motivo: z.string().nullable(),
          fecha: timestamp,
        })
        .strict(),
    ),
  })
  .strict()
  .meta({ id: 'OrderHistory' });
