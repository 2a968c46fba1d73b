import { createEvent, createUser, type EventBody, type TestUser } from './helpers/factories';
import { call } from './helpers/http';
import { startTestService, type TestService } from './helpers/service';
import { closeAllSockets, collect, connect, request } from './helpers/sockets';
import { eventually } from './helpers/wait';
import { buyConfirmed, scan, ticketsOf } from './helpers/tickets';

let svc: TestService;
let organizer: TestUser;
let buyer: TestUser;
let event: EventBody;

beforeAll(async () => {
  svc = await startTestService();
  [organizer, buyer] = await Promise.all([createUser(svc, 'ORGANIZADOR'), createUser(svc)]);
  event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
});
afterEach(() => closeAllSockets());
afterAll(() => svc.close());

describe('checkin:update', () => {
  it('tells the organizer issued and admitted counts after confirmations, admissions and cancellations', async () => {
    const socket = await connect(`http://127.0.0.1:${svc.realtime.port}`, organizer.token);
    expect(await request(socket, 'join:user', { userId: organizer.id })).toEqual({ ok: true });
    const updates = collect(socket, 'checkin:update');
    const latest = () => updates[updates.length - 1];

    const order = await buyConfirmed(svc, buyer, event, [4]);
    await eventually(() => latest()?.emitidos === 4, 'issued 4');
    const tickets = await ticketsOf(svc, buyer, order.id);
    const scans = await Promise.all(
      tickets.slice(0, 3).map((t) => scan(svc, organizer.token, event.id, t.codigo, 'Main')),
    );
    expect(scans.map((s) => s.status)).toEqual([200, 200, 200]);
    await eventually(() => latest()?.admitidos === 3, 'admitted 3');
    expect(latest()).toEqual({ eventoId: event.id, emitidos: 4, admitidos: 3 });

    await call(svc.url, 'PUT', `/api/orders/${order.id}/cancel`, { token: buyer.token });
    await eventually(() => latest()?.emitidos === 0, 'voided');

    // Another organizer's room hears nothing of this event.
    const stranger = await createUser(svc, 'ORGANIZADOR');
    const other = await connect(`http://127.0.0.1:${svc.realtime.port}`, stranger.token);
    expect(await request(other, 'join:user', { userId: stranger.id })).toEqual({ ok: true });
    const overheard = collect(other, 'checkin:update');
    await buyConfirmed(svc, buyer, event, [1]);
    await eventually(() => latest()?.emitidos === 1, 'issued again');
    expect(overheard).toEqual([]);
  });
});
