import { ENDPOINTS } from '../src/modules/docs/openapi';
import { servedRoutes } from '../src/modules/docs/route-list';
import { TICKET_ENDPOINTS } from '../src/modules/tickets/tickets.docs';
import { WAITLIST_ENDPOINTS } from '../src/modules/waitlist/waitlist.docs';
import { QUEUE_ENDPOINTS } from '../src/modules/queue/queue.docs';
import { createEvent, createUser, futureDate, uniqueEmail } from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const ticketRoutes = new Set(TICKET_ENDPOINTS.map((e) => key(e.method, e.path)));
const ownSuiteRoutes = new Set([...WAITLIST_ENDPOINTS, ...QUEUE_ENDPOINTS].map((e) => key(e.method, e.path)));

describe('API documentation', () => {
  it('documents every route the app serves, and nothing it does not serve', () => {
    const served = servedRoutes(svc.app)
      .map((r) => key(r.method, r.path))
      .sort();
    const documented = ENDPOINTS.map((e) => key(e.method, e.path)).sort();
    expect(served).toEqual(documented);
  });

  it('serves the OpenAPI 3.1 document and the browsable page', async () => {
    const doc = await svc.api().get('/api/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/events/{id}/categories/{catId}');
    expect(doc.body.paths['/api/orders'].post.requestBody.content['application/json'].schema).toBeDefined();
    expect(doc.body['x-socketio'].serverToClient['ticket:stock-update']).toBeDefined();
    const page = await svc.api().get('/api/docs/').expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('describes the responses the API really sends (each documented schema parses a real response)', async () => {
    const api = () => svc.api();
    const checked = new Set<string>();
    const expectDocumented = (method: string, path: string, res: { status: number; body: unknown }) => {
      const endpoint = ENDPOINTS.find((e) => e.method === method && e.path === path)!;
      expect(res.status).toBe(endpoint.ok.status);
      if (endpoint.ok.schema) {
        const parsed = endpoint.ok.schema.safeParse(res.body);
        if (!parsed.success) throw new Error(`${key(method, path)}: ${parsed.error.message}`);
      }
      checked.add(key(method, path));
    };

    const registered = await api()
      .post('/api/auth/register')
      .send({ nombre: 'Doc', email: uniqueEmail('doc'), password: 'Docs12345' });
    expectDocumented('post', '/api/auth/register', registered);
    const admin = await createUser(svc, 'ADMIN');
    const organizer = await createUser(svc, 'ORGANIZADOR');
    const buyer = await createUser(svc);
    expectDocumented('get', '/api/auth/profile', await api().get('/api/auth/profile').set(buyer.auth));

    const event = await createEvent(svc, organizer);
    const created = await api()
      .post('/api/events')
      .set(organizer.auth)
      .send({ nombre: 'Doc event', fecha: futureDate(), ubicacion: 'Bilbao', capacidadTotal: 10, precioBase: 5 });
    expectDocumented('post', '/api/events', created);
    expectDocumented('get', '/api/events', await api().get('/api/events?limit=2'));
    expectDocumented('get', '/api/events/search', await api().get('/api/events/search?ubicacion=bilbao'));
    expectDocumented('get', '/api/events/:id', await api().get(`/api/events/${event.id}`));
    expectDocumented(
      'put',
      '/api/events/:id',
      await api().put(`/api/events/${event.id}`).set(organizer.auth).send({ nombre: 'Renamed' }),
    );
    expectDocumented('get', '/api/events/:id/categories', await api().get(`/api/events/${event.id}/categories`));
    const category = await api()
      .post(`/api/events/${created.body.id}/categories`)
      .set(organizer.auth)
      .send({ nombre: 'Only', precio: 5, cantidadTotal: 5 });
    expectDocumented('post', '/api/events/:id/categories', category);
    expectDocumented(
      'put',
      '/api/events/:id/categories/:catId',
      await api()
        .put(`/api/events/${created.body.id}/categories/${category.body.id}`)
        .set(organizer.auth)
        .send({ precio: 6 }),
    );

    const order = await api()
      .post('/api/orders')
      .set(buyer.auth)
      .send({ eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }] });
    expectDocumented('post', '/api/orders', order);
    expectDocumented('get', '/api/orders/my-orders', await api().get('/api/orders/my-orders').set(buyer.auth));
    expectDocumented('get', '/api/orders/:id', await api().get(`/api/orders/${order.body.id}`).set(buyer.auth));
    expectDocumented(
      'put',
      '/api/orders/:id/confirm',
      await api()
        .put(`/api/orders/${order.body.id}/confirm`)
        .set(buyer.auth)
        .send({ metodoPago: 'card', transactionId: `doc-${order.body.id}` }),
    );
    expectDocumented(
      'put',
      '/api/orders/:id/cancel',
      await api().put(`/api/orders/${order.body.id}/cancel`).set(buyer.auth),
    );
    expectDocumented('get', '/api/admin/orders', await api().get('/api/admin/orders').set(admin.auth));
    expectDocumented('get', '/api/admin/stats', await api().get('/api/admin/stats').set(admin.auth));
    expectDocumented(
      'get',
      '/api/admin/orders/:id/history',
      await api().get(`/api/admin/orders/${order.body.id}/history`).set(admin.auth),
    );
    expectDocumented(
      'get',
      '/api/admin/events/:id/sales',
      await api().get(`/api/admin/events/${event.id}/sales`).set(organizer.auth),
    );
    expectDocumented('get', '/health', await api().get('/health'));
    expectDocumented('get', '/ready', await api().get('/ready'));
    expectDocumented('get', '/api/realtime', await api().get('/api/realtime'));
    expectDocumented(
      'delete',
      '/api/events/:id/categories/:catId',
      await api().delete(`/api/events/${created.body.id}/categories/${category.body.id}`).set(organizer.auth),
    );
    expectDocumented('delete', '/api/events/:id', await api().delete(`/api/events/${created.body.id}`).set(admin.auth));

    const untested = ENDPOINTS.map((e) => key(e.method, e.path)).filter(
      (k) =>
        !checked.has(k) &&
        // Tickets and check-in are checked the same way in tickets.test.ts.
        !ticketRoutes.has(k) &&
        // The waiting list and the queue are checked the same way in waitlist.test.ts and queue.test.ts.
        !ownSuiteRoutes.has(k) &&
        // Payment routes: checked against their schemas in payments-*.test.ts.
        ![
          'POST /api/auth/login',
          'GET /api/openapi.json',
          'GET /metrics',
          'POST /api/orders/:id/payment',
          'GET /api/payments/config',
          'POST /api/payments/stripe/webhook',
        ].includes(k),
    );
    expect(untested).toEqual([]);
  });
});
