import { z } from 'zod';
import { paginationQuery, text, uuid } from '../../shared/http/schemas';

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED', 'EXPIRED'] as const;

export const createOrderBody = z.object({
  eventoId: uuid,
  tickets: z
    .array(
      z.object({
        categoriaId: uuid,
        cantidad: z.number().int().min(1),
      }),
    )
    .min(1)
    .max(50)
    .refine((lines) => new Set(lines.map((l) => l.categoriaId.toLowerCase())).size === lines.length, {
      message: 'each category may appear only once',
    }),
});
export type CreateOrderInput = z.infer<typeof createOrderBody>;

/** Printable ASCII, as most payment and HTTP clients generate them (UUIDs, ULIDs, hashes). */
export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters');

export const confirmOrderBody = z.object({
  metodoPago: text(50),
  transactionId: text(200),
});
export type ConfirmOrderInput = z.infer<typeof confirmOrderBody>;

export const adminOrdersQuery = paginationQuery.extend({
  estado: z.enum(ORDER_STATUSES).optional(),
  eventoId: uuid.optional(),
  usuarioId: uuid.optional(),
});
export type AdminOrdersQuery = z.infer<typeof adminOrdersQuery>;
