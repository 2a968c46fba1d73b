import { z } from 'zod';
import { MAX_SYNC_SCANS } from '../../shared/domain';
import { noNul, NO_NUL_MESSAGE } from '../../shared/http/schemas';

const door = z.string().trim().min(1).max(100).refine(noNul, NO_NUL_MESSAGE);
// Generous on length: a code is 156 characters, but scanners may add spaces or line breaks.
const code = z.string().min(1).max(400).describe('The ticket code (what its QR code carries)');

export const checkinBody = z.object({
  codigo: code,
  puerta: door.optional().describe('Where it was scanned (shown on a second scan of the ticket)'),
});
export type CheckinInput = z.infer<typeof checkinBody>;

export const syncBody = z.object({
  escaneos: z
    .array(
      z.object({
        codigo: code,
        escaneadoEn: z.iso
          .datetime({ offset: true })
          .describe('When the device scanned it (a time in the future counts as now)'),
        puerta: door.optional(),
        nonce: z
          .string()
          .regex(/^[\x21-\x7e]{1,100}$/, 'must be 1 to 100 printable ASCII characters')
          .describe('Chosen by the device, unique per event (a UUID): a nonce sent again gets its first result'),
      }),
    )
    .min(1)
    .max(MAX_SYNC_SCANS),
});
export type SyncInput = z.infer<typeof syncBody>;

export const checkinTokenBody = z.object({
  etiqueta: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine(noNul, NO_NUL_MESSAGE)
    .optional()
    .describe('A name for the device'),
  horas: z
    .number()
    .positive()
    .max(24 * 30)
    .optional()
    .describe('Lifetime in hours (default 24, at most 720)'),
});
export type CheckinTokenInput = z.infer<typeof checkinTokenBody>;
