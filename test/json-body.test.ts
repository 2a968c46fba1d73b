import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { readJsonBody } from '../src/shared/http/json-body';
import { toAppError } from '../src/shared/http/error-handler';

/** The hot routes' body reader (src/shared/http/json-body.ts) on its edge cases. */
const request = () => new PassThrough() as unknown as IncomingMessage & PassThrough;

it('a client that goes away mid-body is a 400 client error, not a 503 "database" failure', async () => {
  const req = request();
  const body = readJsonBody(req);
  req.write('{"eventoId":');
  // What Node raises on the request when the connection closes before Content-Length bytes came.
  req.emit('error', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  const error = await body.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ type: 'request.aborted', status: 400 });
  expect(toAppError(error).code).toBe('VALIDATION_ERROR');
});

it('parses a body sent in several chunks, and answers malformed JSON with 400 entity.parse.failed', async () => {
  const ok = request();
  const parsed = readJsonBody(ok);
  ok.write('\ufeff{"a":');
  ok.end('[1,2]}');
  await expect(parsed).resolves.toEqual({ a: [1, 2] });

  const bad = request();
  const failed = readJsonBody(bad);
  bad.end('"just a string"');
  const error = await failed.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ type: 'entity.parse.failed', status: 400 });
  expect(toAppError(error)).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Malformed JSON body' });
});
