import { createUser, unique, type CategoryBody, type EventBody, type OrderBody } from './helpers/factories';
import { confirm, getOrder, line, payment, putCancel, putConfirm, reserve, stockOf } from './helpers/api';
import { withService } from './helpers/service';
import { expectError, expectValidationError, ISO_UTC, UNKNOWN_ID } from './helpers/expect';
import {
  svc,
  organizer,
  admin,
  buyer,
  otherBuyer,
  newEvent,
  orderRow,
  historyOf,
  makeOverdue,
  useOrdersSuite,
} from './helpers/orders-suite';

useOrdersSuite();

// ---------------------------------------------------------------------------------------------
// GET /api/orders/my-orders and /api/orders/:id
// ---------------------------------------------------------------------------------------------

describe('GET /api/orders/my-orders', () => {
  it("lists only the caller's orders, newest first, in the list shape, with pagination", async () => {
    const me = await createUser(svc, 'COMPRADOR');
    const event = await newEvent();
    const cat = event.categorias[0]!;
    const o1 = await reserve(svc, me, event.id, [line(cat, 1)]);
    await reserve(svc, otherBuyer, event.id, [line(cat, 1)]);
    const o2 = await reserve(svc, me, event.id, [line(cat, 2)]);
    const o3 = await reserve(svc, me, event.id, [line(cat, 3)]);

    const all = await svc.api().get('/api/orders/my-orders').set(me.auth);
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(all.body).toMatchObject({ page: 1, limit: 20, total: 3 });
    expect((all.body.data as OrderBody[]).map((o) => o.id)).toEqual([o3.id, o2.id, o1.id]);
    expect(all.body.data[0]).toEqual(o3);

    const page2 = await svc.api().get('/api/orders/my-orders?page=2&limit=2').set(me.auth);
    expect(page2.status).toBe(200);
    expect(page2.body).toMatchObject({ page: 2, limit: 2, total: 3 });
    expect((page2.body.data as OrderBody[]).map((o) => o.id)).toEqual([o1.id]);

    const page1 = await svc.api().get('/api/orders/my-orders?page=1&limit=2').set(me.auth);
    expect((page1.body.data as OrderBody[]).map((o) => o.id)).toEqual([o3.id, o2.id]);
  });

  it('answers an empty list to a user without orders', async () => {
    const nobody = await createUser(svc, 'COMPRADOR');
    const res = await svc.api().get('/api/orders/my-orders').set(nobody.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('rejects a bad limit with 400 and requires a token', async () => {
    expectValidationError(await svc.api().get('/api/orders/my-orders?limit=101').set(buyer.auth));
    expectValidationError(await svc.api().get('/api/orders/my-orders?page=0').set(buyer.auth));
    expectError(await svc.api().get('/api/orders/my-orders'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/orders/:id', () => {
  let event: EventBody;
  let order: OrderBody;
  beforeAll(async () => {
    event = await newEvent();
    order = await reserve(svc, buyer, event.id, [line(event.categorias[0]!, 1)]);
  });

  it('answers the buyer 200 with the order', async () => {
    const res = await getOrder(svc, buyer, order.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(order);
  });

  it('answers an ADMIN 200', async () => {
    const res = await getOrder(svc, admin, order.id);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(order.id);
  });

  it('answers another buyer 404, hiding that the order exists', async () => {
    expectError(await getOrder(svc, otherBuyer, order.id), 404, 'NOT_FOUND');
  });

  it("answers the event's organizer 404 too", async () => {
    expectError(await getOrder(svc, organizer, order.id), 404, 'NOT_FOUND');
  });

  it('answers 404 for an unknown id and for a non-uuid id', async () => {
    expectError(await getOrder(svc, buyer, UNKNOWN_ID), 404, 'NOT_FOUND');
    expectError(await getOrder(svc, buyer, 'not-a-uuid'), 404, 'NOT_FOUND');
  });

  it('requires a token', async () => {
    expectError(await svc.api().get(`/api/orders/${order.id}`), 401, 'UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------------------------------------
// PUT /api/orders/:id/confirm
// ---------------------------------------------------------------------------------------------

describe('PUT /api/orders/:id/confirm', () => {
  let event: EventBody;
  let cat: CategoryBody;
  beforeAll(async () => {
    event = await newEvent([{ precio: 25, cantidadTotal: 200 }, { cantidadTotal: 100 }]);
    cat = event.categorias[0]!;
  });

  it('answers 200 with the order in CONFIRMED and its pago', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 2)]);
    const transactionId = unique('tx');
    const before = Date.now();
    const res = await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...order,
      estado: 'CONFIRMED',
      pago: {
        metodoPago: 'tarjeta',
        transactionId,
        confirmadoEn: expect.stringMatching(ISO_UTC),
        proveedor: 'simulated',
      },
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(Date.parse(res.body.pago.confirmadoEn)).toBeGreaterThanOrEqual(before - 2_000);
    expect((await getOrder(svc, buyer, order.id)).body).toEqual(res.body);
    // Confirming keeps the tickets out of sale.
    expect((await stockOf(svc, event.id))[cat.id]).toBeLessThanOrEqual(198);
  });

  it('answers a repeated confirmation with the same transactionId 200, unchanged', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const transactionId = unique('tx');
    const first = await confirm(svc, buyer, order.id, payment(transactionId));
    const again = await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    expect(again.body.pago.confirmadoEn).toBe(first.pago!.confirmadoEn);
    expect(await historyOf(order.id)).toHaveLength(2);
  });

  it('refuses a repeated confirmation with another transactionId: 409 INVALID_STATE', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const first = await confirm(svc, buyer, order.id);
    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'INVALID_STATE',
    );
    expect((await getOrder(svc, buyer, order.id)).body.pago).toEqual(first.pago);
  });

  it('refuses a transactionId already used by another order: 409 DUPLICATE_TRANSACTION', async () => {
    const a = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const b = await reserve(svc, otherBuyer, event.id, [line(cat, 1)]);
    const transactionId = unique('tx');
    await confirm(svc, buyer, a.id, payment(transactionId));
    expectError(
      await putConfirm(svc, otherBuyer, b.id, { metodoPago: 'tarjeta', transactionId }),
      409,
      'DUPLICATE_TRANSACTION',
    );
    expect((await getOrder(svc, otherBuyer, b.id)).body.estado).toBe('RESERVED');
  });

  it('answers another buyer 404 and leaves the order alone', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(
      await putConfirm(svc, otherBuyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers an ADMIN who is not the buyer 403 FORBIDDEN', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expectError(
      await putConfirm(svc, admin, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      403,
      'FORBIDDEN',
    );
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers 404 for unknown and non-uuid ids', async () => {
    expectError(
      await putConfirm(svc, buyer, UNKNOWN_ID, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await putConfirm(svc, buyer, 'nope', { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      404,
      'NOT_FOUND',
    );
  });

  it.each<[string, object, string]>([
    ['metodoPago is missing', { transactionId: 'tx-x' }, 'metodoPago'],
    ['transactionId is missing', { metodoPago: 'tarjeta' }, 'transactionId'],
    ['metodoPago is blank', { metodoPago: '   ', transactionId: 'tx-y' }, 'metodoPago'],
  ])('answers 400 VALIDATION_ERROR when %s', async (_label, body, path) => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    const res = await putConfirm(svc, buyer, order.id, body);
    expectValidationError(res);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await orderRow(order.id)).status).toBe('RESERVED');
  });

  it('answers 409 ORDER_EXPIRED after the expiry job expired the hold', async () => {
    const ev = await newEvent([{ cantidadTotal: 10 }]);
    const c = ev.categorias[0]!;
    const order = await reserve(svc, buyer, ev.id, [line(c, 3)]);
    await makeOverdue(order.id);
    await svc.expiryJob.runOnce();
    expect((await orderRow(order.id)).status).toBe('EXPIRED');

    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'ORDER_EXPIRED',
    );
    expect((await getOrder(svc, buyer, order.id)).body.estado).toBe('EXPIRED');
    expect((await stockOf(svc, ev.id))[c.id]).toBe(10);
  });

  it('answers 409 ORDER_EXPIRED for an overdue hold even before the expiry job has run', async () => {
    await withService({ EXPIRY_INTERVAL_MS: '60000' }, async (s) => {
      const ev = await newEvent(undefined, s);
      const order = await reserve(s, buyer, ev.id, [line(ev.categorias[0]!, 1)]);
      // Other services (this file's, other test files') share the database and run their own
      // expiry jobs. A KEY SHARE lock on the row makes their FOR UPDATE SKIP LOCKED pass it by,
      // while it blocks neither our UPDATE nor the confirmation's attempt.
      await s.database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('orders').select('id').where('id', '=', order.id).forKeyShare().execute();
        await makeOverdue(order.id, s);

        const res = await putConfirm(s, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') });
        expectError(res, 409, 'ORDER_EXPIRED');
        const row = await s.database.db
          .selectFrom('orders')
          .select('status')
          .where('id', '=', order.id)
          .executeTakeFirstOrThrow();
        expect(row.status).toBe('RESERVED');
      });
    });
  });

  it('answers 409 INVALID_STATE for a cancelled order', async () => {
    const order = await reserve(svc, buyer, event.id, [line(cat, 1)]);
    expect((await putCancel(svc, buyer, order.id)).status).toBe(200);
    expectError(
      await putConfirm(svc, buyer, order.id, { metodoPago: 'tarjeta', transactionId: unique('tx') }),
      409,
      'INVALID_STATE',
    );
    expect((await orderRow(order.id)).status).toBe('CANCELLED');
  });
});
