import { z } from 'zod';
import { QUEUE_TURN_STATUSES } from '../../shared/domain';
import { id, timestamp } from '../../shared/http/wire';

/** The caller's turn in an event's virtual queue (API.md, "Fair on-sales" → "Virtual queue"). */
export const queueTurnResponse = z
  .object({
    turnoId: id,
    posicion: z
      .int()
      .min(0)
      .describe('Buyers ahead, plus one (1: next); 0 once admitted, or when the event sold out first'),
    estado: z
      .enum(QUEUE_TURN_STATUSES)
      .describe('ESPERANDO (in the queue), ADMITIDO (may buy with token until expiraEn), AGOTADO (sold out first)'),
    agotado: z.boolean(),
    token: z
      .string()
      .nullable()
      .describe('While ADMITIDO: send it as the Queue-Token header of POST /api/orders for this event'),
    expiraEn: timestamp.nullable(),
  })
  .strict()
  .meta({ id: 'QueueTurn' });
export type QueueTurnDto = z.infer<typeof queueTurnResponse>;
