import type { Database } from '../../shared/db/database';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../../shared/periodic-task';
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
  private readonly loop: PeriodicTask;
  /** Runs and expired orders, for logs and metrics. */
  readonly stats = { runs: 0, expired: 0, failures: 0, lastRunAt: undefined as Date | undefined };

  constructor(
    private readonly orders: OrderService,
    private readonly logger: Logger,
    private readonly options: ExpiryJobOptions,
  ) {
    this.loop = new PeriodicTask(
      () => this.runOnce(),
      options.intervalMs,
      (error) => {
        this.stats.failures += 1;
        this.logger.warn({ err: error }, 'expiry run failed; retrying next interval');
      },
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass until no full batch is left; exposed for tests and tooling. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.orders.expireDueHolds(this.options.batchSize, this.options.db);
      total += expired;
      if (expired < this.options.batchSize || this.loop.stopped) break;
    }
    // Tickets on sale that a waiting list should have had (a release skipped a buyer who was
    // buying at that moment) go to it now.
    await this.orders.serveOwedWaitlists(this.options.db);
    this.stats.runs += 1;
    this.stats.expired += total;
    this.stats.lastRunAt = new Date();
    if (total > 0) this.logger.info({ expired: total }, 'expired overdue holds');
    return total;
  }
}
