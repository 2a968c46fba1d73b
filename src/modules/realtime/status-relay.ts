import { userRoom, type IO } from './realtime.events';
import type { OrderStatusChange } from './realtime.wire';

export type StatusChange = OrderStatusChange & { userId: string };

/**
 * Delivers `order:status-change` to buyers on every instance. Changes made here are told to
 * local sockets at once and sent to the other instances in batches (one message per tick, not one
 * per order): the expiry job can expire thousands of holds in a second. Each batch keeps the
 * order in which the changes happened.
 */
export class StatusRelay {
  private pending: StatusChange[] = [];
  private scheduled = false;

  constructor(private readonly io: IO) {
    io.on('orders:status', (changes) => this.deliverLocally(changes));
  }

  changedHere(change: StatusChange): void {
    this.deliverLocally([change]);
    this.pending.push(change);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.io.serverSideEmit('orders:status', batch);
  }

  private deliverLocally(changes: StatusChange[]): void {
    for (const { userId, ...payload } of changes) {
      this.io.local.to(userRoom(userId)).emit('order:status-change', payload);
    }
  }
}
