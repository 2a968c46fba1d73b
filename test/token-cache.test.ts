import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenService } from '../src/modules/auth/tokens';

/** Verified tokens are remembered; expiry and tampering must still be caught on every use. */
describe('token verification cache', () => {
  const secret = crypto.randomBytes(32).toString('hex');
  const user = { id: crypto.randomUUID(), role: 'COMPRADOR' as const };

  afterEach(() => jest.restoreAllMocks());

  it('answers a repeated token with the same user, as a fresh object each time', () => {
    const tokens = new TokenService(secret, '1h');
    const token = tokens.sign(user);
    const first = tokens.verify(token);
    const second = tokens.verify(token);
    expect(first).toEqual(user);
    expect(second).toEqual(user);
    first.role = 'ADMIN';
    expect(tokens.verify(token).role).toBe('COMPRADOR');
  });

  it('refuses a remembered token once it has expired', () => {
    const tokens = new TokenService(secret, '60s');
    const token = tokens.sign(user);
    expect(tokens.verify(token)).toEqual(user);
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    expect(() => tokens.verify(token)).toThrow('Token expired');
    expect(() => tokens.verify(token)).toThrow('Token expired');
  });

  it('does not let a remembered token vouch for a tampered copy of it', () => {
    const tokens = new TokenService(secret, '1h');
    const token = tokens.sign(user);
    tokens.verify(token);
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ role: 'ADMIN', sub: user.id, exp: 4_102_444_800 })).toString(
      'base64url',
    );
    expect(() => tokens.verify(`${header}.${forgedPayload}.${signature}`)).toThrow('Invalid token');
    expect(() => tokens.verify(`${token}x`)).toThrow('Invalid token');
  });

  it('refuses tokens signed with another secret, even after the real one was remembered', () => {
    const tokens = new TokenService(secret, '1h');
    tokens.verify(tokens.sign(user));
    const other = jwt.sign({ role: 'ADMIN' }, 'another secret', {
      algorithm: 'HS256',
      subject: user.id,
      expiresIn: '1h',
    });
    expect(() => tokens.verify(other)).toThrow('Invalid token');
  });

  it('stays bounded: the oldest tokens are forgotten, and still verify when seen again', () => {
    const tokens = new TokenService(secret, '1h', 3);
    const many = Array.from({ length: 5 }, () => tokens.sign({ id: crypto.randomUUID(), role: 'COMPRADOR' }));
    for (const t of many) tokens.verify(t);
    expect((tokens as unknown as { verified: Map<string, unknown> }).verified.size).toBe(3);
    for (const t of many) expect(tokens.verify(t).role).toBe('COMPRADOR');
  });
});
