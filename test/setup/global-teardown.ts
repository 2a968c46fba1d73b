export default async function globalTeardown(): Promise<void> {
  await globalThis.__TICKETING_SUITE_DB__?.dispose();
}
