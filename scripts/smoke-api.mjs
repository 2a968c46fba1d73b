#!/usr/bin/env node
// A short walk through the API as a client would make it, against a running service:
// wait for /ready, register an organizer and a buyer, create an event, reserve, confirm.
//
//   SMOKE_URL=http://127.0.0.1:3000 node scripts/smoke-api.mjs
//
// Exits 0 when every step answers as the contract says, else prints the failing step and exits 1.
const base = process.env.SMOKE_URL ?? 'http://127.0.0.1:3000';
const readyTimeoutMs = Number(process.env.SMOKE_READY_TIMEOUT_MS ?? 60_000);

async function call(method, path, { token, body, expect }) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => undefined);
  if (res.status !== expect) {
    throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${JSON.stringify(json)}`);
  }
  return json;
}

async function waitReady() {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${base}/ready did not answer 200 within ${readyTimeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const step = (text) => console.log(`   smoke: ${text}`);
try {
  const started = Date.now();
  await waitReady();
  step(`/ready answered 200 after ${Date.now() - started} ms`);
  const stamp = `${process.pid}-${Date.now()}`;
  const organizer = await call('POST', '/api/auth/register', {
    body: {
      nombre: 'Smoke Organizer',
      email: `organizer-${stamp}@example.test`,
      password: 'Smoke12345',
      role: 'ORGANIZADOR',
    },
    expect: 201,
  });
  const buyer = await call('POST', '/api/auth/register', {
    body: { nombre: 'Smoke Buyer', email: `buyer-${stamp}@example.test`, password: 'Smoke12345' },
    expect: 201,
  });
  step(`registered ${organizer.user.role} and ${buyer.user.role}`);
  const event = await call('POST', '/api/events', {
    token: organizer.token,
    body: {
      nombre: `Smoke test ${stamp}`,
      descripcion: 'Container smoke test',
      fecha: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ubicacion: 'Madrid',
      capacidadTotal: 100,
      precioBase: 20,
      categorias: [{ nombre: 'General', precio: 20, cantidadTotal: 100, beneficios: [] }],
    },
    expect: 201,
  });
  const category = event.categorias[0];
  step(`created event ${event.id} with ${category.cantidadTotal} tickets`);
  const order = await call('POST', '/api/orders', {
    token: buyer.token,
    body: { eventoId: event.id, tickets: [{ categoriaId: category.id, cantidad: 2 }] },
    expect: 201,
  });
  if (order.estado !== 'RESERVED' || order.total !== 40)
    throw new Error(`reserve: unexpected order ${JSON.stringify(order)}`);
  const confirmed = await call('PUT', `/api/orders/${order.id}/confirm`, {
    token: buyer.token,
    body: { metodoPago: 'credit_card', transactionId: `smoke-${stamp}` },
    expect: 200,
  });
  if (confirmed.estado !== 'CONFIRMED') throw new Error(`confirm: unexpected order ${JSON.stringify(confirmed)}`);
  const after = await call('GET', `/api/events/${event.id}`, { expect: 200 });
  if (after.categorias[0].disponible !== 98)
    throw new Error(`stock after the sale: ${after.categorias[0].disponible}, expected 98`);
  step(`reserved and confirmed order ${order.id} (total ${confirmed.total}); 98 tickets left`);
} catch (error) {
  console.error(`smoke test failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
