import { z } from 'zod';
import { MAX_ORDER_LINES, ORDER_STATUSES } from '../../shared/domain';
import { paginationQuery, text, uuid } from '../../shared/http/schemas';

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
    .max(MAX_ORDER_LINES)
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
