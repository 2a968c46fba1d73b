import type { Role } from '../../shared/domain';
import { TtlCache } from '../../shared/ttl-cache';
import type { UserRepository } from './auth.repository';

/**
 * The accounts behind tokens, as they are now: a token of a deleted account stops working and a
 * changed role takes effect within `ttlMs`, while the purchase path pays a map lookup, not a query.
 */
export class AccountDirectory {
  private readonly cache: TtlCache<string, { role: Role } | null>;

  constructor(
    private readonly users: UserRepository,
    ttlMs = 5000,
  ) {
    this.cache = new TtlCache(ttlMs, 100_000);
  }

  /** Lookups under way: concurrent requests of one account share a single query. */
  private readonly pending = new Map<string, Promise<{ role: Role } | null>>();

  async current(userId: string): Promise<{ role: Role } | undefined> {
    let account = this.cache.get(userId); // null: known not to exist
    if (account === undefined) account = await (this.pending.get(userId) ?? this.lookUp(userId));
    return account ?? undefined;
  }

  private lookUp(userId: string): Promise<{ role: Role } | null> {
    const stamp = this.cache.stamp(userId);
    const lookup = this.users
      .roleOf(userId)
      .then((role) => {
        const account = role ? { role } : null;
        this.cache.setIfUnchanged(userId, stamp, account);
        return account;
      })
      .finally(() => this.pending.delete(userId));
    this.pending.set(userId, lookup);
    return lookup;
  }
}
