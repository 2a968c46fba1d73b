/** Shapes every suite checks: ids are UUIDs, timestamps ISO-8601 UTC. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** A well-formed id that names nothing. */
export const UNKNOWN_ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

/** The code the contract gives each refusal status, for `expectError` calls that name only the status. */
export const CODE_FOR_STATUS: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
};

interface ErrorResponse {
  status: number;
  body: any;
  /** Present on supertest responses; `call()` (fetch) responses have only status and body. */
  text?: string;
  headers?: Record<string, string>;
}

/** The contract's error envelope: `{error: {code, message, details?}}` and nothing else. */
export function expectError(res: ErrorResponse, status: number, code: string = CODE_FOR_STATUS[status]!): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  expect(Object.keys(res.body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
}

/** 400 VALIDATION_ERROR with one `details` entry (carrying a `path`) for each expected field. */
export function expectValidationError(res: ErrorResponse, paths: string[] = []): void {
  expectError(res, 400, 'VALIDATION_ERROR');
  const details = res.body.error.details as { path: unknown }[];
  expect(Array.isArray(details)).toBe(true);
  expect(details.length).toBeGreaterThan(0);
  for (const d of details) expect(typeof d.path).toBe('string');
  expect(details.map((d) => d.path)).toEqual(expect.arrayContaining(paths));
}

/** Stack frames ("at fn (file.ts:12:3)"), source paths and SQL: what never reaches a client. */
const LEAK = /stack|\bat \S+ \(|\.[jt]s:\d+|node_modules|\/work\/|\bselect\b.*\bfrom\b|\binsert into\b|syntax error/i;

/** Any error in the contract's envelope, as JSON, and nothing else: no stack, no SQL, no extra keys. */
export function expectErrorShape(res: ErrorResponse): void {
  if (res.headers) expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body ?? {})).toEqual(['error']);
  const { error } = res.body;
  expect(typeof error.code).toBe('string');
  expect(typeof error.message).toBe('string');
  expect(Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect(res.text ?? JSON.stringify(res.body)).not.toMatch(LEAK);
}

/** `expectError` and `expectErrorShape` together: the expected refusal, and nothing leaked with it. */
export function expectCleanError(res: ErrorResponse, status: number, code: string): void {
  expectError(res, status, code);
  expectErrorShape(res);
}
