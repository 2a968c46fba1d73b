import { z } from 'zod';

export const joinWaitlistBody = z.object({
  cantidad: z.number().int().min(1).describe('Tickets wanted; served only all together'),
});
export type JoinWaitlistInput = z.infer<typeof joinWaitlistBody>;
