import type { Logger } from '../../shared/logger';
import { CoalescingBroadcaster } from './coalescing-broadcaster';
import type { RealtimeRepository } from './realtime.repository';
import { eventRoom, type IO } from './realtime.events';

/**
 * Pushes `ticket:stock-update` to this instance's own clients, coalesced per category (keys are
 * category ids), and `ticket:almost-sold-out` once per category when its stock crosses the
 * threshold.
 */
export class StockBroadcaster extends CoalescingBroadcaster {
  private readonly lastSent = new Map<string, number>();

  constructor(
    io: IO,
    private readonly repository: RealtimeRepository,
    logger: Logger,
    intervalMs = 100,
  ) {
    super(io, logger, 'stock:dirty', intervalMs, 'could not read stock for real-time updates');
  }

  protected async publish(categoryIds: string[]): Promise<void> {
    for (const row of await this.repository.snapshot(categoryIds)) {
      const room = this.io.local.to(eventRoom(row.event_id));
      if (this.lastSent.get(row.category_id) !== row.available) {
        this.lastSent.set(row.category_id, row.available);
        room.emit('ticket:stock-update', {
          eventoId: row.event_id,
          categoriaId: row.category_id,
          nuevoStock: row.available,
        });
      }
      if (row.crossed_low) {
        // Exactly one instance flipped the flag: it tells every instance's clients.
        this.io.to(eventRoom(row.event_id)).emit('ticket:almost-sold-out', {
          eventoId: row.event_id,
          categoriaId: row.category_id,
          stockRestante: row.available,
        });
      }
    }
  }
}
