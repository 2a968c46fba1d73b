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

  async current(userId: string): Promise<{ role: Role } | undefined> {
    let account = this.cache.get(userId);
    if (account === undefined) {
      const stamp = this.cache.stamp(userId);
      const row = await this.users.findById(userId);
      account = row ? { role: row.role } : null;
      this.cache.setIfUnchanged(userId, stamp, account);
    }
    return account ?? undefined;
  }
}
