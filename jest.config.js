/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The Redis fan-out test needs a Redis server; `.ci/run` provides one through TEST_REDIS_URL.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.TEST_REDIS_URL ? [] : ['realtime-redis'])],
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
