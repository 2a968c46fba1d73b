import { Router, type Request } from 'express';
import { AppError } from '../../shared/errors';
import { parseBody } from '../../shared/http/validate';
import type { RateLimits } from '../onsale/rate-limits';
import { caller, requireAuth } from './auth.middleware';
import type { Authenticator } from './authenticate';
import { loginBody, registerBody } from './auth.schemas';
import type { AuthService } from './auth.service';

/** The client's address as Express sees it (X-Forwarded-For only with TRUST_PROXY=true). */
const address = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function authRoutes(deps: { auth: AuthService; authenticator: Authenticator; limits: RateLimits }): Router {
  const router = Router();

  // Per address and endpoint, counted before validation: slows password guessing and mass sign-ups.
  router.post('/register', async (req, res) => {
    await deps.limits.authAttempt('register', address(req));
    res.status(201).json(await deps.auth.register(parseBody(registerBody, req)));
  });

  // Per address, and per account for failures (a guesser spreading over many addresses).
  router.post('/login', async (req, res) => {
    await deps.limits.authAttempt('login', address(req));
    const body = parseBody(loginBody, req);
    await deps.limits.assertLoginAllowed(body.email);
    let session;
    try {
      session = await deps.auth.login(body);
    } catch (error) {
      if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS') await deps.limits.loginFailed(body.email);
      throw error;
    }
    await deps.limits.loginSucceeded(body.email);
    res.json(session);
  });

  router.get('/profile', requireAuth(deps.authenticator), async (req, res) => {
    res.json(await deps.auth.profile(caller(req).id));
  });

  return router;
}
