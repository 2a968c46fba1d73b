import type { Logger } from '../../shared/logger';
import { CoalescingBroadcaster } from './coalescing-broadcaster';
import { userRoom, type IO } from './realtime.events';

/** What the broadcaster reads: each event's organizer and its issued / admitted counts. */
export interface CheckinCounts {
  organizers(eventIds: string[]): Promise<Map<string, string>>;
  totals(eventIds: string[]): Promise<Array<{ eventId: string; issued: number; admitted: number }>>;
}

/**
 * Pushes `checkin:update` to each event organizer's sockets on this instance, coalesced per event
 * (keys are event ids): a burst of admissions at the doors becomes at most one read and one
 * message per interval. Nothing is read for events whose organizer has no socket here.
 */
export class CheckinBroadcaster extends CoalescingBroadcaster {
  private readonly organizerOf = new Map<string, string>();

  constructor(
    io: IO,
    private readonly counts: CheckinCounts,
    logger: Logger,
    intervalMs = 250,
  ) {
    super(io, logger, 'checkin:dirty', intervalMs, 'could not read check-in counts for real-time updates');
  }

  protected async publish(eventIds: string[]): Promise<void> {
    const unknown = eventIds.filter((id) => !this.organizerOf.has(id));
    if (unknown.length > 0) {
      for (const [eventId, organizerId] of await this.counts.organizers(unknown))
        this.organizerOf.set(eventId, organizerId);
    }
    const watched = eventIds.filter((id) => {
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
  }
}
