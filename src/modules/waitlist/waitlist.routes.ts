import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { parseBody } from '../../shared/http/validate';
import { caller, requireAuth } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import { joinWaitlistBody } from './waitlist.schemas';
import type { WaitlistService } from './waitlist.service';

/** Mounted at /api. */
export function waitlistRoutes(deps: { waitlist: WaitlistService; auth: Authenticator }): Router {
  const router = Router();
  const auth = requireAuth(deps.auth);

  router.post('/events/:id/categories/:catId/waitlist', auth, async (req, res) => {
    const eventId = idParam(req, 'id', 'Event');
    const categoryId = idParam(req, 'catId', 'Category');
    const body = parseBody(joinWaitlistBody, req);
    res.status(201).json(await deps.waitlist.join(caller(req), eventId, categoryId, body, req.get('Queue-Token')));
  });

  router.get('/waitlist/mine', auth, async (req, res) => {
    res.json(await deps.waitlist.mine(caller(req)));
  });

  router.delete('/waitlist/:id', auth, async (req, res) => {
    res.json(await deps.waitlist.leave(caller(req), idParam(req, 'id', 'Waiting-list entry')));
  });

  return router;
}
