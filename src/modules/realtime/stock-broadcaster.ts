import type { Logger } from '../../shared/logger';
import type { RealtimeRepository } from './realtime.repository';
import { eventRoom, type IO } from './realtime.events';

/**
 * Pushes `ticket:stock-update` to this instance's own clients, coalesced per category.
 *
 * Every instance reads the stock from the database itself and tells only its local sockets, one
 * read at a time. So the last value each client receives comes from a read made after the last
 * change: it always equals the database, even when changes arrive from several instances and a
 * burst is coalesced. Changes made here are announced to the other instances ("stock:dirty").
 */
export class StockBroadcaster {
  private readonly dirty = new Set<string>();
  private readonly announce = new Set<string>();
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastFlushAt = 0;
  private closed = false;

  constructor(
    private readonly io: IO,
    private readonly repository: RealtimeRepository,
    private readonly logger: Logger,
    /** At most one update per category per this many ms. */
    private readonly intervalMs = 100,
  ) {}

  /** Stock of these categories changed here (announce to other instances too). */
  changedLocally(categoryIds: string[]): void {
    for (const id of categoryIds) this.announce.add(id);
    this.markDirty(categoryIds);
  }

  /** Another instance says these categories changed. */
  markDirty(categoryIds: string[]): void {
    if (this.closed) return;
    for (const id of categoryIds) this.dirty.add(id);
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing;
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closed) return;
    // A few ms let a burst gather into one read; after that, at most one read per interval.
    const wait = Math.max(5, this.lastFlushAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.dirty.size > 0) this.schedule();
      });
    }, wait);
  }

  private async flush(): Promise<void> {
    this.lastFlushAt = Date.now();
    const ids = [...this.dirty];
    this.dirty.clear();
    if (this.announce.size > 0) {
      this.io.serverSideEmit('stock:dirty', [...this.announce]);
      this.announce.clear();
    }
    try {
      for (const row of await this.repository.snapshot(ids)) {
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
    } catch (error) {
      // Try again on the next change; the database may be briefly unreachable.
      for (const id of ids) this.dirty.add(id);
      this.logger.warn({ err: error }, 'could not read stock for real-time updates');
    }
  }
}
