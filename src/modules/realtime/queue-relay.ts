import type { Logger } from '../../shared/logger';
import { userRoom, type IO } from './realtime.events';
import type { QueueAdmitted } from './realtime.wire';

const USER_ROOM_PREFIX = userRoom('');

export type Admission = QueueAdmitted & { userId: string };

/** Where buyers stand in an event's queue: each turn with its place (or 0 when sold out). */
export type QueuePositions = (
  eventId: string,
  userIds: string[],
) => Promise<Array<{ turn_id: string; user_id: string; status: 'ESPERANDO' | 'AGOTADO'; position: number }>>;

/**
 * Delivers the virtual queue's messages on every instance. Admissions are made by one instance
 * (the admitter of the moment): delivered to its own sockets and sent to the others in one
 * message per tick. Positions are not sent around at all: the admitter says "positions of this
 * event moved" and each instance reads the places of the buyers connected to it, in one query,
 * and tells them; buyers with no socket anywhere cost nothing.
 */
export class QueueRelay {
  /** Events whose positions are being read now, and whether another push was asked meanwhile. */
  private readonly pushing = new Map<string, boolean>();

  constructor(
    private readonly io: IO,
    private readonly positions: QueuePositions,
    private readonly log: Logger,
  ) {
    io.on('queue:admitted', (admissions) => this.deliverLocally(admissions));
    io.on('queue:moved', (eventId) => this.pushPositions(eventId));
  }

  admittedHere(admissions: Admission[]): void {
    this.deliverLocally(admissions);
    this.io.serverSideEmit('queue:admitted', admissions);
  }

  movedHere(eventId: string): void {
    this.pushPositions(eventId);
    this.io.serverSideEmit('queue:moved', eventId);
  }

  private deliverLocally(admissions: Admission[]): void {
    const rooms = this.io.of('/').adapter.rooms;
    for (const { userId, ...payload } of admissions) {
      const room = userRoom(userId);
      if (rooms.has(room)) this.io.local.to(room).emit('queue:admitted', payload);
    }
  }

  private pushPositions(eventId: string): void {
    if (this.pushing.has(eventId)) {
      this.pushing.set(eventId, true); // read again once the current read is done
      return;
    }
    this.pushing.set(eventId, false);
    void this.readAndPush(eventId)
      .catch((err: unknown) => this.log.warn({ err, eventId }, 'queue positions push failed'))
      .finally(() => {
        const again = this.pushing.get(eventId);
        this.pushing.delete(eventId);
        if (again) this.pushPositions(eventId);
      });
  }

  private async readAndPush(eventId: string): Promise<void> {
    const userIds: string[] = [];
    for (const room of this.io.of('/').adapter.rooms.keys()) {
      if (room.startsWith(USER_ROOM_PREFIX)) userIds.push(room.slice(USER_ROOM_PREFIX.length));
    }
    if (userIds.length === 0) return;
    for (const p of await this.positions(eventId, userIds)) {
      this.io.local
        .to(userRoom(p.user_id))
        .emit(
          'queue:position',
          p.status === 'AGOTADO'
            ? { eventoId: eventId, turnoId: p.turn_id, posicion: 0, agotado: true }
            : { eventoId: eventId, turnoId: p.turn_id, posicion: p.position },
        );
    }
  }
}
