/** OWASP API5 and API1: function- and object-level authorization (setup: test/helpers/authorization-suite.ts). */
import type { Test } from 'supertest';
import { eventBody, unique, type OrderBody, type TestUser } from '../helpers/factories';
import { expectError, UNKNOWN_ID } from '../helpers/expect';
import type { Fixture } from '../helpers/authorization-suite';
import {
  svc,
  admin,
  owner,
  otherOrganizer,
  buyer,
  otherBuyer,
  fixture,
  snapshot,
  useAuthorizationSuite,
} from '../helpers/authorization-suite';

useAuthorizationSuite();

// ---------------------------------------------------------------------------------------------
// API5: function-level authorization, every write and admin route × every kind of caller
// ---------------------------------------------------------------------------------------------

type Caller = 'anonymous' | 'buyer' | 'otherBuyer' | 'owner' | 'otherOrganizer' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'buyer', 'otherBuyer', 'owner', 'otherOrganizer', 'admin'];

function headersOf(caller: Caller): Record<string, string> {
  const users: Record<Exclude<Caller, 'anonymous'>, TestUser> = { buyer, otherBuyer, owner, otherOrganizer, admin };
  return caller === 'anonymous' ? {} : users[caller].auth;
}

interface RouteSpec {
  route: string;
  send: (f: Fixture, headers: Record<string, string>) => Test;
  /** Expected status per caller; a list where the contract allows either. */
  expected: Record<Caller, number | number[]>;
}

const ROUTES: RouteSpec[] = [
  {
    route: 'POST /api/events',
    send: (f, h) =>
      svc
        .api()
        .post('/api/events')
        .set(h)
        .send(eventBody({ nombre: `${f.marker}-new` }, [{ cantidadTotal: 5 }])),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 201, otherOrganizer: 201, admin: 201 },
  },
  {
    route: 'PUT /api/events/:id',
    send: (f, h) =>
      svc
        .api()
        .put(`/api/events/${f.event.id}`)
        .set(h)
        .send({ nombre: `${f.marker}-renamed`, capacidadTotal: 900 }),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 200, otherOrganizer: 403, admin: 200 },
  },
  {
    route: 'DELETE /api/events/:id',
    send: (f, h) => svc.api().delete(`/api/events/${f.event.id}`).set(h),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 403, otherOrganizer: 403, admin: 204 },
  },
  {
    route: 'POST /api/events/:id/categories',
    send: (f, h) =>
      svc
        .api()
        .post(`/api/events/${f.event.id}/categories`)
        .set(h)
        .send({ nombre: 'Extra', precio: 5, cantidadTotal: 5 }),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 201, otherOrganizer: 403, admin: 201 },
  },
  {
    route: 'PUT /api/events/:id/categories/:catId',
    send: (f, h) =>
      svc
        .api()
        .put(`/api/events/${f.event.id}/categories/${f.freeCategory.id}`)
        .set(h)
        .send({ nombre: 'Renamed', precio: 0, cantidadTotal: 10 }),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 200, otherOrganizer: 403, admin: 200 },
  },
  {
    route: 'DELETE /api/events/:id/categories/:catId',
    send: (f, h) => svc.api().delete(`/api/events/${f.event.id}/categories/${f.freeCategory.id}`).set(h),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 204, otherOrganizer: 403, admin: 204 },
  },
  {
    route: 'GET /api/admin/orders',
    send: (f, h) => svc.api().get('/api/admin/orders').query({ eventoId: f.event.id }).set(h),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 403, otherOrganizer: 403, admin: 200 },
  },
  {
    route: 'GET /api/admin/stats',
    send: (_f, h) => svc.api().get('/api/admin/stats').set(h),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 403, otherOrganizer: 403, admin: 200 },
  },
  {
    route: 'GET /api/admin/events/:id/sales',
    send: (f, h) => svc.api().get(`/api/admin/events/${f.event.id}/sales`).set(h),
    expected: { anonymous: 401, buyer: 403, otherBuyer: 403, owner: 200, otherOrganizer: 403, admin: 200 },
  },
  {
    route: 'POST /api/orders',
    send: (f, h) =>
      svc
        .api()
        .post('/api/orders')
        .set(h)
        .send({ eventoId: f.event.id, tickets: [{ categoriaId: f.freeCategory.id, cantidad: 1 }] }),
    expected: { anonymous: 401, buyer: 201, otherBuyer: 201, owner: 201, otherOrganizer: 201, admin: 201 },
  },
  {
    route: 'GET /api/orders/my-orders',
    send: (_f, h) => svc.api().get('/api/orders/my-orders').set(h),
    expected: { anonymous: 401, buyer: 200, otherBuyer: 200, owner: 200, otherOrganizer: 200, admin: 200 },
  },
  {
    route: 'GET /api/orders/:id',
    send: (f, h) => svc.api().get(`/api/orders/${f.order.id}`).set(h),
    expected: { anonymous: 401, buyer: 200, otherBuyer: 404, owner: 404, otherOrganizer: 404, admin: 200 },
  },
  {
    route: 'PUT /api/orders/:id/confirm',
    send: (f, h) =>
      svc
        .api()
        .put(`/api/orders/${f.order.id}/confirm`)
        .set(h)
        .send({ metodoPago: 'tarjeta', transactionId: unique('tx') }),
    // Only the buyer pays. An administrator (who may see the order) is refused; anyone else is
    // told the order does not exist.
    expected: { anonymous: 401, buyer: 200, otherBuyer: 404, owner: 404, otherOrganizer: 404, admin: [403, 404] },
  },
  {
    route: 'PUT /api/orders/:id/cancel',
    send: (f, h) => svc.api().put(`/api/orders/${f.order.id}/cancel`).set(h),
    expected: { anonymous: 401, buyer: 200, otherBuyer: 404, owner: 404, otherOrganizer: 404, admin: 200 },
  },
];

