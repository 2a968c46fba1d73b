import { z } from 'zod';
import { ORDER_STATUSES } from '../../shared/domain';
import { id, pageOf, timestamp } from '../../shared/http/wire';

const orderStatus = z.enum(ORDER_STATUSES);

export const orderLine = z
  .object({
    categoriaId: id,
    nombre: z.string(),
    cantidad: z.int().min(1),
    precioUnitario: z.number(),
    subtotal: z.number(),
  })
  .strict();

export const orderResponse = z
  .object({
    id,
    usuarioId: id,
    eventoId: id,
    estado: orderStatus,
    tickets: z.array(orderLine),
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
export type OrderDto = z.infer<typeof orderResponse>;
export type OrderLineDto = z.infer<typeof orderLine>;

export const orderPage = pageOf(orderResponse, 'OrderPage');

export const orderHistoryResponse = z
  .object({
    orderId: id,
    estadoActual: orderStatus,
    historial: z.array(
      z
        .object({
          desde: orderStatus.nullable().describe('null: the order was created'),
          hasta: orderStatus,
          actorId: id.nullable().describe('null: the system (the expiry job)'),
          motivo: z.string().nullable(),
          fecha: timestamp,
        })
        .strict(),
    ),
  })
  .strict()
  .meta({ id: 'OrderHistory' });
export type OrderHistoryDto = z.infer<typeof orderHistoryResponse>;

/** One entry of an INSUFFICIENT_STOCK error's `details`. */
export const stockShortage = z
  .object({ categoriaId: id, solicitadas: z.int(), disponibles: z.int().min(0) })
  .strict()
  .meta({ id: 'StockShortage' });
export type StockShortage = z.infer<typeof stockShortage>;

/** `details` of 409 LIMIT_EXCEEDED. */
export const limitExceeded = z
  .object({ maxPorComprador: z.int().min(1), actuales: z.int().min(0), solicitadas: z.int().min(1) })
  .strict()
  .meta({ id: 'LimitExceeded' });
export type LimitExceeded = z.infer<typeof limitExceeded>;

/** One entry of `details` of 409 SALES_CLOSED: a closed category of the order and its window. */
export const salesClosed = z
  .object({ categoriaId: id, ventaInicio: timestamp.nullable(), ventaFin: timestamp.nullable() })
  .strict()
  .meta({ id: 'SalesClosed' });
export type SalesClosed = z.infer<typeof salesClosed>;
