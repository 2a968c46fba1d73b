import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { caller, requireAuth } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import type { QueueService } from './queue.service';

/** Mounted at /api/events. */
export function queueRoutes(deps: { queue: QueueService; auth: Authenticator }): Router {
  const router = Router();
  router.post('/:id/queue', requireAuth(deps.auth), async (req, res) => {
    res.status(201).json(await deps.queue.join(caller(req), idParam(req, 'id', 'Event')));
  });
  return router;
}
