import { createSuiteDatabase, TEST_DB_ENV, type SuiteDatabase } from './test-database';

declare global {
  var __TICKETING_SUITE_DB__: SuiteDatabase | undefined;
}

export default async function globalSetup(): Promise<void> {
  const database = await createSuiteDatabase();
  globalThis.__TICKETING_SUITE_DB__ = database;
  // Test workers are started after this and inherit the variable.
  process.env[TEST_DB_ENV] = database.url;
}
