import type { UserRow } from '../../shared/db/schema';

/** The wire shape of a user: never the password hash. */
export function presentUser(user: UserRow) {
  return {
    id: user.id,
    nombre: user.name,
    email: user.email,
    role: user.role,
    createdAt: user.created_at.toISOString(),
  };
}
export type UserDto = ReturnType<typeof presentUser>;
