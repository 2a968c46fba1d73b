import type { Request, RequestHandler } from 'express';
import type { Role } from '../../shared/db/schema';
import { forbidden, unauthorized } from '../../shared/errors';
import type { AccountDirectory } from './accounts';
import type { AuthUser, TokenService } from './tokens';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthUser;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export interface Authenticator {
  tokens: TokenService;
  accounts: AccountDirectory;
}

/** A valid token of an account that still exists; the account's current role applies. */
export function requireAuth({ tokens, accounts }: Authenticator): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw unauthorized('Missing bearer token');
    const claimed = tokens.verify(token);
    const account = await accounts.current(claimed.id);
    if (!account) throw unauthorized('Account no longer exists');
    req.auth = { id: claimed.id, role: account.role };
    next();
  };
}

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
