import crypto from 'node:crypto';

/** What an admission token says: this buyer may buy for this event until `expiresAt`. */
export interface Admission {
  turnId: string;
  userId: string;
  eventId: string;
  expiresAt: Date;
}

const VERSION = 'q1';

/**
 * Virtual-queue admission tokens: `q1.<turn>.<user>.<event>.<expiry, unix s>.<HMAC-SHA256>`
 * (base64url MAC), signed with a key derived from the server secret, so that any instance can
 * check one in memory on the purchase path, without a database round trip. A token is bound to
 * one buyer and one event and is short-lived (QUEUE_TOKEN_TTL_SECONDS); the signer derives it from
 * the turn's stored expiry, so every instance issues the same token for the same turn.
 */
export class AdmissionTokens {
  private readonly key: Buffer;

  constructor(serverSecret: string) {
    // A key of its own: an admission token can never pass for a session token or the reverse.
    this.key = crypto.createHmac('sha256', serverSecret).update('virtual-queue admission v1').digest();
  }

  sign(a: Admission): string {
    const body = [VERSION, a.turnId, a.userId, a.eventId, Math.floor(a.expiresAt.getTime() / 1000)].join('.');
    return `${body}.${this.mac(body)}`;
  }

  /** The admission the token carries, or undefined if it is forged, malformed or expired. */
  verify(token: string, now = Date.now()): Admission | undefined {
    if (token.length > 300) return undefined;
    const cut = token.lastIndexOf('.');
    if (cut < 0) return undefined;
    const body = token.slice(0, cut);
    const given = Buffer.from(token.slice(cut + 1), 'base64url');
    const expected = Buffer.from(this.mac(body), 'base64url');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
    const [version, turnId, userId, eventId, expiry, ...rest] = body.split('.');
    if (version !== VERSION || rest.length > 0 || !turnId || !userId || !eventId) return undefined;
    const expiresAt = new Date(Number(expiry) * 1000);
    if (!(expiresAt.getTime() > now)) return undefined;
    return { turnId, userId, eventId, expiresAt };
  }

  /** For the purchase path: a valid, unexpired token of this buyer for this event. */
  admits(token: string, userId: string, eventId: string): boolean {
    const a = this.verify(token);
    return a !== undefined && a.userId === userId.toLowerCase() && a.eventId === eventId.toLowerCase();
  }

  private mac(body: string): string {
    return crypto.createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
