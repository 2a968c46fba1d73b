import type { IncomingMessage } from 'node:http';

/** The body size `express.json()` accepts in this app (app.ts); larger bodies are 413. */
export const JSON_BODY_LIMIT = 100 * 1024;

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Whether a request's body is the plain case the hot routes read themselves: `application/json`
 * (in UTF-8), not compressed, with a Content-Length within the limit. Everything else (chunked,
 * gzip, other types or charsets, too large, no body) goes to Express, whose `express.json()`
 * answers it; decided on the headers alone, before anything is read.
 */
export function isPlainJsonRequest(req: IncomingMessage): boolean {
  const { headers } = req;
  const length = headers['content-length'];
  if (length === undefined || headers['transfer-encoding'] !== undefined) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) return false;
  const bytes = Number(length);
  return Number.isInteger(bytes) && bytes > 0 && bytes <= JSON_BODY_LIMIT;
}

/** Thrown for a body `express.json()` would refuse as malformed (same `type`, so the same 400). */
class MalformedJson extends Error {
  readonly type = 'entity.parse.failed';
  readonly status = 400;
}

class RequestAborted extends Error {
  readonly type = 'request.aborted';
  readonly status = 400;
  constructor() {
    super('request aborted');
  }
}

/**
 * The body of a plain JSON request (see isPlainJsonRequest), parsed as `express.json()` does: a
 * leading byte-order mark dropped, an empty body read as `{}`, only an object or an array at the
 * top (strict), anything else a 400 `entity.parse.failed`. Node's parser delivers no more than
 * Content-Length bytes; a connection closed early rejects with a 400 `request.aborted`.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The client went away mid-body: a client error (as body-parser says, 400 request.aborted),
    // not the ECONNRESET of a lost database connection that the error handler would log and 503.
    req.once('error', () => reject(new RequestAborted()));
    req.once('end', () => {
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      const first = /^[ \t\n\r]*(.)/s.exec(text)?.[1];
      if (first !== '{' && first !== '[') return reject(new MalformedJson('Unexpected token in JSON'));
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new MalformedJson((error as Error).message));
      }
    });
  });
}
