import type { Logger } from '../../shared/logger';
import type { IO } from './realtime.events';

/**
 * The schedule shared by the live pushes that read the database after a change (stock, door
 * counts): a burst of changes to the same keys becomes at most one read and one message per key
 * per interval.
 *
 * Every instance reads the current values itself and tells only its local sockets, one read at a
 * time, so the last value a client receives comes from a read made after the last change: it
 * equals the database even when changes arrive from several instances and a burst is coalesced.
 * Changes made here are announced to the other instances on `dirtyChannel`; they call `markDirty`.
 */
export abstract class CoalescingBroadcaster {
  private readonly dirty = new Set<string>();
  private readonly announce = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastFlushAt = 0;
  private closed = false;

  protected constructor(
    protected readonly io: IO,
    protected readonly logger: Logger,
    /** Inter-instance message naming the keys that changed on the sender. */
    private readonly dirtyChannel: 'stock:dirty' | 'checkin:dirty',
    /** At most one read per this many ms. */
    private readonly intervalMs: number,
    /** What to log when a read fails (the keys are retried on the next change). */
    private readonly failureMessage: string,
  ) {}

  /** These keys changed here (announced to the other instances too). */
  changedLocally(ids: string[]): void {
    for (const id of ids) this.announce.add(id);
    this.markDirty(ids);
  }

  /** Another instance says these keys changed. */
  markDirty(ids: string[]): void {
    if (this.closed) return;
    for (const id of ids) this.dirty.add(id);
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing;
  }

  /** Read the current values of these keys and emit them to this instance's sockets. */
  protected abstract publish(ids: string[]): Promise<void>;

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
      this.io.serverSideEmit(this.dirtyChannel, [...this.announce]);
      this.announce.clear();
    }
    try {
      await this.publish(ids);
    } catch (error) {
      // Try again on the next change; the database may be briefly unreachable.
      for (const id of ids) this.dirty.add(id);
      this.logger.warn({ err: error }, this.failureMessage);
    }
  }
}
