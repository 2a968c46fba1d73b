import { DEFAULT_ROLE } from '../../shared/domain';
import { AppError, unauthorized } from '../../shared/errors';
import { assertCanSelfRegister } from '../policy/policy';
import type { UserRepository } from './auth.repository';
import type { LoginInput, RegisterInput } from './auth.schemas';
import type { PasswordHasher } from './passwords';
import type { TokenService } from './tokens';
import type { UserDto } from './auth.wire';
import { presentUser } from './user.presenter';

export interface Session {
  token: string;
  user: UserDto;
}

export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
  ) {}

  async register(input: RegisterInput): Promise<Session> {
    assertCanSelfRegister(input.role);
    // Cheap early answer before spending ~200 ms on bcrypt; the unique index still decides races.
    if (await this.users.findByEmail(input.email)) throw emailTaken();
    const user = await this.users.insert({
      name: input.nombre,
      email: input.email,
      passwordHash: await this.passwords.hash(input.password),
      role: input.role ?? DEFAULT_ROLE,
    });
    if (!user) throw emailTaken();
    return { token: this.tokens.sign(user), user: presentUser(user) };
  }

  async login(input: LoginInput): Promise<Session> {
    const user = await this.users.findByEmail(input.email);
    // Same work and same answer whether the email is unknown or the password is wrong.
    const ok = await this.passwords.verify(input.password, user?.password_hash);
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'Invalid email or password');
    return { token: this.tokens.sign(user), user: presentUser(user) };
  }

  async profile(userId: string): Promise<UserDto> {
    const user = await this.users.findById(userId);
    // A valid token for a user that no longer exists is as good as no token.
    if (!user) throw unauthorized('Account no longer exists');
    return presentUser(user);
  }
}

const emailTaken = () => new AppError('EMAIL_TAKEN', 'This email is already registered');
