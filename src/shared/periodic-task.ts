/**
 * Runs a background task at once on start, then `intervalMs` after each run ends, so two runs of
 * one task never overlap on an instance. A failed run is reported and retried next interval;
 * `stop()` cancels the next run and waits for the one in progress (clean shutdown). The timer is
 * unref'd: a pending run never keeps the process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stoppedFlag = true;

  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** True before start() and after stop(): long runs check it to end early. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(): void {
    if (!this.stoppedFlag) return;
    this.stoppedFlag = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag) return;
    this.timer = setTimeout(() => {
      this.running = this.task()
        .then(() => undefined, this.onError)
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
