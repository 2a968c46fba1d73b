import { userRoom, type IO } from './realtime.events';
import type { OrderStatusChange } from './realtime.wire';

export type StatusChange = OrderStatusChange & { userId: string };

/**
 * How long changes gather before they go to the other instances in one message. Every message
 * is a NOTIFY (or a Redis publish) that each instance must decode: under a flash sale, one per
 * event-loop turn was a visible share of the database's and the service's CPU.
 */
const BATCH_MS = 10;

/**
 * Delivers `order:status-change` to buyers on every instance. Changes made here are told to
 * local sockets at once and sent to the other instances in batches (one message per BATCH_MS,
 * not one per order): the expiry job can expire thousands of holds in a second. Each batch keeps
 * the order in which the changes happened.
 */
export class StatusRelay {
  private pending: StatusChange[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly io: IO) {
    io.on('orders:status', (changes) => this.deliverLocally(changes));
  }

  changedHere(change: StatusChange): void {
    this.deliverLocally([change]);
    this.pending.push(change);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.io.serverSideEmit('orders:status', batch);
  }

  private deliverLocally(changes: StatusChange[]): void {
    // Most buyers have no socket here: skip them before Socket.IO encodes a packet for nobody.
    const rooms = this.io.of('/').adapter.rooms;
    for (const { userId, ...payload } of changes) {
      const room = userRoom(userId);
      if (rooms.has(room)) this.io.local.to(room).emit('order:status-change', payload);
    }
  }
}
