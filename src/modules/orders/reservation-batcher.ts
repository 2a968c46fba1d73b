import type { NewOrder, ReservationResult } from './orders.repository';

/** The two ways a purchase reaches the database (OrderRepository). */
export interface ReservationCalls {
  /** `reserve_order()`: every rule, every error, waits for a busy bucket when it must. */
  one(order: NewOrder): Promise<ReservationResult>;
  /**
   * `reserve_orders()` (migrations/0015): the plain ones of `orders` in one statement; `undefined`
   * for an order it leaves to `one()`.
   */
  many(orders: NewOrder[]): Promise<Array<ReservationResult | undefined>>;
}

interface Waiting {
  order: NewOrder;
  resolve(result: ReservationResult): void;
  reject(error: unknown): void;
}

/**
 * Purchases that queue for the database go in batches. At most `maxInFlight` purchase calls run
 * at once (the pool's size: more would only wait for a connection); a purchase arriving while
 * they all run waits here, and when one finishes, everything waiting (up to `batchSize`) leaves
 * in one `reserve_orders()` call. A purchase alone, on a machine that is not saturated, is sent at
 * once, as one `reserve_order()` call: batching adds no waiting, it only uses the wait that a
 * full pool imposes anyway. Per order in a batch PostgreSQL does a fraction of the work (one
 * transaction, one commit, one INSERT per table for the whole batch; docs/performance.md).
 *
 * What `reserve_orders()` does not serve (docs in migrations/0015) goes to `reserve_order()`
 * alone, right after the batch: multi-line orders, and each order the batch sent back. Two
 * purchases of one buyer with the same Idempotency-Key never share a batch (the second would
 * fail the batch's INSERT). A batch holds orders of one event only: whatever makes one
 * purchase of an event wait (the event being deleted) or fail then touches no other event's.
 */
export class ReservationBatcher {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly calls: ReservationCalls,
    private readonly maxInFlight: number,
    private readonly batchSize: number,
    private readonly onSent: (orders: number) => void = () => undefined,
  ) {}

  reserve(order: NewOrder): Promise<ReservationResult> {
    return new Promise<ReservationResult>((resolve, reject) => {
      this.waiting.push({ order, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.take();
      this.inFlight++;
      this.onSent(batch.length);
      const sent = batch.length === 1 ? this.alone(batch[0]!) : this.together(batch);
      void sent.finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The first waiting purchase and, when it can be batched, the batchable ones behind it. */
  private take(): Waiting[] {
    const first = this.waiting[0]!;
    if (!batchable(first.order) || this.batchSize <= 1) {
      this.waiting.shift();
      return [first];
    }
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const key = w.order.idempotencyKey === undefined ? undefined : `${w.order.userId} ${w.order.idempotencyKey}`;
      const fits =
        batch.length < this.batchSize &&
        batchable(w.order) &&
        w.order.eventId === first.order.eventId &&
        w.order.holdMs === first.order.holdMs &&
        !(key !== undefined && keys.has(key));
      if (fits) {
        batch.push(w);
        if (key !== undefined) keys.add(key);
      } else {
        rest.push(w);
      }
    }
    this.waiting = rest;
    return batch;
  }

  private async alone(w: Waiting): Promise<void> {
    try {
      w.resolve(await this.calls.one(w.order));
    } catch (error) {
      w.reject(error);
    }
  }

  private async together(batch: Waiting[]): Promise<void> {
    let results: Array<ReservationResult | undefined>;
    try {
      results = await this.calls.many(batch.map((w) => w.order));
    } catch (error) {
      // Class 23 (integrity): one order's data failed the whole statement (a buyer deleted
      // meanwhile, an Idempotency-Key committed by a concurrent request): nothing was written;
      // each order is decided alone. Anything else (lock or statement timeout, connection lost)
      // would fail each of them alone too: every order gets the error (503).
      if (!String((error as { code?: unknown }).code ?? '').startsWith('23')) {
        for (const w of batch) w.reject(error);
        return;
      }
      results = batch.map(() => undefined);
    }
    // Sent back: decided alone, outside this batch's slot, so they never wait behind new batches.
    batch.forEach((w, i) => {
      const result = results[i];
      if (result) w.resolve(result);
      else {
        this.onSent(1);
        void this.alone(w);
      }
    });
  }
}

/** reserve_orders() takes orders of one line (migrations/0015). */
function batchable(order: NewOrder): boolean {
  return order.lines.length === 1;
}
