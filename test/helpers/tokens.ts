import crypto from 'node:crypto';

/** base64url of a string as is, or of anything else as JSON: the parts of a JWT. */
export const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWT built by hand: any header, any payload, HMAC-signed with any key and hash. */
export function hmacToken(header: object, payload: unknown, key: string | Buffer, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${crypto.createHmac(hash, key).update(input).digest('base64url')}`;
}

/** Now, in the seconds of a JWT's `iat` and `exp`. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);
