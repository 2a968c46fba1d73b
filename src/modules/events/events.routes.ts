import { Router } from 'express';
import type { HotRoute, Step } from '../../shared/http/hot-routes';
import { idParam, pathId } from '../../shared/http/params';
import { paginationQuery } from '../../shared/http/schemas';
import { parseBody, parseQuery } from '../../shared/http/validate';
import { caller, requireAuth, requireRole } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import { ROLE_GATES } from '../policy/policy';
import { createEventBody, searchQuery, updateEventBody } from './events.schemas';
import type { EventService } from './events.service';

/**
 * `/api/events/<a UUID as written>`; anything else under `/api/events/` (the search, a
 * percent-encoded or malformed id) goes to Express, which answers it as it always has.
 */
const EVENT_PATH = /^\/api\/events\/([0-9A-Fa-f-]{36})$/;

/**
 * `GET /api/events/:id` without Express (src/shared/http/hot-routes.ts): the page every buyer
 * reloads while an on-sale opens, answered from the event cache; the same steps and answers as
 * the Express route below, which serves every other variant (a query string, HEAD).
 */
export function eventHotRoute(deps: { events: EventService }, steps: Step[]): HotRoute {
  return {
    method: 'GET',
    match: (path) => {
      const id = EVENT_PATH.exec(path)?.[1];
      return id === undefined ? undefined : [id];
    },
    steps,
    handle: async (_req, _body, [id]) => ({ status: 200, body: await deps.events.get(pathId(id, 'Event')) }),
  };
}

export function eventRoutes(deps: { events: EventService; auth: Authenticator }): Router {
  const router = Router();
  const auth = requireAuth(deps.auth);

  router.get('/', async (req, res) => {
    res.json(await deps.events.list({}, parseQuery(paginationQuery, req)));
  });

  router.get('/search', async (req, res) => {
    const { page, limit, fecha, ubicacion, q, disponible } = parseQuery(searchQuery, req);
    res.json(
      await deps.events.list({ day: fecha, location: ubicacion, text: q, available: disponible }, { page, limit }),
    );
  });

  router.get('/:id', async (req, res) => {
    res.json(await deps.events.get(idParam(req, 'id', 'Event')));
  });

  router.post('/', auth, requireRole(...ROLE_GATES.manageEvents), async (req, res) => {
    res.status(201).json(await deps.events.create(caller(req), parseBody(createEventBody, req)));
  });

  router.put('/:id', auth, requireRole(...ROLE_GATES.manageEvents), async (req, res) => {
    const id = idParam(req, 'id', 'Event');
    res.json(await deps.events.update(caller(req), id, parseBody(updateEventBody, req)));
  });

  router.delete('/:id', auth, requireRole(...ROLE_GATES.deleteEvents), async (req, res) => {
    await deps.events.remove(idParam(req, 'id', 'Event'));
    res.status(204).end();
  });

  return router;
}
