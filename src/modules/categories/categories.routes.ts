import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { parseBody } from '../../shared/http/validate';
import { caller, requireAuth, requireRole } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import { ROLE_GATES } from '../policy/policy';
import { categoryBody, categoryPatchBody } from './categories.schemas';
import type { CategoryService } from './categories.service';

/** Mounted at /api/events/:id/categories. */
export function categoryRoutes(deps: { categories: CategoryService; auth: Authenticator }): Router {
  const router = Router({ mergeParams: true });
  const manage = [requireAuth(deps.auth), requireRole(...ROLE_GATES.manageEvents)];

  router.get('/', async (req, res) => {
    res.json(await deps.categories.list(idParam(req, 'id', 'Event')));
  });

  router.post('/', ...manage, async (req, res) => {
    const eventId = idParam(req, 'id', 'Event');
    res.status(201).json(await deps.categories.create(caller(req), eventId, parseBody(categoryBody, req)));
  });

  router.put('/:catId', ...manage, async (req, res) => {
    const eventId = idParam(req, 'id', 'Event');
    const categoryId = idParam(req, 'catId', 'Category');
    res.json(await deps.categories.update(caller(req), eventId, categoryId, parseBody(categoryPatchBody, req)));
  });

  router.delete('/:catId', ...manage, async (req, res) => {
    await deps.categories.remove(caller(req), idParam(req, 'id', 'Event'), idParam(req, 'catId', 'Category'));
    res.status(204).end();
  });

  return router;
}