describe('API5 function-level authorization: every write and admin route, every caller', () => {
  const cases = ROUTES.flatMap((spec) => CALLERS.map((caller) => [spec.route, caller, spec] as const));

  it.each(cases)('%s as %s', async (_route, caller, spec) => {
    const f = await fixture();
    const before = await snapshot(f);
    const res = await spec.send(f, headersOf(caller));
    const expected = spec.expected[caller];
    const allowed = Array.isArray(expected) ? expected : [expected];
    expect(allowed).toContain(res.status);
    if (res.status >= 400) {
      expectError(res, res.status);
      // A refusal changes nothing: not the event, its categories, their stock, nor any order.
      expect(await snapshot(f)).toEqual(before);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// API1: object-level authorization with another user's ids
// ---------------------------------------------------------------------------------------------

describe("API1 object-level authorization: another user's ids", () => {
  let mine: Fixture;
  let theirs: Fixture;
  beforeAll(async () => {
    mine = await fixture(owner);
    theirs = await fixture(otherOrganizer);
  });

  it.each<[string, () => Test, number | number[]]>([
    [
      'PUT its event',
      () => svc.api().put(`/api/events/${theirs.event.id}`).set(owner.auth).send({ nombre: 'hijacked' }),
      403,
    ],
    [
      'PUT its event with an organizadorId claiming it',
      () =>
        svc
          .api()
          .put(`/api/events/${theirs.event.id}`)
          .set(owner.auth)
          .send({ nombre: 'mine now', organizadorId: owner.id }),
      [400, 403],
    ],
    ['DELETE its event', () => svc.api().delete(`/api/events/${theirs.event.id}`).set(owner.auth), 403],
    [
      'POST a category to its event',
      () =>
        svc
          .api()
          .post(`/api/events/${theirs.event.id}/categories`)
          .set(owner.auth)
          .send({ nombre: 'X', precio: 1, cantidadTotal: 1 }),
      403,
    ],
    [
      'PUT its category through its event',
      () =>
        svc
          .api()
          .put(`/api/events/${theirs.event.id}/categories/${theirs.freeCategory.id}`)
          .set(owner.auth)
          .send({ precio: 0, cantidadTotal: 1 }),
      403,
    ],
    [
      'DELETE its category through its event',
      () => svc.api().delete(`/api/events/${theirs.event.id}/categories/${theirs.freeCategory.id}`).set(owner.auth),
      403,
    ],
    [
      "PUT its category through one's own event (the category must belong to the event in the path)",
      () =>
        svc
          .api()
          .put(`/api/events/${mine.event.id}/categories/${theirs.freeCategory.id}`)
          .set(owner.auth)
          .send({ precio: 0, cantidadTotal: 1 }),
      404,
    ],
    [
      "DELETE its category through one's own event",
      () => svc.api().delete(`/api/events/${mine.event.id}/categories/${theirs.freeCategory.id}`).set(owner.auth),
      404,
    ],
    [
      "PUT its category with a held order through one's own event",
      () =>
        svc
          .api()
          .put(`/api/events/${mine.event.id}/categories/${theirs.usedCategory.id}`)
          .set(owner.auth)
          .send({ cantidadTotal: 2 }),
      404,
    ],
    [
      'GET the sales report of its event',
      () => svc.api().get(`/api/admin/events/${theirs.event.id}/sales`).set(owner.auth),
      403,
    ],
  ])("an organizer cannot touch another organizer's event: %s", async (_label, request, status) => {
    const [beforeMine, beforeTheirs] = await Promise.all([snapshot(mine), snapshot(theirs)]);
    const res = await request();
    expect(([] as number[]).concat(status)).toContain(res.status);
    expectError(res, res.status);
    expect(await snapshot(theirs)).toEqual(beforeTheirs);
    expect(await snapshot(mine)).toEqual(beforeMine);
  });

  it('an ADMIN addressing a category through an event it does not belong to gets 404 and changes nothing', async () => {
    const before = await snapshot(theirs);
    expectError(
      await svc
        .api()
        .put(`/api/events/${mine.event.id}/categories/${theirs.freeCategory.id}`)
        .set(admin.auth)
        .send({ cantidadTotal: 1 }),
      404,
    );
    expectError(
      await svc.api().delete(`/api/events/${mine.event.id}/categories/${theirs.freeCategory.id}`).set(admin.auth),
      404,
    );
    expect(await snapshot(theirs)).toEqual(before);
  });

  it.each<[string, (orderId: string) => Test]>([
    ['GET', (id) => svc.api().get(`/api/orders/${id}`).set(otherBuyer.auth)],
    [
      'confirm',
      (id) =>
        svc
          .api()
          .put(`/api/orders/${id}/confirm`)
          .set(otherBuyer.auth)
          .send({ metodoPago: 'x', transactionId: unique('tx') }),
    ],
    ['cancel', (id) => svc.api().put(`/api/orders/${id}/cancel`).set(otherBuyer.auth)],
  ])(
    "another buyer's order (%s) is answered exactly like an unknown id: no existence oracle",
    async (_label, request) => {
      const before = await snapshot(mine);
      const forOther = await request(mine.order.id);
      const forUnknown = await request(UNKNOWN_ID);
      expectError(forOther, 404);
      expect({ status: forOther.status, body: forOther.body }).toEqual({
        status: forUnknown.status,
        body: forUnknown.body,
      });
      expect(await snapshot(mine)).toEqual(before);
    },
  );

  it('GET /api/orders/my-orders ignores user ids smuggled in the query: only the caller’s orders', async () => {
    const res = await svc
      .api()
      .get('/api/orders/my-orders')
      .query({ usuarioId: buyer.id, userId: buyer.id, user_id: buyer.id, limit: 100 })
      .set(otherBuyer.auth);
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) {
      for (const o of res.body.data as OrderBody[]) expect(o.usuarioId).toBe(otherBuyer.id);
      expect((res.body.data as OrderBody[]).map((o) => o.id)).not.toContain(mine.order.id);
    } else {
      expectError(res, 400);
    }
  });

  it("a buyer cannot list other users' orders through the admin filter", async () => {
    const res = await svc.api().get('/api/admin/orders').query({ usuarioId: buyer.id }).set(otherBuyer.auth);
    expectError(res, 403);
    expect(JSON.stringify(res.body)).not.toContain(mine.order.id);
  });

  it("an organizer cannot read a buyer's order of their own event, nor its payment, by id", async () => {
    const res = await svc.api().get(`/api/orders/${mine.order.id}`).set(owner.auth);
    expectError(res, 404);
    expect(JSON.stringify(res.body)).not.toContain(buyer.id);
  });
});
