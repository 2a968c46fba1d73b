import type { Request, RequestHandler } from 'express';
import type { Role } from '../../shared/domain';
import { forbidden, unauthorized } from '../../shared/errors';
import { authenticate, type Authenticator } from './authenticate';
import type { AuthUser } from './tokens';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthUser;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The caller behind an `Authorization: Bearer …` header (401 without one or with a bad one). */
export async function signedIn(authenticator: Authenticator, authorization: string | undefined): Promise<AuthUser> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('Missing bearer token');
  return authenticate(authenticator, token);
}

export function requireAuth(authenticator: Authenticator): RequestHandler {
  return async (req, _res, next) => {
    req.auth = await signedIn(authenticator, req.headers.authorization);
    next();
  };
}

/** A route-level gate; the role lists live in `policy/policy.ts` (`ROLE_GATES`). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.auth) throw unauthorized();
    if (!roles.includes(req.auth.role)) throw forbidden(`Requires role ${roles.join(' or ')}`);
    next();
  };
}

/** The signed-in caller; routes reach it only behind `requireAuth`. */
export function caller(req: Request): AuthUser {
  if (!req.auth) throw unauthorized();
  return req.auth;
}
