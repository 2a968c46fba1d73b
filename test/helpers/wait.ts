/**
 * Polls until `check` holds, failing after a generous deadline (not a timing assertion). The check
 * is "not yet" while it returns `false` or throws (so an `expect(...)` can be the check); on
 * timeout the last error, if any, is what fails the test.
 */
export async function eventually(
  check: () => boolean | void | Promise<boolean | void>,
  what = 'a condition',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) throw failure ?? new Error(`timed out waiting for: ${what}`);
    await pause(20);
  }
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
