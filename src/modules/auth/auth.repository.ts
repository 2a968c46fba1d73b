import type { Database } from '../../shared/db/database';
import type { UserRow } from '../../shared/db/schema';
import type { Role } from '../../shared/domain';

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
  role: Role;
}

export class UserRepository {
  constructor(private readonly db: Database) {}

  findByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Returns undefined when the email is already taken (the unique index decides, not a pre-check). */
  insert(user: NewUser): Promise<UserRow | undefined> {
    return this.db
      .insertInto('users')
      .values({ name: user.name, email: user.email, password_hash: user.passwordHash, role: user.role })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
  }
}
