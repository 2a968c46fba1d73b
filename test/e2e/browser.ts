/** What the browser suites share: Debian's Chromium, fresh signed-in pages, screenshots, locators. */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createUser, type TestUser } from '../helpers/factories';
import { startTestService, type TestService } from '../helpers/service';

const ROOT = path.resolve(__dirname, '../..');
export const SHOTS = path.join(ROOT, 'test-artifacts/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How long a page waits for what a test looks for (live updates included). */
export const LIVE_TIMEOUT = 10_000;

/** Fails with what to do when the client is not built or Chromium is missing; makes the screenshot folder. */
export function checkPrerequisites(): void {
  if (!fs.existsSync(path.join(ROOT, 'web/dist/app.js'))) {
    throw new Error('web/dist/app.js is missing: run `npm run build:web` first (`npm test` does it in pretest)');
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium); never a downloaded browser`,
    );
  }
  fs.mkdirSync(SHOTS, { recursive: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PageOptions {
  baseURL: string;
  /** Signed in with this token (put in localStorage before the app starts). */
  token?: string;
  /** A phone-sized touch viewport instead of a 1280×900 desktop one. */
  mobile?: boolean;
  /** When given, console errors and uncaught exceptions of the page are pushed here. */
  problems?: string[];
}

/** A page in a fresh browser profile (its own localStorage); its context goes into `contexts` to be closed. */
export async function openBrowserPage(browser: Browser, contexts: BrowserContext[], o: PageOptions): Promise<Page> {
  const context = await browser.newContext({
    baseURL: o.baseURL,
    viewport: o.mobile ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    isMobile: !!o.mobile,
    hasTouch: !!o.mobile,
  });
  contexts.push(context);
  if (o.token) {
    await context.addInitScript((t) => (globalThis as any).localStorage.setItem('ticketing.token', t), o.token);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(LIVE_TIMEOUT);
  const problems = o.problems;
  if (problems) {
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Expected API refusals (409, 401…) are logged by Chromium as failed resource loads.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${message.text()}`);
      }
    });
  }
  return page;
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** The event page's card of one category. */
export const categoryCard = (page: Page, id: string) =>
  page.locator(`[data-testid="category"][data-category-id="${id}"]`);

/**
 * The usual browser suite: one service (with `env`) and one Chromium started before all tests,
 * an organizer to own events, every page's browser profile closed after each test. Read `svc`
 * and `organizer` inside tests (they are set in beforeAll).
 */
export function browserSuite(env: Record<string, string> = {}, problems?: string[]) {
  const contexts: BrowserContext[] = [];
  let browser: Browser | undefined;
  const suite = {
    svc: undefined as unknown as TestService,
    organizer: undefined as unknown as TestUser,
    /** A fresh profile signed in as `user`, on the suite's service. */
    openPage: (user: TestUser) =>
      openBrowserPage(browser!, contexts, { baseURL: suite.svc.url, token: user.token, problems }),
  };
  beforeAll(async () => {
    checkPrerequisites();
    [suite.svc, browser] = await Promise.all([startTestService(env), launchChromium()]);
    suite.organizer = await createUser(suite.svc, 'ORGANIZADOR', 'Olivia Organizer');
  }, 60_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await suite.svc?.close();
  });
  return suite;
}
