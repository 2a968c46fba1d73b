import type { OrderItemRow, OrderRow, OrderStatusHistoryRow, PaymentRow } from '../../shared/db/schema';
import { isOneOf, PAYMENT_PROVIDERS } from '../../shared/domain';
import { fromCents } from '../../shared/http/schemas';
import type { OrderDto, OrderHistoryDto } from './orders.wire';

export type OrderWithItems = OrderRow & { items: OrderItemRow[] };

export function presentOrder(order: OrderWithItems): OrderDto {
  return {
    id: order.id,
    usuarioId: order.user_id,
    eventoId: order.event_id,
    estado: order.status,
    // One order for the lines everywhere (creation, replays, reads): by category name, then id.
    tickets: [...order.items]
      .sort((a, b) => a.category_name.localeCompare(b.category_name) || a.category_id.localeCompare(b.category_id))
      .map((item) => ({
        categoriaId: item.category_id,
        nombre: item.category_name,
        cantidad: item.quantity,
        precioUnitario: fromCents(item.unit_price_cents),
        subtotal: fromCents(item.unit_price_cents * item.quantity),
      })),
    total: fromCents(order.total_cents),
    expiraEn: order.expires_at.toISOString(),
    ...(order.transaction_id && order.confirmed_at
      ? {
          pago: {
            metodoPago: order.payment_method,
            transactionId: order.transaction_id,
            confirmadoEn: order.confirmed_at.toISOString(),
            // Orders confirmed before providers existed were simulated.
            proveedor:
              order.payment_provider && isOneOf(PAYMENT_PROVIDERS, order.payment_provider)
                ? order.payment_provider
                : 'simulated',
            ...(order.refunded_at ? { reembolsadoEn: order.refunded_at.toISOString() } : {}),
          },
        }
      : {}),
    createdAt: order.created_at.toISOString(),
    updatedAt: order.updated_at.toISOString(),
  };
}

type HistoryEntry = Pick<OrderStatusHistoryRow, 'from_status' | 'to_status' | 'actor_id' | 'reason' | 'created_at'>;

export function presentOrderHistory(order: OrderRow, entries: HistoryEntry[], payments: PaymentRow[]): OrderHistoryDto {
  return {
    orderId: order.id,
    estadoActual: order.status,
    historial: entries.map((e) => ({
      desde: e.from_status,
      hasta: e.to_status,
      actorId: e.actor_id,
      motivo: e.reason,
      fecha: e.created_at.toISOString(),
    })),
    pagos: payments.map((p) => ({
      tipo: p.kind,
      proveedor: isOneOf(PAYMENT_PROVIDERS, p.provider) ? p.provider : 'simulated',
      idProveedor: p.provider_id,
      importe: fromCents(p.amount_cents),
      moneda: p.currency,
      estado: p.state,
      pendiente: p.wanted,
      intentos: p.attempts,
      ultimoError: p.last_error,
      creadoEn: p.created_at.toISOString(),
      actualizadoEn: p.updated_at.toISOString(),
    })),
  };
}
