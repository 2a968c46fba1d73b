import type { Database } from '../../shared/db/database';
import type { DomainEvents } from '../../shared/domain-events';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../../shared/periodic-task';
import type { AdmissionTokens } from './admission-tokens';
import type { AdmittedTurn, QueueRepository, QueueTick } from './queue.repository';

export interface AdmissionJobOptions {
  /** The jobs pool: a rush of purchases cannot starve admissions, nor admissions purchases. */
  db: Database;
  /** Admissions per second per event, all instances together (QUEUE_ADMIT_PER_SECOND). */
  admitPerSecond: number;
  tokenTtlMs: number;
  intervalMs?: number;
}

/** Ticks per second: admissions come in small steps, not one burst per second. */
const DEFAULT_INTERVAL_MS = 100;
/**
 * With no queued event to serve, one look a second: ten transactions a second on an idle
 * instance were most of its CPU (3 % of a core). A join on this instance wakes the job at once;
 * a join on another instance, while every instance idles, is seen within this time.
 */
const IDLE_INTERVAL_MS = 1000;
/** Positions are pushed at most this often per event (they move on every tick otherwise). */
const PUSH_INTERVAL_S = 1;

interface TickResult {
  eventId: string;
  admitted: AdmittedTurn[];
  push: boolean;
}

/**
 * Admits queued buyers at QUEUE_ADMIT_PER_SECOND per event. Runs on every instance, but each
 * tick first tries a transaction-scoped advisory lock, so one instance admits at a time; the pace
 * (a token bucket: credit refilled by the database clock since the last tick) lives in
 * `queue_state`, so whichever instance ticks next carries on at the same pace. Admission pauses
 * while nothing is on sale and ends for good when everything is sold (turns become AGOTADO).
 * After the commit it publishes the admissions and, at most once a second per event, that
 * positions moved; the real-time layer delivers both on every instance.
 */
export class AdmissionJob {
  private readonly loop: PeriodicTask;
  /** The last tick found no queued event with anything to do. */
  private idle = false;
  private unsubscribe: (() => void) | undefined;
  readonly stats = { ticks: 0, admitted: 0, skipped: 0, failures: 0 };

  constructor(
    private readonly turns: QueueRepository,
    private readonly tokens: AdmissionTokens,
    private readonly bus: DomainEvents,
    private readonly logger: Logger,
    private readonly options: AdmissionJobOptions,
  ) {
    const busyMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.loop = new PeriodicTask(
      () => this.runOnce(),
      () => (this.idle ? Math.max(busyMs, IDLE_INTERVAL_MS) : busyMs),
      (error) => {
        this.stats.failures += 1;
        this.logger.warn({ err: error }, 'queue admission tick failed; retrying next interval');
      },
    );
  }

  start(): void {
    this.unsubscribe ??= this.bus.subscribe('queue.joined', () => this.loop.wake());
    this.loop.start();
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return this.loop.stop();
  }

  /** One tick over every queued event; returns how many buyers it admitted (0 if another instance holds the lock). */
  async runOnce(): Promise<number> {
    const results = await this.options.db.transaction().execute(async (trx) => {
      if (!(await this.turns.tryLockAdmitter(trx))) return undefined;
      const out: TickResult[] = [];
      for (const tick of await this.turns.ticks(trx)) out.push(await this.tick(trx, tick));
      return out;
    });
    // Another instance admitting (no results) means there is work: stay ready to take over.
    this.idle = results !== undefined && results.length === 0;
    if (!results) {
      this.stats.skipped += 1;
      return 0;
    }
    this.stats.ticks += 1;
    let admitted = 0;
    for (const r of results) {
      admitted += r.admitted.length;
      if (r.admitted.length > 0) {
        this.bus.publish('queue.admitted', {
          eventId: r.eventId,
          admissions: r.admitted.map((a) => ({
            turnId: a.id,
            userId: a.user_id,
            expiresAt: a.token_expires_at,
            token: this.tokens.sign({
              turnId: a.id,
              userId: a.user_id,
              eventId: r.eventId,
              expiresAt: a.token_expires_at,
            }),
          })),
        });
      }
      if (r.push) this.bus.publish('queue.moved', { eventId: r.eventId });
    }
    this.stats.admitted += admitted;
    return admitted;
  }

  private async tick(trx: Parameters<QueueRepository['admit']>[0], t: QueueTick): Promise<TickResult> {
    const rate = this.options.admitPerSecond;
    const now = Date.now();
    let credit = 0;
    let moved = t.moved || t.waiting !== t.pushedWaiting;
    let admitted: AdmittedTurn[] = [];
    let soldOut = false;
    let waiting = t.waiting;
    const reopen = t.soldOut && t.available > 0 && t.startsAt.getTime() > now;
    if (reopen) {
      // Tickets came back after a sell-out: those who were told "sold out" queue again, first.
      waiting += await this.turns.reopenSoldOut(trx, t.eventId);
      moved = true;
    }
    if (waiting > 0 && ((t.available === 0 && !t.held) || t.startsAt.getTime() <= now)) {
      // Everything sold (nothing on sale, nothing held that could come back), or the event began.
      await this.turns.closeSoldOut(trx, t.eventId);
      soldOut = true;
      moved = true;
    } else if (waiting > 0 && t.available > 0 && (t.opensAt === null || t.opensAt.getTime() <= now)) {
      // At most one second's worth at once, so a pause (nothing on sale) is not followed by a burst.
      credit = Math.min(t.credit + rate * t.elapsed, Math.max(rate, 1));
      const due = Math.floor(credit);
      admitted = await this.turns.admit(trx, t.eventId, due, this.options.tokenTtlMs);
      credit -= admitted.length;
      if (admitted.length > 0) moved = true;
    }
    const push = moved && (soldOut || t.sinceLastPush >= PUSH_INTERVAL_S);
    await this.turns.saveState(trx, t.eventId, {
      now: t.now,
      credit,
      moved: moved && !push,
      pushed: push,
      waiting: soldOut ? 0 : waiting - admitted.length,
      // Stays set until tickets come back, so a later release can reopen the closed turns.
      soldOut: soldOut || (t.soldOut && !reopen),
    });
    return { eventId: t.eventId, admitted, push };
  }
}
