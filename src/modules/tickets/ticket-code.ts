import crypto from 'node:crypto';
import { base32 } from 'rfc4648';

/**
 * `codigo`, what a ticket's QR code carries (API.md, "Tickets"): RFC 4648 base32, upper case, no
 * padding (QR alphanumeric mode), of 97 bytes: version 1, the ticket's UUID (16 bytes), the
 * event's UUID (16 bytes), then the Ed25519 signature of those first 33 bytes. Ed25519 signatures
 * are deterministic, so a ticket's code never needs storing: it is computed again when shown.
 */
export const CODE_VERSION = 1;
const SIGNED_BYTES = 33;
const SIGNATURE_BYTES = 64;
/** ceil(97 * 8 / 5) */
export const CODE_LENGTH = 156;
const CODE_SHAPE = /^[A-Z2-7]{156}$/;

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidText = (bytes: Buffer) => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** The 33 signed bytes of a ticket's code. */
export function signedPart(ticketId: string, eventId: string): Buffer {
  return Buffer.concat([Buffer.of(CODE_VERSION), uuidBytes(ticketId), uuidBytes(eventId)]);
}

export function encodeCode(ticketId: string, eventId: string, privateKey: crypto.KeyObject): string {
  const signed = signedPart(ticketId, eventId);
  const signature = crypto.sign(null, signed, privateKey);
  return base32.stringify(Buffer.concat([signed, signature]), { pad: false });
}

export interface DecodedCode {
  ticketId: string;
  eventId: string;
  signed: Buffer;
  signature: Buffer;
  /** The code in its canonical form (what a QR code of this ticket carries). */
  canonical: string;
}

/**
 * Reads a code without checking its signature. Scanners and people typing codes add spaces, lower
 * case or padding; those are forgiven. Anything else that is not a version-1 code: undefined.
 */
export function decodeCode(raw: string): DecodedCode | undefined {
  const canonical = raw.replace(/[\s=]/g, '').toUpperCase();
  if (!CODE_SHAPE.test(canonical)) return undefined;
  const bytes = Buffer.from(base32.parse(canonical, { loose: true }));
  if (bytes.length !== SIGNED_BYTES + SIGNATURE_BYTES || bytes[0] !== CODE_VERSION) return undefined;
  return {
    ticketId: uuidText(bytes.subarray(1, 17)),
    eventId: uuidText(bytes.subarray(17, 33)),
    signed: bytes.subarray(0, SIGNED_BYTES),
    signature: bytes.subarray(SIGNED_BYTES),
    canonical,
  };
}

export const verifyCode = (code: DecodedCode, publicKey: crypto.KeyObject): boolean =>
  crypto.verify(null, code.signed, publicKey, code.signature);
