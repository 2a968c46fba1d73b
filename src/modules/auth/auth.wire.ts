import { z } from 'zod';
import { ROLES } from '../../shared/domain';
import { id, timestamp } from '../../shared/http/wire';

export const userResponse = z
  .object({ id, nombre: z.string(), email: z.email(), role: z.enum(ROLES), createdAt: timestamp })
  .strict()
  .meta({ id: 'User' });
export type UserDto = z.infer<typeof userResponse>;

export const sessionResponse = z.object({ token: z.string(), user: userResponse }).strict().meta({ id: 'Session' });
export type SessionDto = z.infer<typeof sessionResponse>;
