import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../../shared/periodic-task';
import type { PaymentService } from './payments.service';

/**
 * Makes the provider calls still owed (captures of confirmed orders, cancels and refunds) whose
 * first attempt right after the commit failed. Rows are claimed one by one with a lease, so
 * several instances can run this together without making a call twice at the same time.
 */
export class PaymentRetryJob {
  private readonly loop: PeriodicTask;

  constructor(payments: PaymentService, logger: Logger, intervalMs: number) {
    this.loop = new PeriodicTask(
      () => payments.runDue(),
      intervalMs,
      (error) => logger.warn({ err: error }, 'payment retry round failed; retrying next interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
