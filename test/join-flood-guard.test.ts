import { REFUSALS_BEFORE_THROTTLE } from '../src/modules/realtime/join-throttle';
import { placeOrder } from './helpers/api';
import { createEvent, createUser } from './helpers/factories';
import { closeAllSockets, collect, connect, request } from './helpers/sockets';
import { servicesClosedAfterAll } from './helpers/service';
import type { Ack } from '../src/modules/realtime/realtime.wire';
import { eventually } from './helpers/wait';

/**
 * A socket that keeps emitting join:event past its refusals is throttled: the server stops reading
 * it and holds its answers until its 10 s window frees, while other sockets (and the throttled
 * one's broadcasts) carry on. Counts, not timings: the window is 10 s, and what is checked "during"
 * it happens in well under a second.
 */
afterEach(() => closeAllSockets());
const start = servicesClosedAfterAll();

it('answers a flooder RATE_LIMITED, then stops reading it until its window frees; another socket still joins and gets stock updates', async () => {
  const svc = await start();
  const organizer = await createUser(svc, 'ORGANIZADOR');
  const buyer = await createUser(svc);
  const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 100 }]);
  const category = event.categorias[0]!;
  const join = { eventId: event.id };

  const flooder = await connect(svc.url);
  const flooderUpdates = collect(flooder, 'ticket:stock-update');
  // 20 joins, then the refusals answered at once (the contract's RATE_LIMITED).
  const first: Ack[] = [];
  for (let i = 0; i < 20 + REFUSALS_BEFORE_THROTTLE; i++) first.push(await request(flooder, 'join:event', join));
  expect(first.slice(0, 20).every((a) => a.ok)).toBe(true);
  for (const a of first.slice(20)) expect(a).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });

  // One refusal more: the socket is throttled, and this answer is held.
  const held: Ack[] = [];
  void request(flooder, 'join:event', join).then((a) => held.push(a));

  // Meanwhile a well-behaved socket joins (a few round trips, by which time the held join has
  // been read), and both it and the flooder get the stock update.
  const viewer = await connect(svc.url);
  expect(await request(viewer, 'join:event', join)).toEqual({ ok: true });
  // What the flooder sends now is not read: this leave would take it out of the room.
  const left: Ack[] = [];
  void request(flooder, 'leave:event', join).then((a) => left.push(a));
  const viewerUpdates = collect(viewer, 'ticket:stock-update');
  await placeOrder(svc, buyer, { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 3 }] });
  await eventually(() => viewerUpdates.at(-1)?.nuevoStock === 97, 'the viewer sees stock 97');
  await eventually(() => flooderUpdates.at(-1)?.nuevoStock === 97, 'the throttled flooder still sees stock 97');
  expect(held).toHaveLength(0);
  expect(left).toHaveLength(0);

  // Once the window frees, the held answer goes out as RATE_LIMITED, then the leave is read.
  await eventually(() => held.length === 1 && left.length === 1, 'the held answers', 20_000);
  expect(held[0]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  expect(left[0]).toEqual({ ok: true });
  // The connection is read again and the window is a new one: the flooder may join again.
  expect(await request(flooder, 'join:event', join)).toEqual({ ok: true });
});
