import { sql } from 'kysely';
import { canCancelOrder, canJoinUserRoom, canManageEvent, canSeeOrder } from '../src/modules/policy/policy';
import { createUser, type TestUser } from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';
import { closeAllSockets, connect, request } from './helpers/sockets';

let svc: TestService;
let buyer: TestUser;
beforeAll(async () => {
  svc = await startTestService();
  buyer = await createUser(svc, 'COMPRADOR');
});
afterEach(() => closeAllSockets());
afterAll(() => svc.close());

describe('policy rules', () => {
  const admin = { id: 'a', role: 'ADMIN' as const };
  const organizer = { id: 'o', role: 'ORGANIZADOR' as const };
  const other = { id: 'x', role: 'COMPRADOR' as const };

  it('events: their organizer and administrators manage them', () => {
    expect([admin, organizer, other].map((u) => canManageEvent(u, 'o'))).toEqual([true, true, false]);
  });

  it('orders and user rooms: their owner and administrators', () => {
    expect([admin, organizer, other].map((u) => canSeeOrder(u, { user_id: 'x' }))).toEqual([true, false, true]);
    expect([admin, organizer, other].map((u) => canCancelOrder(u, { user_id: 'x' }))).toEqual([true, false, true]);
    expect([admin, organizer, other].map((u) => canJoinUserRoom(u, 'x'))).toEqual([true, false, true]);
  });
});

describe('Socket.IO join:user checks the account like HTTP does', () => {
  it('refuses a valid token whose account was deleted since the handshake', async () => {
    const gone = await createUser(svc, 'COMPRADOR');
    const socket = await connect(svc.url, gone.token);
    await sql`DELETE FROM users WHERE id = ${gone.id}`.execute(svc.database.db);
    expect(await request(socket, 'join:user', { userId: gone.id })).toEqual({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'Account no longer exists' },
    });
    const res = await svc.api().get('/api/auth/profile').set(gone.auth);
    expect(res.status).toBe(401);
  });

  it("applies the account's current role, not the one the token claims", async () => {
    const demoted = await createUser(svc, 'ADMIN');
    const socket = await connect(svc.url, demoted.token);
    await sql`UPDATE users SET role = 'COMPRADOR' WHERE id = ${demoted.id}`.execute(svc.database.db);
    expect(await request(socket, 'join:user', { userId: buyer.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await request(socket, 'join:user', { userId: demoted.id })).toEqual({ ok: true });
  });
});
