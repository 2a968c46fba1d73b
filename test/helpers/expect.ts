/** Shapes every suite checks: ids are UUIDs, timestamps ISO-8601 UTC. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** A well-formed id that names nothing. */
export const UNKNOWN_ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

/** The contract's error envelope: `{error: {code, message, details?}}` and nothing else. */
export function expectError(res: { status: number; body: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  expect(Object.keys(res.body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
}
