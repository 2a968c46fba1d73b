import { unique } from './helpers/factories';
import { confirm, getOrder, line, putCancel, putConfirm, reserve, stockOf } from './helpers/api';
import { withService } from './helpers/service';
import { eventually } from './helpers/wait';
import { expectError, ISO_UTC, UNKNOWN_ID } from './helpers/expect';
import {
  svc,
  organizer,
  admin,
  buyer,
  otherBuyer,
  newEvent,
  orderRow,
  historyOf,
  startEventInThePast,
  makeOverdue,
  useOrdersSuite,
} from './helpers/orders-suite';

useOrdersSuite();

// ---------------------------------------------------------------------------------------------
// PUT /api/orders/:id/cancel
// ---------------------------------------------------------------------------------------------

describe('PUT /api/orders/:id/cancel', () => {
  it('lets the buyer cancel a hold: 200 CANCELLED and the tickets go back on sale', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 4)]);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(16);

    const res = await putCancel(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...order, estado: 'CANCELLED', updatedAt: expect.stringMatching(ISO_UTC) });
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('returns every line of a multi-line order', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }, { cantidadTotal: 30 }]);
    const [a, b] = [event.categorias[0]!, event.categorias[1]!];
    const order = await reserve(svc, buyer, event.id, [line(a, 2), line(b, 5)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expect(await stockOf(svc, event.id)).toEqual({ [a.id]: 20, [b.id]: 30 });
  });

  it("lets an ADMIN cancel someone's order", async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const res = await putCancel(svc, admin, order.id);
    expect(res.status).toBe(200);
    expect(res.body.estado).toBe('CANCELLED');
    expect(res.body.usuarioId).toBe(buyer.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
    expect((await historyOf(order.id)).at(-1)).toEqual({
      from_status: 'RESERVED',
      to_status: 'CANCELLED',
      actor_id: admin.id,
    });
  });

  it('answers another buyer 404 and leaves the order alone', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    expectError(await putCancel(svc, otherBuyer, order.id), 404, 'NOT_FOUND');
    expect((await orderRow(order.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(18);
  });

  it('answers 404 for unknown and non-uuid ids', async () => {
    expectError(await putCancel(svc, buyer, UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await putCancel(svc, buyer, 'nope'), 404, 'NOT_FOUND');
  });

  it('cancels a CONFIRMED order and returns its tickets', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 3)]);
    await confirm(svc, buyer, order.id);
    expect((await stockOf(svc, event.id))[cat.id]).toBe(17);

    const res = await putCancel(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body.estado).toBe('CANCELLED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('refuses a second cancellation with 409 INVALID_STATE and returns the tickets only once', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 5)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(await putCancel(svc, buyer, order.id), 409, 'INVALID_STATE');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });

  it('refuses to cancel once the event has started: 409 INVALID_STATE', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const held = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const bought = await reserve(svc, buyer, event.id, [line(cat, 3)]);
    await confirm(svc, buyer, bought.id);
    await startEventInThePast(event.id);

    expectError(await putCancel(svc, buyer, bought.id), 409, 'INVALID_STATE');
    expectError(await putCancel(svc, admin, held.id), 409, 'INVALID_STATE');
    expect((await orderRow(bought.id)).status).toBe('CONFIRMED');
    expect((await orderRow(held.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(15);
  });

  it('refuses to cancel an expired order: 409 INVALID_STATE', async () => {
    const event = await newEvent([{ cantidadTotal: 20 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expectError(await putCancel(svc, buyer, order.id), 409, 'INVALID_STATE');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(20);
  });
});

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

describe('hold expiry', () => {
  it('expires an unpaid hold and puts its tickets back on sale soon after expiraEn', async () => {
    await withService({ ORDER_RESERVATION_TIMEOUT_MINUTES: '0.02', EXPIRY_INTERVAL_MS: '200' }, async (s) => {
      const event = await newEvent([{ cantidadTotal: 10 }], s);
      const cat = event.categorias[0]!;
      const order = await reserve(s, buyer, event.id, [line(cat, 4)]);
      expect(order.estado).toBe('RESERVED');
      expect((await stockOf(s, event.id))[cat.id]).toBe(6);

      // The contract allows 2 s after expiraEn; the bound below adds slack for slow machines.
      const deadline = Date.parse(order.expiraEn) + 2_000 + 3_000;
      await eventually(
        async () =>
          (await getOrder(s, buyer, order.id)).body.estado === 'EXPIRED' && (await stockOf(s, event.id))[cat.id] === 10,
        'the hold to expire and its tickets to return',
        deadline - Date.now(),
      );

      expect(await historyOf(order.id)).toEqual([
        { from_status: null, to_status: 'RESERVED', actor_id: buyer.id },
        { from_status: 'RESERVED', to_status: 'EXPIRED', actor_id: null },
      ]);
      expectError(
        await putConfirm(s, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
        409,
        'ORDER_EXPIRED',
      );
    });
  });

  it('does not expire a hold that is still live', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('RESERVED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(8);
  });

  it('does not expire a confirmed order whose expiraEn has passed', async () => {
    const event = await newEvent([{ cantidadTotal: 10 }]);
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    await confirm(svc, buyer, order.id);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('CONFIRMED');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(8);
  });

  it('expires holds that ran out while the service was down as soon as it starts again', async () => {
    const { event, order } = await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (first) => {
      const ev = await newEvent([{ cantidadTotal: 10 }], first);
      return { event: ev, order: await reserve(first, buyer, ev.id, [line(ev.categorias[0]!, 3)]) };
    });
    const cat = event.categorias[0]!;
    await makeOverdue(order.id);

    await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (second) => {
      // With a 60 s interval, a run within a few seconds can only be the run on start.
      await eventually(
        async () => second.expiryJob.stats.runs >= 1,
        'the restarted service to run its expiry job',
        5_000,
      );
      await eventually(
        async () => (await orderRow(order.id)).status === 'EXPIRED',
        'the overdue hold to be expired',
        5_000,
      );
      expect((await stockOf(second, event.id))[cat.id]).toBe(10);
      expect((await getOrder(second, buyer, order.id)).body.estado).toBe('EXPIRED');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Status history
// ---------------------------------------------------------------------------------------------

describe('order_status_history', () => {
  it('records reserve → confirm → cancel with from, to and actor, in order', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    await confirm(svc, buyer, order.id);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);

    expect(await historyOf(order.id)).toEqual([
      { from_status: null, to_status: 'RESERVED', actor_id: buyer.id },
      { from_status: 'RESERVED', to_status: 'CONFIRMED', actor_id: buyer.id },
      { from_status: 'CONFIRMED', to_status: 'CANCELLED', actor_id: buyer.id },
    ]);
  });

  it('records nothing for refused transitions', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(409);
    expect((await putConfirm(svc, buyer, order.id, { metodoPago: 'x', transactionId: unique('tx') })).status).toBe(409);
    expect(await historyOf(order.id)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Deleting events and categories that have orders
// ---------------------------------------------------------------------------------------------

describe('deleting what orders reference', () => {
  const deleteEvent = (id: string) => svc.api().delete(`/api/events/${id}`).set(admin.auth);
  const deleteCategory = (eventId: string, catId: string) =>
    svc.api().delete(`/api/events/${eventId}/categories/${catId}`).set(organizer.auth);

  it('refuses to delete an event with a CONFIRMED order: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    await confirm(svc, buyer, order.id);
    expectError(await deleteEvent(event.id), 409, 'HAS_ORDERS');
    expect((await svc.api().get(`/api/events/${event.id}`)).status).toBe(200);
    expect((await getOrder(svc, buyer, order.id)).body.estado).toBe('CONFIRMED');
  });

  it('deletes an event whose orders are only held or cancelled: 204', async () => {
    const event = await newEvent();
    await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
    const cancelled = await reserve(svc, otherBuyer, event.id, [line(event.categorias[1]!, 1)]);
    expect((await putCancel(svc, otherBuyer, cancelled.id)).status).toBe(200);

    const res = await deleteEvent(event.id);
    expect(res.status).toBe(204);
    expect((await svc.api().get(`/api/events/${event.id}`)).status).toBe(404);
  });

  it('refuses to delete a category referenced by a cancelled order: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(await deleteCategory(event.id, cat.id), 409, 'HAS_ORDERS');
    expect(Object.keys(await stockOf(svc, event.id))).toContain(cat.id);
  });

  it('refuses to delete a category with a live hold: 409 HAS_ORDERS', async () => {
    const event = await newEvent();
    const cat = event.categorias[1]!;
    await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(await deleteCategory(event.id, cat.id), 409, 'HAS_ORDERS');
    expect((await stockOf(svc, event.id))[cat.id]).toBe(99);
  });

  it('still deletes a category nobody ordered: 204', async () => {
    const event = await newEvent();
    const [ordered, untouched] = [event.categorias[0]!, event.categorias[1]!];
    await reserve(svc, buyer, event.id, [line(ordered, 1)]);
    expect((await deleteCategory(event.id, untouched.id)).status).toBe(204);
    expect(Object.keys(await stockOf(svc, event.id))).toEqual([ordered.id]);
  });
});
