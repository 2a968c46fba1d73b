import { sql } from 'kysely';
import { SigningKeys } from '../src/modules/tickets/signing-keys';
import { encodeCode } from '../src/modules/tickets/ticket-code';
import { load, type Fixture, type LoadResult } from './scenarios';
import type { BenchDatabase } from './setup';
import { parentPid, postgresCpuUs, processCpuUs } from './proc-cpu';

export interface CheckinBench {
  tickets: number;
  distinct: LoadResult;
  /** CPU per admission during the distinct-tickets load: the service process and its PostgreSQL server. */
  cpuUsPerAdmission: { service: number; database: number };
  rescans: LoadResult & { admitted: number; serverErrors: number };
  admittedInDatabase: number;
}

/**
 * The doors opening: `connections` door devices (one check-in token each would be the same cost;
 * they share one here) scanning distinct valid tickets as fast as they can, then a rush of
 * re-scans of a single ticket (every answer but one must be a refusal, none a 5xx).
 */
export async function checkinScenarios(options: {
  url: string;
  database: BenchDatabase;
  fixture: Fixture;
  ticketSigningSecret: string;
  /** The service process, for its CPU from /proc. */
  serverPid: number | undefined;
  connections: number;
  durationS: number;
  /** Tickets to issue up front: more than the run can scan, so every scan is a first scan. */
  tickets: number;
}): Promise<CheckinBench> {
  const { url, database, fixture } = options;
  const post = async (path: string, token: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const event = await post('/api/events', fixture.organizer.token, {
    nombre: `Doors ${Date.now()}`,
    descripcion: 'Check-in benchmark',
    fecha: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    ubicacion: 'Madrid Arena',
    capacidadTotal: options.tickets + 10,
    precioBase: 50,
    categorias: [{ nombre: 'General', precio: 50, cantidadTotal: options.tickets + 10, beneficios: [] }],
  });
  const categoryId = event.categorias[0].id as string;

  // Orders of 10, reserved by the project's own SQL and confirmed by one UPDATE: the trigger issues
  // the tickets exactly as a confirmation does.
  const lines = JSON.stringify([{ category_id: categoryId, quantity: 10 }]);
  let made = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (made < options.tickets / 10) {
        made++;
        await database.handle.pool.query('SELECT id FROM reserve_order($1, $2, $3::jsonb, $4, NULL, NULL, $5)', [
          fixture.buyerIds[made % fixture.buyerIds.length],
          event.id,
          lines,
          3_600_000,
          made % 16,
        ]);
      }
    }),
  );
  await sql`UPDATE orders SET status = 'CONFIRMED', transaction_id = 'bench-' || id, confirmed_at = now()
            WHERE event_id = ${event.id} AND status = 'RESERVED'`.execute(database.handle.db);

  // Codes as the service shows them: the event's key is made by asking for its public key.
  await fetch(`${url}/api/events/${event.id}/checkin-key`).then((r) => r.text());
  const key = (await new SigningKeys(database.handle.pool, options.ticketSigningSecret).existing(event.id))!;
  const { rows } = await sql<{ id: string }>`SELECT id FROM tickets WHERE event_id = ${event.id} ORDER BY id`.execute(
    database.handle.db,
  );
  const bodies = rows.map((t, i) =>
    JSON.stringify({ codigo: encodeCode(t.id, event.id, key.privateKey), puerta: `Door ${i % 8}` }),
  );

  const device = await post(`/api/events/${event.id}/checkin-tokens`, fixture.organizer.token, { etiqueta: 'bench' });
  let next = 0;
  const { rows: backend } = await database.handle.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmasterPid = parentPid(backend[0]!.pid);
  const cpu = () => ({
    service: options.serverPid ? processCpuUs(options.serverPid) : 0,
    database: postmasterPid ? postgresCpuUs(postmasterPid).totalUs : 0,
  });
  const before = cpu();
  const distinct = await load({
    url,
    connections: options.connections,
    durationS: options.durationS,
    method: 'POST',
    path: `/api/events/${event.id}/checkins`,
    tokens: [device.token],
    bodies: () => bodies[next++ % bodies.length]!,
    success: 200,
  });
  const after = cpu();
  const admitted = Math.max(1, distinct.statuses['200'] ?? 0);
  const cpuUsPerAdmission = {
    service: Math.round((after.service - before.service) / admitted),
    database: Math.round((after.database - before.database) / admitted),
  };

  // One fresh ticket, scanned by every connection at once, again and again.
  const fresh = await post('/api/events', fixture.organizer.token, {
    nombre: `Rush ${Date.now()}`,
    fecha: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    ubicacion: 'Madrid Arena',
    capacidadTotal: 10,
    precioBase: 50,
    categorias: [{ nombre: 'General', precio: 50, cantidadTotal: 10, beneficios: [] }],
  });
  await database.handle.pool.query('SELECT id FROM reserve_order($1, $2, $3::jsonb, $4, NULL, NULL, 0)', [
    fixture.buyerIds[0],
    fresh.id,
    JSON.stringify([{ category_id: fresh.categorias[0].id, quantity: 1 }]),
    3_600_000,
  ]);
  await sql`UPDATE orders SET status = 'CONFIRMED', transaction_id = 'bench-' || id, confirmed_at = now()
            WHERE event_id = ${fresh.id}`.execute(database.handle.db);
  await fetch(`${url}/api/events/${fresh.id}/checkin-key`).then((r) => r.text());
  const rushKey = (await new SigningKeys(database.handle.pool, options.ticketSigningSecret).existing(fresh.id))!;
  const ticket = (
    await sql<{ id: string }>`SELECT id FROM tickets WHERE event_id = ${fresh.id}`.execute(database.handle.db)
  ).rows[0]!;
  const rescans = await load({
    url,
    connections: options.connections,
    durationS: Math.max(2, Math.round(options.durationS / 2)),
    method: 'POST',
    path: `/api/events/${fresh.id}/checkins`,
    body: JSON.stringify({ codigo: encodeCode(ticket.id, fresh.id, rushKey.privateKey), puerta: 'Rush' }),
    tokens: [fixture.organizer.token],
    success: 409,
  });
  const admittedRows = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM tickets WHERE event_id = ${event.id} AND status = 'USADO'`.execute(
    database.handle.db,
  );
  return {
    tickets: rows.length,
    distinct,
    rescans: {
      ...rescans,
      admitted: rescans.statuses['200'] ?? 0,
      serverErrors: Object.entries(rescans.statuses)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
    },
    admittedInDatabase: admittedRows.rows[0]!.n,
    cpuUsPerAdmission,
  };
}

export const CHECKIN_TARGETS = { admissionsPerSecond: 2000, p99Ms: 100 };

/** Report rows: scenario, throughput, latency p50 / p95 / p99, other answers, target. */
export function checkinRows(c: CheckinBench): string[][] {
  const d = c.distinct;
  const others =
    Object.entries(d.statuses)
      .filter(([s]) => s !== '200')
      .map(([s, n]) => `${s}×${n}`)
      .join(' ') || 'none';
  const r = c.rescans;
  return [
    [
      `check-in, 64 conn, distinct tickets (${c.tickets} issued)`,
      `${d.successesPerSecond} admissions/s`,
      `${d.p50} / ${d.p95} / ${d.p99}`,
      `${others}; ${d.errors} socket errors; CPU per admission: service ${c.cpuUsPerAdmission.service} µs + PostgreSQL ${c.cpuUsPerAdmission.database} µs`,
      `≥ ${CHECKIN_TARGETS.admissionsPerSecond}/s, p99 ≤ ${CHECKIN_TARGETS.p99Ms} ms: ${d.successesPerSecond >= CHECKIN_TARGETS.admissionsPerSecond && d.p99 <= CHECKIN_TARGETS.p99Ms ? 'yes' : 'NO'}`,
    ],
    [
      'check-in rush, 64 conn re-scanning one ticket',
      `${r.successesPerSecond} refusals/s`,
      `${r.p50} / ${r.p95} / ${r.p99}`,
      `admitted ${r.admitted}, 5xx ${r.serverErrors}`,
      `exactly 1 admitted, no 5xx: ${r.admitted === 1 && r.serverErrors === 0 ? 'yes' : 'NO'}`,
    ],
  ];
}
