import type { Logger } from '../../shared/logger';
import { userRoom, type IO } from './realtime.events';

/** What the broadcaster reads: each event's organizer and its issued / admitted counts. */
export interface CheckinCounts {
  organizers(eventIds: string[]): Promise<Map<string, string>>;
  totals(eventIds: string[]): Promise<Array<{ eventId: string; issued: number; admitted: number }>>;
}

/**
 * Pushes `checkin:update` to each event organizer's sockets on this instance, coalesced per event:
 * a burst of admissions at the doors becomes at most one read and one message per interval.
 * Like the stock broadcaster, changes are announced to the other instances ("checkin:dirty") and
 * every instance reads the counts itself after the change, so the last message a dashboard gets
 * is current. Nothing is read for events whose organizer has no socket here.
 */
export class CheckinBroadcaster {
  private readonly dirty = new Set<string>();
  private readonly announce = new Set<string>();
  private readonly organizerOf = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastFlushAt = 0;
  private closed = false;

  constructor(
    private readonly io: IO,
    private readonly counts: CheckinCounts,
    private readonly logger: Logger,
    private readonly intervalMs = 250,
  ) {}

  changedLocally(eventId: string): void {
    this.announce.add(eventId);
    this.markDirty([eventId]);
  }

  markDirty(eventIds: string[]): void {
    if (this.closed) return;
    for (const id of eventIds) this.dirty.add(id);
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing;
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closed) return;
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
      this.io.serverSideEmit('checkin:dirty', [...this.announce]);
      this.announce.clear();
    }
    try {
      const unknown = ids.filter((id) => !this.organizerOf.has(id));
      if (unknown.length > 0) {
        for (const [eventId, organizerId] of await this.counts.organizers(unknown))
          this.organizerOf.set(eventId, organizerId);
      }
      const watched = ids.filter((id) => {
        const organizer = this.organizerOf.get(id);
        return organizer !== undefined && (this.io.of('/').adapter.rooms.get(userRoom(organizer))?.size ?? 0) > 0;
      });
      if (watched.length === 0) return;
      for (const t of await this.counts.totals(watched)) {
        this.io.local.to(userRoom(this.organizerOf.get(t.eventId)!)).emit('checkin:update', {
          eventoId: t.eventId,
          emitidos: t.issued,
          admitidos: t.admitted,
        });
      }
    } catch (error) {
      for (const id of ids) this.dirty.add(id);
      this.logger.warn({ err: error }, 'could not read check-in counts for real-time updates');
    }
  }
}
