import { Router } from 'express';
import { sql } from 'kysely';
import type { Database } from '../../shared/db/database';
import { AppError } from '../../shared/errors';

/** `/health`: the process answers. `/ready`: it can also reach its database (else 503). */
export function healthRoutes(deps: { db: Database }): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/ready', async (_req, res) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', 'Database unreachable');
    }
    res.json({ status: 'ready' });
  });

  return router;
}
