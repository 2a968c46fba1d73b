import { isOneOf } from '../../src/shared/domain';
import { ROLE_GATES } from '../../src/modules/policy/policy';
import type { User } from './types';

/** The signed-in user: the token lives in localStorage, the user object is refreshed from /api/auth/profile. */
const TOKEN_KEY = 'ticketing.token';
const USER_KEY = 'ticketing.user';

type Listener = () => void;
const listeners = new Set<Listener>();

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage may be unavailable (private mode); the session then lasts as long as the page.
  }
}

let token: string | null = read(TOKEN_KEY);
let user: User | null = null;
try {
  const cached = read(USER_KEY);
  user = token && cached ? (JSON.parse(cached) as User) : null;
} catch {
  user = null;
}

export const session = {
  get token(): string | null {
    return token;
  },
  get user(): User | null {
    return user;
  },
  get signedIn(): boolean {
    return token !== null;
  },
  get isOrganizer(): boolean {
    return user !== null && isOneOf(ROLE_GATES.manageEvents, user.role);
  },
  set(newToken: string, newUser: User): void {
    token = newToken;
    user = newUser;
    write(TOKEN_KEY, newToken);
    write(USER_KEY, JSON.stringify(newUser));
    emit();
  },
  clear(): void {
    if (token === null && user === null) return;
    token = null;
    user = null;
    write(TOKEN_KEY, null);
    write(USER_KEY, null);
    emit();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function emit(): void {
  for (const l of [...listeners]) l();
}

// Another tab signed in or out: follow it.
window.addEventListener('storage', (e) => {
  if (e.key !== TOKEN_KEY) return;
  token = e.newValue;
  try {
    const cached = read(USER_KEY);
    user = token && cached ? (JSON.parse(cached) as User) : null;
  } catch {
    user = null;
  }
  emit();
});
