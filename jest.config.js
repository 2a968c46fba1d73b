const fs = require('node:fs');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Some suites need something beyond Node.js; `.ci/run` provides both, and a fresh machine with
  // only Node.js runs everything else: the Redis suites, `*redis.test.ts` (TEST_REDIS_URL) and the browser
  // tests (Debian's Chromium at /usr/bin/chromium, or CHROMIUM_PATH).
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.TEST_REDIS_URL ? [] : ['redis\\.test\\.ts$']),
    ...(fs.existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium') ? [] : ['/e2e/']),
  ],
  transform: {
    // Type checking is `npm run typecheck`'s job; tests only need the JavaScript.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup/env.ts'],
  testTimeout: 60000,
  // One file at a time: the flash-sale suites saturate the shared database on purpose, and
  // would starve the real-time suites of a parallel worker.
  maxWorkers: 1,
};
