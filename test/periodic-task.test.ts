import { PeriodicTask } from '../src/shared/periodic-task';
import { eventually, pause } from './helpers/wait';

/** The background-task loop: an interval asked after each run, and wake() (the admitter's idle back-off). */
describe('PeriodicTask', () => {
  const tasks: PeriodicTask[] = [];
  afterEach(() => Promise.all(tasks.splice(0).map((t) => t.stop())));
  const loop = (task: () => Promise<unknown>, interval: number | (() => number)) => {
    const t = new PeriodicTask(task, interval, () => undefined);
    tasks.push(t);
    return t;
  };

  it('asks for the interval after each run', async () => {
    let runs = 0;
    // Short after the first run, then an hour: exactly two runs happen.
    const t = loop(
      async () => {
        runs += 1;
      },
      () => (runs < 2 ? 1 : 3_600_000),
    );
    t.start();
    await eventually(() => runs === 2, 'two runs');
    await pause(50);
    expect(runs).toBe(2);
  });

  it('wake() runs a waiting task now, and a running one again right after it ends', async () => {
    let runs = 0;
    let release: (() => void) | undefined;
    const t = loop(async () => {
      runs += 1;
      if (runs === 2) await new Promise<void>((r) => (release = r));
    }, 3_600_000);
    t.start();
    await eventually(() => runs === 1, 'the first run');
    t.wake(); // waiting an hour: runs now
    await eventually(() => release !== undefined, 'the second run, in progress');
    t.wake(); // while it runs: once more right after it
    release!();
    await eventually(() => runs === 3, 'a third run right after the second');
    await pause(50);
    expect(runs).toBe(3);
  });

  it('does not run after stop(), even when woken', async () => {
    let runs = 0;
    const t = loop(async () => {
      runs += 1;
    }, 3_600_000);
    t.start();
    await eventually(() => runs === 1, 'the first run');
    await t.stop();
    t.wake();
    await pause(50);
    expect(runs).toBe(1);
  });
});
