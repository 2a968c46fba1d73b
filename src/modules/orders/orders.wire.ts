import { z } from 'zod';
import { ORDER_STATUSES, PAYMENT_PROVIDERS } from '../../shared/domain';
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
      .object({
        metodoPago: z.string().nullable(),
        transactionId: z.string().describe('With stripe: the PaymentIntent id (the paymentId)'),
        confirmadoEn: timestamp,
        proveedor: z.enum(PAYMENT_PROVIDERS),
        reembolsadoEn: timestamp.optional().describe('When the money went back after a cancellation'),
      })
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
    pagos: z
      .array(
        z
          .object({
            tipo: z.enum(['payment', 'refund']),
            proveedor: z.enum(PAYMENT_PROVIDERS),
            idProveedor: z.string().describe("The provider's id (PaymentIntent pi_…, refund re_…)"),
            importe: z.number(),
            moneda: z.string(),
            estado: z.string().describe("The provider's state: requires_capture, succeeded, canceled, refunded, …"),
            pendiente: z
              .enum(['capture', 'release'])
              .nullable()
              .describe('A provider call decided but not yet made (retried until it succeeds)'),
            intentos: z.int().min(0),
            ultimoError: z.string().nullable().describe('Why the last provider call failed'),
            creadoEn: timestamp,
            actualizadoEn: timestamp,
          })
          .strict(),
      )
      .describe('Every payment attempt and refund, oldest first'),
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
