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
  /** A run is scheduled and has not started (false while one runs: it schedules the next itself). */
  private pending = false;
  /** wake() came while a run was in progress: the next run follows it at once. */
  private wokenWhileRunning = false;

  /**
   * `intervalMs`: a number, or a function asked after each run (a task that found nothing to do
   * can wait longer).
   */
  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly intervalMs: number | (() => number),
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

  /** Runs the task now instead of at the end of the current wait (after the run in progress, if any). */
  wake(): void {
    if (this.stoppedFlag) return;
    if (!this.pending) {
      this.wokenWhileRunning = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag) return;
    this.pending = true;
    this.timer = setTimeout(() => {
      this.pending = false;
      this.running = this.task()
        .then(() => undefined, this.onError)
        .finally(() => {
          const woken = this.wokenWhileRunning;
          this.wokenWhileRunning = false;
          this.schedule(woken ? 0 : typeof this.intervalMs === 'number' ? this.intervalMs : this.intervalMs());
        });
    }, delayMs);
    this.timer.unref();
  }
}
