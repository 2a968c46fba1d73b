import { Router } from 'express';
import { idParam } from '../../shared/http/params';
import { parseQuery } from '../../shared/http/validate';
import { caller, requireAuth, requireRole } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticate';
import { ROLE_GATES } from '../policy/policy';
import { adminOrdersQuery } from '../orders/orders.schemas';
import type { OrderService } from '../orders/orders.service';
import type { AdminService } from './admin.service';

export function adminRoutes(deps: { admin: AdminService; orders: OrderService; auth: Authenticator }): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.get('/orders', requireRole(...ROLE_GATES.adminReports), async (req, res) => {
    const { page, limit, estado, eventoId, usuarioId } = parseQuery(adminOrdersQuery, req);
    res.json(
      await deps.orders.list(
        { status: estado, eventId: eventoId?.toLowerCase(), userId: usuarioId?.toLowerCase() },
        { page, limit },
      ),
    );
  });

  router.get('/orders/:id/history', requireRole(...ROLE_GATES.adminReports), async (req, res) => {
    res.json(await deps.orders.history(idParam(req, 'id', 'Order')));
  });

  router.get('/stats', requireRole(...ROLE_GATES.adminReports), async (_req, res) => {
    res.json(await deps.admin.stats());
  });

  router.get('/events/:id/sales', requireRole(...ROLE_GATES.eventSales), async (req, res) => {
    res.json(await deps.admin.eventSales(caller(req), idParam(req, 'id', 'Event')));
  });

  return router;
}
