/** OWASP API3/API6: server-owned fields sent in every write body are ignored or refused. */
import bcrypt from 'bcrypt';
import {
  createEvent,
  eventBody,
  unique,
  uniqueEmail,
  type CategoryBody,
  type EventBody,
  type OrderBody,
} from '../helpers/factories';
import { expectError } from '../helpers/expect';
import {
  svc,
  owner,
  otherOrganizer,
  buyer,
  otherBuyer,
  db,
  fixture,
  snapshot,
  useAuthorizationSuite,
} from '../helpers/authorization-suite';

useAuthorizationSuite();

// ---------------------------------------------------------------------------------------------
// Mass assignment: server-owned fields in every write body
// ---------------------------------------------------------------------------------------------

const FAKE_ID = '11111111-2222-4333-8444-555555555555';
const LONG_AGO = '2000-01-01T00:00:00.000Z';
const recent = (iso: string) => Math.abs(Date.parse(iso) - Date.now()) < 10 * 60_000;

describe('mass assignment', () => {
  const PASSWORD = 'Secret123';
  const register = (body: object) => svc.api().post('/api/auth/register').send(body);
  const registerRaw = (raw: string) =>
    svc.api().post('/api/auth/register').set('Content-Type', 'application/json').send(raw);
  const userRow = (email: string) => db().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

  describe('POST /api/auth/register', () => {
    it('ignores id, createdAt, password hashes and role look-alikes: the account is a plain COMPRADOR', async () => {
      const email = uniqueEmail('mass');
      const injectedHash = await bcrypt.hash('Attacker99', 4);
      const res = await register({
        nombre: 'Mass Assign',
        email,
        password: PASSWORD,
        id: FAKE_ID,
        createdAt: LONG_AGO,
        updatedAt: LONG_AGO,
        password_hash: injectedHash,
        passwordHash: injectedHash,
        roles: ['ADMIN'],
        isAdmin: true,
        admin: true,
        user: { role: 'ADMIN' },
        role_id: 1,
      });
      expect(res.status).toBe(201);
      expect(res.body.user.role).toBe('COMPRADOR');
      expect(res.body.user.id).not.toBe(FAKE_ID);
      expect(recent(res.body.user.createdAt)).toBe(true);
      const row = await userRow(email);
      expect(row).toBeDefined();
      expect(row!.id).toBe(res.body.user.id);
      expect(row!.role).toBe('COMPRADOR');
      expect(row!.password_hash).not.toBe(injectedHash);
      expect(await bcrypt.compare(PASSWORD, row!.password_hash)).toBe(true);
      expect(await bcrypt.compare('Attacker99', row!.password_hash)).toBe(false);
      expect(await db().selectFrom('users').select('id').where('id', '=', FAKE_ID).executeTakeFirst()).toBeUndefined();
    });

    it.each<[string, unknown]>([
      ['ADMIN in lower case', 'admin'],
      ['ADMIN with spaces', ' ADMIN '],
      ['ADMIN in an array', ['ADMIN']],
      ['ADMIN in an object', { value: 'ADMIN' }],
      ['a role that does not exist', 'SUPERADMIN'],
    ])('refuses %s as role with 400 and creates no account', async (_label, role) => {
      const email = uniqueEmail('role');
      expectError(await register({ nombre: 'Role', email, password: PASSWORD, role }), 400);
      expect(await userRow(email)).toBeUndefined();
    });

    it('refuses role ADMIN with 403 and creates no account', async () => {
      const email = uniqueEmail('admin');
      expectError(await register({ nombre: 'Wannabe', email, password: PASSWORD, role: 'ADMIN' }), 403);
      expect(await userRow(email)).toBeUndefined();
    });

    it('a duplicated role key cannot smuggle ADMIN past the check (the last key wins and is refused)', async () => {
      const email = uniqueEmail('dup');
      const raw = `{"nombre":"Dup","email":"${email}","password":"${PASSWORD}","role":"COMPRADOR","role":"ADMIN"}`;
      expectError(await registerRaw(raw), 403);
      expect(await userRow(email)).toBeUndefined();
    });

    it('prototype pollution through __proto__ or constructor does not grant a role', async () => {
      const email = uniqueEmail('proto');
      const raw = `{"nombre":"Proto","email":"${email}","password":"${PASSWORD}","__proto__":{"role":"ADMIN"},"constructor":{"prototype":{"role":"ADMIN"}}}`;
      const res = await registerRaw(raw);
      expect([201, 400]).toContain(res.status);
      const row = await userRow(email);
      if (res.status === 201) {
        expect(res.body.user.role).toBe('COMPRADOR');
        expect(row?.role).toBe('COMPRADOR');
      } else {
        expect(row).toBeUndefined();
      }
      // Nothing leaked into the prototype of plain objects in this process either.
      expect(({} as Record<string, unknown>).role).toBeUndefined();
      // And a new registration right after is still a COMPRADOR.
      const next = await register({ nombre: 'After', email: uniqueEmail('after'), password: PASSWORD });
      expect(next.body.user.role).toBe('COMPRADOR');
    });
  });

  describe('events and categories', () => {
    it('POST /api/events ignores organizadorId, id, timestamps and category disponible/id/eventoId', async () => {
      const other = await createEvent(svc, otherOrganizer, {}, [{ cantidadTotal: 5 }]);
      const body = eventBody(
        { organizadorId: otherOrganizer.id, id: FAKE_ID, createdAt: LONG_AGO, updatedAt: LONG_AGO },
        [{ nombre: 'Only', precio: 20, cantidadTotal: 10 }],
      );
      (body.categorias[0] as Record<string, unknown>).disponible = 9999;
      (body.categorias[0] as Record<string, unknown>).id = FAKE_ID;
      (body.categorias[0] as Record<string, unknown>).eventoId = other.id;
      (body.categorias[0] as Record<string, unknown>).vendidas = 7;
      const res = await svc.api().post('/api/events').set(owner.auth).send(body);
      expect(res.status).toBe(201);
      const created = res.body as EventBody;
      expect(created.organizadorId).toBe(owner.id);
      expect(created.id).not.toBe(FAKE_ID);
      expect(recent(created.createdAt) && recent(created.updatedAt)).toBe(true);
      expect(created.categorias).toHaveLength(1);
      expect(created.categorias[0]).toEqual(
        expect.objectContaining({ eventoId: created.id, cantidadTotal: 10, disponible: 10 }),
      );
      expect(created.categorias[0]!.id).not.toBe(FAKE_ID);

      const row = await db().selectFrom('events').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
      expect(row.organizer_id).toBe(owner.id);
      const stock = await db()
        .selectFrom('category_stock')
        .select('available')
        .where('category_id', '=', created.categorias[0]!.id)
        .execute();
      expect(stock.reduce((s, r) => s + r.available, 0)).toBe(10);
      expect(
        await db().selectFrom('ticket_categories').select('id').where('event_id', '=', other.id).execute(),
      ).toHaveLength(1);
      expect(await db().selectFrom('events').select('id').where('id', '=', FAKE_ID).executeTakeFirst()).toBeUndefined();
    });

    it.each<[string, Record<string, unknown>]>([
      ['organizadorId', { organizadorId: '__other__' }],
      ['id', { id: FAKE_ID }],
      ['createdAt', { createdAt: LONG_AGO }],
      ['updatedAt', { updatedAt: LONG_AGO }],
      ['categorias', { categorias: [{ nombre: 'Sneaky', precio: 0, cantidadTotal: 900 }] }],
      ['disponible', { disponible: 0 }],
    ])('PUT /api/events/:id with %s next to a legitimate field never changes it', async (_label, extra) => {
      const f = await fixture();
      const injected = Object.fromEntries(
        Object.entries(extra).map(([k, v]) => [k, v === '__other__' ? otherOrganizer.id : v]),
      );
      const before = await db().selectFrom('events').selectAll().where('id', '=', f.event.id).executeTakeFirstOrThrow();
      const stockBefore = await snapshot(f);
      const res = await svc
        .api()
        .put(`/api/events/${f.event.id}`)
        .set(owner.auth)
        .send({ descripcion: 'patched', ...injected });
      // Refusing the unknown field (400) or ignoring it (200) are both fine; applying it is not.
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expectError(res, 400);
      else {
        expect(res.body.organizadorId).toBe(owner.id);
        expect(res.body.id).toBe(f.event.id);
        expect(res.body.createdAt).toBe(before.created_at.toISOString());
        expect(res.body.categorias.map((c: CategoryBody) => c.id).sort()).toEqual(
          f.event.categorias.map((c) => c.id).sort(),
        );
      }
      const after = await db().selectFrom('events').selectAll().where('id', '=', f.event.id).executeTakeFirstOrThrow();
      expect(after.organizer_id).toBe(owner.id);
      expect(after.created_at.toISOString()).toBe(before.created_at.toISOString());
      expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
      const s = (await snapshot(f)) as { categories: unknown; stock: unknown; orders: unknown };
      const b = stockBefore as typeof s;
      expect({ categories: s.categories, stock: s.stock, orders: s.orders }).toEqual({
        categories: b.categories,
        stock: b.stock,
        orders: b.orders,
      });
    });

    it('POST /api/events/:id/categories ignores disponible, id and eventoId', async () => {
      const f = await fixture();
      const other = await createEvent(svc, otherOrganizer, {}, [{ cantidadTotal: 5 }]);
      const res = await svc.api().post(`/api/events/${f.event.id}/categories`).set(owner.auth).send({
        nombre: 'Injected',
        precio: 10,
        cantidadTotal: 10,
        disponible: 9999,
        id: FAKE_ID,
        eventoId: other.id,
        vendidas: 3,
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(expect.objectContaining({ eventoId: f.event.id, cantidadTotal: 10, disponible: 10 }));
      expect(res.body.id).not.toBe(FAKE_ID);
      const row = await db()
        .selectFrom('ticket_categories')
        .selectAll()
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow();
      expect(row.event_id).toBe(f.event.id);
      const stock = await db()
        .selectFrom('category_stock')
        .select('available')
        .where('category_id', '=', res.body.id)
        .execute();
      expect(stock.reduce((sum, r) => sum + r.available, 0)).toBe(10);
      expect(
        await db().selectFrom('ticket_categories').select('id').where('event_id', '=', other.id).execute(),
      ).toHaveLength(1);
    });

    it.each<[string, Record<string, unknown>]>([
      ['disponible raised', { disponible: 9999 }],
      ['disponible zeroed next to a rename', { nombre: 'Renamed', disponible: 0 }],
      ['eventoId of another event', { nombre: 'Moved', eventoId: '__other__' }],
      ['id', { nombre: 'Renumbered', id: FAKE_ID }],
      ['vendidas', { vendidas: 0, precio: 1 }],
    ])('PUT /api/events/:id/categories/:catId with %s never changes stock or ownership', async (_label, extra) => {
      const f = await fixture();
      const other = await createEvent(svc, otherOrganizer, {}, [{ cantidadTotal: 5 }]);
      const injected = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v === '__other__' ? other.id : v]));
      const res = await svc
        .api()
        .put(`/api/events/${f.event.id}/categories/${f.usedCategory.id}`)
        .set(owner.auth)
        .send(injected);
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expectError(res, 400);
      else {
        expect(res.body.eventoId).toBe(f.event.id);
        expect(res.body.id).toBe(f.usedCategory.id);
        expect(res.body.disponible).toBe(f.usedCategory.cantidadTotal - 2);
      }
      const row = await db()
        .selectFrom('ticket_categories')
        .selectAll()
        .where('id', '=', f.usedCategory.id)
        .executeTakeFirstOrThrow();
      expect(row.event_id).toBe(f.event.id);
      expect(row.total_quantity).toBe(f.usedCategory.cantidadTotal);
      const stock = await db()
        .selectFrom('category_stock')
        .select('available')
        .where('category_id', '=', f.usedCategory.id)
        .execute();
      // 2 tickets are held by the fixture's order; the rest is on sale, whatever the body said.
      expect(stock.reduce((sum, r) => sum + r.available, 0)).toBe(f.usedCategory.cantidadTotal - 2);
      expect(
        await db().selectFrom('ticket_categories').select('id').where('id', '=', FAKE_ID).executeTakeFirst(),
      ).toBeUndefined();
    });
  });

  describe('orders', () => {
    it('POST /api/orders ignores estado, total, usuarioId, precioUnitario, pago, expiraEn and id', async () => {
      const f = await fixture();
      const farFuture = new Date(Date.now() + 365 * 86_400_000).toISOString();
      const res = await svc
        .api()
        .post('/api/orders')
        .set(otherBuyer.auth)
        .send({
          eventoId: f.event.id,
          tickets: [
            { categoriaId: f.usedCategory.id, cantidad: 3, precioUnitario: 0, subtotal: 0, nombre: 'free', precio: 0 },
          ],
          id: FAKE_ID,
          estado: 'CONFIRMED',
          total: 0,
          usuarioId: buyer.id,
          pago: { metodoPago: 'none', transactionId: 'free-tickets', confirmadoEn: LONG_AGO },
          expiraEn: farFuture,
          createdAt: LONG_AGO,
        });
      expect([201, 400]).toContain(res.status);
      if (res.status === 400) {
        expectError(res, 400);
        expect(
          await db()
            .selectFrom('orders')
            .select('id')
            .where('user_id', '=', otherBuyer.id)
            .where('event_id', '=', f.event.id)
            .execute(),
        ).toEqual([]);
        return;
      }
      const order = res.body as OrderBody;
      expect(order.estado).toBe('RESERVED');
      expect(order.usuarioId).toBe(otherBuyer.id);
      expect(order.id).not.toBe(FAKE_ID);
      expect(order.total).toBe(120);
      expect(order.tickets).toEqual([
        { categoriaId: f.usedCategory.id, nombre: 'Used', cantidad: 3, precioUnitario: 40, subtotal: 120 },
      ]);
      expect(order.pago).toBeUndefined();
      expect(Date.parse(order.expiraEn)).toBeLessThan(Date.now() + 11 * 60_000);
      expect(recent(order.createdAt)).toBe(true);

      const row = await db().selectFrom('orders').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
      expect({ user: row.user_id, status: row.status, total: Number(row.total_cents), tx: row.transaction_id }).toEqual(
        {
          user: otherBuyer.id,
          status: 'RESERVED',
          total: 12_000,
          tx: null,
        },
      );
      const items = await db().selectFrom('order_items').selectAll().where('order_id', '=', order.id).execute();
      expect(items.map((i) => [i.category_id, i.quantity, Number(i.unit_price_cents), i.category_name])).toEqual([
        [f.usedCategory.id, 3, 4000, 'Used'],
      ]);
      expect(await db().selectFrom('orders').select('id').where('id', '=', FAKE_ID).executeTakeFirst()).toBeUndefined();
      // The victim named in usuarioId got nothing new on this event beyond the fixture's own hold.
      const victimOrders = await db()
        .selectFrom('orders')
        .select('id')
        .where('user_id', '=', buyer.id)
        .where('event_id', '=', f.event.id)
        .execute();
      expect(victimOrders.map((o) => o.id)).toEqual([f.order.id]);
    });

    it('PUT /api/orders/:id/confirm ignores estado, total, usuarioId, eventoId, pago and confirmadoEn', async () => {
      const f = await fixture();
      const other = await createEvent(svc, otherOrganizer, {}, [{ cantidadTotal: 5 }]);
      const transactionId = unique('tx');
      const res = await svc
        .api()
        .put(`/api/orders/${f.order.id}/confirm`)
        .set(buyer.auth)
        .send({
          metodoPago: 'tarjeta',
          transactionId,
          estado: 'CANCELLED',
          total: 0.01,
          usuarioId: otherBuyer.id,
          eventoId: other.id,
          pago: { metodoPago: 'gift', transactionId: 'other-tx', confirmadoEn: LONG_AGO },
          confirmadoEn: LONG_AGO,
          tickets: [{ categoriaId: f.usedCategory.id, cantidad: 50, precioUnitario: 0 }],
        });
      expect(res.status).toBe(200);
      const order = res.body as OrderBody;
      expect(order.estado).toBe('CONFIRMED');
      expect(order.total).toBe(80);
      expect(order.usuarioId).toBe(buyer.id);
      expect(order.eventoId).toBe(f.event.id);
      expect(order.tickets).toEqual(f.order.tickets);
      expect(order.pago).toEqual({
        metodoPago: 'tarjeta',
        transactionId,
        confirmadoEn: expect.any(String),
        proveedor: 'simulated',
      });
      expect(recent(order.pago!.confirmadoEn)).toBe(true);

      const row = await db().selectFrom('orders').selectAll().where('id', '=', f.order.id).executeTakeFirstOrThrow();
      expect({
        status: row.status,
        total: Number(row.total_cents),
        user: row.user_id,
        event: row.event_id,
        tx: row.transaction_id,
        method: row.payment_method,
      }).toEqual({
        status: 'CONFIRMED',
        total: 8000,
        user: buyer.id,
        event: f.event.id,
        tx: transactionId,
        method: 'tarjeta',
      });
      const items = await db().selectFrom('order_items').selectAll().where('order_id', '=', f.order.id).execute();
      expect(items.map((i) => [i.quantity, Number(i.unit_price_cents)])).toEqual([[2, 4000]]);
    });

    it('PUT /api/orders/:id/cancel ignores a body asking for another state', async () => {
      const f = await fixture();
      const res = await svc
        .api()
        .put(`/api/orders/${f.order.id}/cancel`)
        .set(buyer.auth)
        .send({ estado: 'CONFIRMED', total: 0 });
      expect(res.status).toBe(200);
      expect(res.body.estado).toBe('CANCELLED');
      expect(res.body.total).toBe(80);
      const row = await db().selectFrom('orders').selectAll().where('id', '=', f.order.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('CANCELLED');
    });
  });
});
