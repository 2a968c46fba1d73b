import type { Database } from '../../shared/db/database';
import type { Logger } from '../../shared/logger';
import type { OrderService } from './orders.service';

export interface ExpiryJobOptions {
  /** The jobs pool (a bulkhead: purchases or real-time reads cannot starve the release of holds). */
  db?: Database;
  intervalMs: number;
  batchSize: number;
}

/**
 * Releases overdue holds every `intervalMs` (and at once on start, so holds that ran out while
 * the service was down go back on sale immediately). Runs on every instance: the SQL claims rows
 * with SKIP LOCKED, so instances share the work instead of repeating it. Batches stay small so
 * each transaction is short; a full batch means more are due and the next runs right away.
 */
export class ExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Runs and expired orders, for logs and metrics. */
  readonly stats = { runs: 0, expired: 0, failures: 0, lastRunAt: undefined as Date | undefined };

  constructor(
    private readonly orders: OrderService,
    private readonly logger: Logger,
    private readonly options: ExpiryJobOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass until no full batch is left; exposed for tests and tooling. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.orders.expireDueHolds(this.options.batchSize, this.options.db);
      total += expired;
      if (expired < this.options.batchSize || this.stopped) break;
    }
    this.stats.runs += 1;
    this.stats.expired += total;
    this.stats.lastRunAt = new Date();
    if (total > 0) this.logger.info({ expired: total }, 'expired overdue holds');
    return total;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(
          () => undefined,
          (error: unknown) => {
            this.stats.failures += 1;
            this.logger.warn({ err: error }, 'expiry run failed; retrying next interval');
          },
        )
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
