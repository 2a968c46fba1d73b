import type { Locator, Page } from 'playwright-core';

/**
 * Retrying assertions for playwright-core (which, unlike @playwright/test, has no `expect`): each
 * polls until the page agrees or the deadline passes, then fails with what it last saw.
 */
const TIMEOUT = 10_000;
const INTERVAL = 50;

async function poll<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeout = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError
        ? `error: ${(lastError as Error).message.split('\n')[0]}`
        : `last saw ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; ${seen}`);
    }
    await new Promise((r) => setTimeout(r, INTERVAL));
  }
}

const normalize = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
const matches = (actual: string, expected: string | RegExp) =>
  typeof expected === 'string' ? actual === expected : expected.test(actual);
const QUICK = { timeout: 250 };

export function see(locator: Locator, timeout = TIMEOUT) {
  const name = locator.toString();
  return {
    toHaveText: (expected: string | RegExp) =>
      poll(
        `${name} to have text ${expected}`,
        async () => normalize(await locator.textContent(QUICK)),
        (t) => matches(t, expected),
        timeout,
      ),
    toContainText: (expected: string) =>
      poll(
        `${name} to contain ${JSON.stringify(expected)}`,
        async () => normalize(await locator.textContent(QUICK)),
        (t) => t.includes(expected),
        timeout,
      ),
    toHaveAttribute: (attr: string, expected: string | RegExp) =>
      poll(
        `${name} to have ${attr}=${expected}`,
        async () => (await locator.getAttribute(attr, QUICK)) ?? '',
        (v) => matches(v, expected),
        timeout,
      ),
    toHaveCount: (expected: number) =>
      poll(
        `${name} to have count ${expected}`,
        () => locator.count(),
        (n) => n === expected,
        timeout,
      ),
    toBeVisible: () =>
      poll(
        `${name} to be visible`,
        () => locator.isVisible(),
        (v) => v,
        timeout,
      ),
    toBeFocused: () =>
      poll(
        `${name} to be focused`,
        () => locator.evaluate((el: any) => el === el.ownerDocument.activeElement, undefined, QUICK),
        (v) => v,
        timeout,
      ),
  };
}

export function seeUrl(page: Page, expected: RegExp, timeout = TIMEOUT) {
  return poll(
    `URL to match ${expected}`,
    async () => page.url(),
    (u) => expected.test(u),
    timeout,
  );
}
