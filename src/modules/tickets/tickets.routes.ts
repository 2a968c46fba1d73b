import { Router, type Request, type RequestHandler } from 'express';
import type { HotRoute, Step } from '../../shared/http/hot-routes';
import { idParam, pathId } from '../../shared/http/params';
import { parseBody, parseValue } from '../../shared/http/validate';
import { caller, requireAuth, requireRole } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import { ROLE_GATES } from '../policy/policy';
import type { OrderService } from '../orders/orders.service';
import { checkinAccess, checkinActor, requireCheckinAccess, type DeviceTokens } from './checkin-auth';
import { checkinBody, checkinTokenBody, syncBody } from './tickets.schemas';
import type { TicketService } from './tickets.service';

const CHECKIN_PATH = /^\/api\/events\/([0-9A-Fa-f-]{36})\/checkins$/;

/**
 * POST /api/events/:id/checkins without Express (see shared/http/hot-routes.ts), in the order its
 * Express route takes: the event id (404 when malformed), who scans, the body, the admission.
 */
export function checkinHotRoute(
  deps: { tickets: TicketService; auth: Authenticator; devices: DeviceTokens },
  steps: Step[],
): HotRoute {
  return {
    method: 'POST',
    match: (path) => {
      const id = CHECKIN_PATH.exec(path)?.[1];
      return id === undefined ? undefined : [id];
    },
    steps,
    handle: async (req, body, [id]) => {
      const eventId = pathId(id, 'Event');
      const actor = await checkinAccess(deps.auth, deps.devices, req.headers.authorization, id!);
      const input = parseValue(checkinBody, body, 'body');
      return { status: 200, body: await deps.tickets.checkIn(actor, eventId, input) };
    },
  };
}

/** Tickets, their QR codes and check-in at the door; mounted at /api. */
export function ticketRoutes(deps: {
  tickets: TicketService;
  orders: OrderService;
  auth: Authenticator;
  devices: DeviceTokens;
}): Router {
  const router = Router();
  const auth = requireAuth(deps.auth);
  const organizer = [auth, requireRole(...ROLE_GATES.manageEvents)];
  const eventId = (req: Request) => idParam(req, 'id', 'Event');
  // The event id is checked first: a malformed one is a 404 whoever asks.
  const door: RequestHandler[] = [
    (req, _res, next) => (eventId(req), next()),
    requireCheckinAccess(deps.auth, deps.devices),
  ];

  router.post('/events/:id/checkins', ...door, async (req, res) => {
    res.json(await deps.tickets.checkIn(checkinActor(req), eventId(req), parseBody(checkinBody, req)));
  });

  router.post('/events/:id/checkins/sync', ...door, async (req, res) => {
    res.json(await deps.tickets.sync(checkinActor(req), eventId(req), parseBody(syncBody, req)));
  });

  router.get('/events/:id/checkins/stats', ...organizer, async (req, res) => {
    res.json(await deps.tickets.stats(caller(req), eventId(req)));
  });

  router.get('/events/:id/checkin-key', async (req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(await deps.tickets.publicKey(eventId(req)));
  });

  router.post('/events/:id/checkin-tokens', ...organizer, async (req, res) => {
    res
      .status(201)
      .json(await deps.tickets.createDeviceToken(caller(req), eventId(req), parseBody(checkinTokenBody, req)));
  });

  router.delete('/events/:id/checkin-tokens/:tokenId', ...organizer, async (req, res) => {
    await deps.tickets.revokeDeviceToken(caller(req), eventId(req), idParam(req, 'tokenId', 'Check-in token'));
    res.status(204).end();
  });

  router.get('/orders/:id/tickets', auth, async (req, res) => {
    const user = caller(req);
    const order = await deps.orders.get(user, idParam(req, 'id', 'Order'));
    res.json(await deps.tickets.forOrder(user, order));
  });

  router.get('/tickets/:id/qr.svg', auth, async (req, res) => {
    const svg = await deps.tickets.qrSvg(caller(req), idParam(req, 'id', 'Ticket'));
    res.type('image/svg+xml').set('Cache-Control', 'private, max-age=3600').send(svg);
  });

  return router;
}
