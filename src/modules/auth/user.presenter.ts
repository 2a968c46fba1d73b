import type { UserRow } from '../../shared/db/schema';
import type { UserDto } from './auth.wire';

/** The wire shape of a user: never the password hash. */
export function presentUser(user: UserRow): UserDto {
  return {
    id: user.id,
    nombre: user.name,
    email: user.email,
    role: user.role,
    createdAt: user.created_at.toISOString(),
  };
}
