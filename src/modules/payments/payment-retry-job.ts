import type { Logger } from '../../shared/logger';
import type { PaymentService } from './payments.service';

/**
 * Makes the provider calls still owed (captures of confirmed orders, cancels and refunds) whose
 * first attempt right after the commit failed. Rows are claimed one by one with a lease, so
 * several instances can run this together without making a call twice at the same time.
 */
export class PaymentRetryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly payments: PaymentService,
    private readonly logger: Logger,
    private readonly intervalMs: number,
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

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.payments
        .runDue()
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn({ err: error }, 'payment retry round failed; retrying next interval'),
        )
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
