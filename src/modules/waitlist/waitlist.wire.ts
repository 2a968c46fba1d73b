import { z } from 'zod';
import { WAITLIST_STATUSES } from '../../shared/domain';
import { id, timestamp } from '../../shared/http/wire';

/** A waiting-list entry (API.md, "Fair on-sales" → "Waiting list"). */
export const waitlistEntryResponse = z
  .object({
    id,
    eventoId: id,
    categoriaId: id,
    cantidad: z.int().min(1),
    posicion: z
      .int()
      .min(1)
      .nullable()
      .describe('Place among the entries still waiting for this category (1: next); null once no longer waiting'),
    estado: z
      .enum(WAITLIST_STATUSES)
      .describe(
        'EN_ESPERA (waiting), OFERTADO (ordenId is a RESERVED order made for it: pay it before it expires), EXPIRADO (that hold ran out; the turn passed on), CANCELADO (left the list, or the offered order was cancelled)',
      ),
    ordenId: id.nullable(),
    creadoEn: timestamp,
  })
  .strict()
  .meta({ id: 'WaitlistEntry' });
export type WaitlistEntryDto = z.infer<typeof waitlistEntryResponse>;

export const waitlistEntries = z.array(waitlistEntryResponse).meta({ id: 'WaitlistEntries' });
