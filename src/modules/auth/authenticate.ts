import { unauthorized } from '../../shared/errors';
import type { AccountDirectory } from './accounts';
import type { AuthUser, TokenService } from './tokens';

export interface Authenticator {
  tokens: TokenService;
  accounts: AccountDirectory;
}

/**
 * A valid token of an account that still exists; the account's current role applies, not the one
 * the token claims. HTTP (`requireAuth`) and Socket.IO (`join:user`) both sign callers in here.
 */
export async function authenticate({ tokens, accounts }: Authenticator, token: string): Promise<AuthUser> {
  const claimed = tokens.verify(token);
  const account = await accounts.current(claimed.id);
  if (!account) throw unauthorized('Account no longer exists');
  return { id: claimed.id, role: account.role };
}
