import crypto from 'node:crypto';
import type pg from 'pg';

const FOREIGN_KEY_VIOLATION = '23503';

export interface EventKey {
  publicKey: crypto.KeyObject;
  /** SPKI PEM, what GET /api/events/:id/checkin-key hands out. */
  publicPem: string;
  privateKey: crypto.KeyObject;
}

/**
 * Each event's Ed25519 key pair. The private half is stored encrypted (AES-256-GCM under a key
 * derived from TICKET_SIGNING_SECRET, the event id as associated data), so whoever has only a
 * database dump can read public keys but cannot mint a ticket. A key pair is made the first time
 * an event needs one; keys never change, so they are kept in memory once read.
 */
export class SigningKeys {
  private readonly wrapKey: Buffer;
  private readonly cache = new Map<string, EventKey>();

  constructor(
    private readonly pool: pg.Pool,
    secret: string,
    private readonly maxCached = 10_000,
  ) {
    this.wrapKey = Buffer.from(crypto.hkdfSync('sha256', secret, 'ticketing', 'event-signing-key-wrap/v1', 32));
  }

  /** The event's key, made now if it has none; undefined when the event does not exist. */
  async forEvent(eventId: string): Promise<EventKey | undefined> {
    return (await this.existing(eventId)) ?? this.create(eventId);
  }

  /** The event's key if it has one; a code can only be valid when it does. */
  async existing(eventId: string): Promise<EventKey | undefined> {
    const cached = this.cache.get(eventId);
    if (cached) return cached;
    const { rows } = await this.pool.query<{ public_key: Buffer; private_key: Buffer }>({
      name: 'signing_key',
      text: 'SELECT public_key, private_key FROM event_signing_keys WHERE event_id = $1',
      values: [eventId],
    });
    return rows[0] && this.remember(eventId, rows[0].public_key, rows[0].private_key);
  }

  /**
   * Two requests may find no key at the same moment (on two instances, too): both try to insert,
   * one wins, and both then read the winner's key.
   */
  private async create(eventId: string): Promise<EventKey | undefined> {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const sealed = this.seal(eventId, privateKey.export({ type: 'pkcs8', format: 'der' }));
    try {
      await this.pool.query(
        `INSERT INTO event_signing_keys (event_id, public_key, private_key)
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM events WHERE id = $1)
         ON CONFLICT (event_id) DO NOTHING`,
        [eventId, spki, sealed],
      );
    } catch (error) {
      // The event was deleted between the check and the insert.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return undefined;
      throw error;
    }
    return this.existing(eventId);
  }

  private remember(eventId: string, spki: Buffer, sealed: Buffer): EventKey {
    const publicKey = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const key: EventKey = {
      publicKey,
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: crypto.createPrivateKey({ key: this.open(eventId, sealed), format: 'der', type: 'pkcs8' }),
    };
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(eventId, key);
    return key;
  }

  private seal(eventId: string, plain: Buffer): Buffer {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.wrapKey, iv);
    cipher.setAAD(Buffer.from(eventId));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  private open(eventId: string, sealed: Buffer): Buffer {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.wrapKey, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(eventId));
    decipher.setAuthTag(sealed.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
    } catch {
      throw new Error(
        `The signing key of event ${eventId} does not decrypt: TICKET_SIGNING_SECRET is not the one it was made with`,
      );
    }
  }
}
