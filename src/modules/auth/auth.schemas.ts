import { z } from 'zod';
import { ROLES } from '../../shared/domain';
import { NO_NUL_MESSAGE, noNul, text } from '../../shared/http/schemas';

const email = z.string().trim().toLowerCase().pipe(z.email('must be a valid email').max(254));

// bcrypt only reads the first 72 bytes; a longer password would be silently truncated.
const password = z
  .string()
  .min(8, 'must have at least 8 characters')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'must be at most 72 bytes')
  .refine((p) => /\p{L}/u.test(p) && /\d/.test(p), 'must contain a letter and a digit')
  .refine(noNul, NO_NUL_MESSAGE);

export const registerBody = z.object({
  nombre: text(100),
  email,
  password,
  role: z.enum(ROLES).optional(),
});
export type RegisterInput = z.infer<typeof registerBody>;

export const loginBody = z.object({
  email,
  password: z.string().min(1).max(1024),
});
export type LoginInput = z.infer<typeof loginBody>;
