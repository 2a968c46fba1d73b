import { Router } from 'express';
import { sql } from 'kysely';
import type { Database } from '../../shared/db/database';
import { AppError } from '../../shared/errors';

/** Shared with the shutdown sequence: once draining, readiness says 503 so balancers move away. */
export interface Lifecycle {
  draining: boolean;
}

/**
 * `/health`: the process answers. `/ready`: it can also reach its database and is not shutting
 * down (else 503).
 */
export function healthRoutes(deps: { db: Database; lifecycle: Lifecycle }): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/ready', async (_req, res) => {
    if (deps.lifecycle.draining) throw new AppError('SERVICE_UNAVAILABLE', 'Shutting down');
    try {
      await sql`SELECT 1`.execute(deps.db);
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', 'Database unreachable');
    }
    res.json({ status: 'ready' });
  });

  return router;
}
