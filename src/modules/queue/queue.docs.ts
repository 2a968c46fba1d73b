import type { Endpoint } from '../docs/openapi';
import { queueTurnResponse } from './queue.wire';

/** The virtual-queue routes (test/queue.test.ts parses real responses with these schemas). */
export const QUEUE_ENDPOINTS: Endpoint[] = [
  {
    method: 'post',
    path: '/api/events/:id/queue',
    tag: 'Virtual queue',
    summary:
      'Join the virtual queue of an event with colaVirtual (idempotent: the same turn again). Whoever joins before the first category’s ventaInicio gets a random place, later joiners queue in arrival order. Admissions (QUEUE_ADMIT_PER_SECOND per event) arrive as queue:admitted with the token for the Queue-Token header of POST /api/orders; positions as queue:position. An admission left unused until it expires goes back to the end of the queue on the next join',
    access: 'signed in',
    params: ['id'],
    ok: { status: 201, schema: queueTurnResponse, description: 'The caller’s turn' },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
];
