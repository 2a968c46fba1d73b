import crypto from 'node:crypto';
import type { RequestHandler, Request } from 'express';
import jwt from 'jsonwebtoken';
import { forbidden, unauthorized } from '../../shared/errors';
import { bearerToken } from '../auth/auth.middleware';
import { authenticate, type Authenticator } from '../auth/authenticate';
import { ROLE_GATES } from '../policy/policy';
import type { AuthUser } from '../auth/tokens';

/** Door-device tokens start with this, so they are told apart from user tokens without a try. */
export const DEVICE_TOKEN_PREFIX = 'ck_';
const AUDIENCE = 'checkin';
/** Verified device tokens remembered at most (the oldest is forgotten first). */
const MAX_REMEMBERED = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who is scanning: a signed-in organizer or administrator, or a door device of one event. */
export type CheckinActor = { kind: 'user'; user: AuthUser } | { kind: 'device'; tokenId: string; eventId: string };

/**
 * Door-device tokens: HS256 JWTs under a key derived from the JWT secret for this purpose only,
 * with their own audience and prefix. A user-token check (`requireAuth`, Socket.IO) fails their
 * signature, so they open nothing but check-in. Revocation is checked in the database by the
 * statement that admits (see TicketRepository.admit), so a revoked token stops at once.
 */
export class DeviceTokens {
  private readonly key: crypto.KeyObject;
  /** Verified token → its device and expiry (ms). Insertion order = age, for eviction. */
  private readonly verified = new Map<string, { device: { tokenId: string; eventId: string }; expiresAtMs: number }>();

  constructor(jwtSecret: string) {
    this.key = crypto.createSecretKey(
      Buffer.from(crypto.hkdfSync('sha256', jwtSecret, 'ticketing', 'checkin-device-token/v1', 32)),
    );
  }

  sign(tokenId: string, eventId: string, expiresAt: Date): string {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return (
      DEVICE_TOKEN_PREFIX +
      jwt.sign({ evt: eventId, exp }, this.key, { algorithm: 'HS256', subject: tokenId, audience: AUDIENCE })
    );
  }

  /**
   * Verified tokens are remembered as user tokens are (TokenService): a door scanning all evening
   * sends the same string thousands of times. Expiry is checked on every use; revocation is not
   * this method's concern (the admission statement checks it in the database).
   */
  verify(token: string): { tokenId: string; eventId: string } {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's rule: expired once the clock (in whole seconds) reaches `exp`.
      if (Math.floor(Date.now() / 1000) * 1000 < known.expiresAtMs) return { ...known.device };
      this.verified.delete(token);
      throw unauthorized('Check-in token expired');
    }
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token.slice(DEVICE_TOKEN_PREFIX.length), this.key, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
      });
    } catch (error) {
      throw unauthorized(error instanceof jwt.TokenExpiredError ? 'Check-in token expired' : 'Invalid token');
    }
    if (typeof payload === 'string' || !UUID.test(String(payload.sub)) || !UUID.test(String(payload.evt))) {
      throw unauthorized('Invalid token');
    }
    const device = { tokenId: payload.sub!, eventId: payload.evt as string };
    if (typeof payload.exp === 'number' && payload.nbf === undefined) {
      if (this.verified.size >= MAX_REMEMBERED) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { device, expiresAtMs: payload.exp * 1000 });
    }
    return { ...device };
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    checkinActor?: CheckinActor;
  }
}

/**
 * Who scans, from the Authorization header: a user token (organizer or administrator; whether the
 * organizer runs this event is checked with the admission) or a door-device token of the event
 * in the path (`pathEventId`, as given).
 */
export async function checkinAccess(
  auth: Authenticator,
  devices: DeviceTokens,
  authorization: string | undefined,
  pathEventId: string,
): Promise<CheckinActor> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('Missing bearer token');
  if (token.startsWith(DEVICE_TOKEN_PREFIX)) {
    const device = devices.verify(token);
    if (device.eventId !== pathEventId.toLowerCase()) throw forbidden('This check-in token is for another event');
    return { kind: 'device', ...device };
  }
  const user = await authenticate(auth, token);
  if (!(ROLE_GATES.checkIn as readonly string[]).includes(user.role)) {
    throw forbidden(`Requires role ${ROLE_GATES.checkIn.join(' or ')}, or a check-in token of the event`);
  }
  return { kind: 'user', user };
}

export function requireCheckinAccess(auth: Authenticator, devices: DeviceTokens): RequestHandler {
  return async (req, _res, next) => {
    const actor = await checkinAccess(auth, devices, req.headers.authorization, String(req.params.id));
    if (actor.kind === 'user') req.auth = actor.user;
    req.checkinActor = actor;
    next();
  };
}

export function checkinActor(req: Request): CheckinActor {
  if (!req.checkinActor) throw unauthorized();
  return req.checkinActor;
}
