import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { DomainEvents } from '../../shared/domain-events';
import { TtlCache } from '../../shared/ttl-cache';

/** Joins are counted over this window; the contract's limits are 20 joins per window and 50 rooms. */
export const JOIN_WINDOW_SECONDS = 10;

/** Events rarely appear or vanish; a deleted one is dropped from the cache at once on this instance. */
const EXISTS_TTL_MS = 30_000;
/** Unknown ids are remembered briefly, so a socket repeating one does not query each time. */
const MISSING_TTL_MS = 2_000;

export type JoinVerdict =
  | { allowed: true }
  | { allowed: false; /** 1 for the first refusal in the window. */ refusals: number; msBeforeNext: number };

/**
 * What keeps `join:event` cheap under a flood: a per-socket join rate, a cap on rooms per socket,
 * and event existence answered from memory (one query per event per TTL, on the real-time pool,
 * never the purchase pool; concurrent misses for one event share that query).
 */
export class JoinGuard {
  private readonly joins: RateLimiterMemory;
  private readonly exists = new TtlCache<string, boolean>(EXISTS_TTL_MS, 50_000);
  private readonly missing = new TtlCache<string, true>(MISSING_TTL_MS, 50_000);
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly lookup: (eventId: string) => Promise<boolean>,
    bus: DomainEvents,
    readonly limits: { joinsPer10s: number; maxEventRooms: number },
  ) {
    this.joins = new RateLimiterMemory({
      keyPrefix: 'socket-join',
      points: limits.joinsPer10s,
      duration: JOIN_WINDOW_SECONDS,
    });
    this.unsubscribe = bus.subscribe('event.catalog-changed', ({ eventId }) => {
      this.exists.delete(eventId);
      this.missing.delete(eventId);
    });
  }

  /**
   * Counts one join attempt of this socket. Past the rate, says how many refusals this one makes
   * in the window (1 for the first) and when the window frees.
   */
  async allowJoin(socketId: string): Promise<JoinVerdict> {
    try {
      await this.joins.consume(socketId);
      return { allowed: true };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // Refused attempts are counted too (the memory store increments before it refuses).
      return {
        allowed: false,
        refusals: refusal.consumedPoints - this.limits.joinsPer10s,
        msBeforeNext: refusal.msBeforeNext,
      };
    }
  }

  /** Forgets a disconnected socket's counter. */
  forget(socketId: string): void {
    void this.joins.delete(socketId);
  }

  async eventExists(eventId: string): Promise<boolean> {
    if (this.exists.get(eventId)) return true;
    if (this.missing.get(eventId)) return false;
    const pending = this.inFlight.get(eventId);
    if (pending) return pending;
    const existsStamp = this.exists.stamp(eventId);
    const missingStamp = this.missing.stamp(eventId);
    const query = this.lookup(eventId)
      .then((found) => {
        if (found) this.exists.setIfUnchanged(eventId, existsStamp, true);
        else this.missing.setIfUnchanged(eventId, missingStamp, true);
        return found;
      })
      .finally(() => this.inFlight.delete(eventId));
    this.inFlight.set(eventId, query);
    return query;
  }

  close(): void {
    this.unsubscribe();
  }
}
