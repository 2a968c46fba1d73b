import { z } from 'zod';

export const healthResponse = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }).strict();
export const readyResponse = z.object({ status: z.literal('ready') }).strict();
