import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../../shared/errors';
import { parseBody } from '../../shared/http/validate';
import { caller, requireAuth } from './auth.middleware';
import type { Authenticator } from './authenticate';
import { loginBody, registerBody } from './auth.schemas';
import type { AuthService } from './auth.service';

/** Per client (IP) and per endpoint: slows password guessing and mass sign-ups. */
function authRateLimit(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError('RATE_LIMITED', 'Too many attempts; try again in a minute')),
  });
}

export function authRoutes(deps: { auth: AuthService; authenticator: Authenticator; rateLimitPerMinute: number }): Router {
  const router = Router();

  router.post('/register', authRateLimit(deps.rateLimitPerMinute), async (req, res) => {
    res.status(201).json(await deps.auth.register(parseBody(registerBody, req)));
  });

  router.post('/login', authRateLimit(deps.rateLimitPerMinute), async (req, res) => {
    res.json(await deps.auth.login(parseBody(loginBody, req)));
  });

  router.get('/profile', requireAuth(deps.authenticator), async (req, res) => {
    res.json(await deps.auth.profile(caller(req).id));
  });

  return router;
}
