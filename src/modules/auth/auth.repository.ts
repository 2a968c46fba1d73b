import type pg from 'pg';
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
  constructor(
    private readonly db: Database,
    /** The pool behind `db`, for the one lookup every authenticated request may make. */
    private readonly pool?: pg.Pool,
  ) {}

  /**
   * The account's current role, or undefined when it no longer exists. Asked on the request path
   * (behind a short cache), so it is a named prepared statement: parsed and planned once per
   * connection, and no query builder on the way.
   */
  async roleOf(id: string): Promise<Role | undefined> {
    if (!this.pool) return (await this.findById(id))?.role;
    const { rows } = await this.pool.query<{ role: Role }>({
      name: 'account_role',
      text: 'SELECT role FROM users WHERE id = $1',
      values: [id],
    });
    return rows[0]?.role;
  }

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
