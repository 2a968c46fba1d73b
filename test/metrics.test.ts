import { createEvent, createUser } from './helpers/factories';
import { startTestService, type TestService } from './helpers/service';
import { connect, closeAllSockets } from './helpers/sockets';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  closeAllSockets();
  await svc.close();
});

const scrape = async () => (await svc.api().get('/metrics').expect(200)).text;
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

it('exposes request latency by route pattern, reservation outcomes, orders by state, sockets and pool use', async () => {
  const organizer = await createUser(svc, 'ORGANIZADOR');
  const buyer = await createUser(svc);
  const event = await createEvent(svc, organizer, {}, [{ cantidadTotal: 2 }]);
  const body = { eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }] };
  await svc.api().post('/api/orders').set(buyer.auth).send(body).expect(201);
  await svc.api().post('/api/orders').set(buyer.auth).send(body).expect(409);
  await svc.api().get(`/api/events/${event.id}`).expect(200);
  await connect(svc.url);

  const text = await scrape();
  const latency = text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_count{'));
  expect(latency.some((l) => l.includes('route="/api/events/:id"') && l.includes('status="200"'))).toBe(true);
  expect(text).not.toContain(`route="/api/events/${event.id}"`);
  expect(value(text, 'ticketing_reservations_total{outcome="created"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'ticketing_reservations_total{outcome="INSUFFICIENT_STOCK"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'ticketing_orders{state="RESERVED"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'ticketing_socketio_connections')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'ticketing_db_pool_connections')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'ticketing_expiry_runs_total')).toBeGreaterThanOrEqual(1);
  expect(text).toContain('ticketing_expiry_lag_seconds');
  expect(text).toContain('process_resident_memory_bytes');
});

it('asks for the METRICS_TOKEN bearer token when one is set', async () => {
  const guarded = await startTestService({ METRICS_TOKEN: 'scrape-token-0123456789' });
  try {
    const anonymous = await guarded.api().get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
    expect((await guarded.api().get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(
      401,
    );
    const scraped = await guarded.api().get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789');
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('ticketing_reservations_total');
  } finally {
    await guarded.close();
  }
});
