/**
 * `npm run bench:join-flood`: only the join-flood scenario of `npm run bench` (a flash sale alone,
 * beside 20 sockets flooding `join:event`, then alone again), for a short run on a shared machine.
 * BENCH_DURATION (seconds per phase, default 10), BENCH_FLOOD_SOCKETS (20).
 */
import { benchDatabase, startServer } from './setup';
import { createAccounts, createEvent, flashBesideJoinFlood, load } from './scenarios';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const sockets = Number(process.env.BENCH_FLOOD_SOCKETS ?? 20);
const poolSize = Number(process.env.DB_POOL_SIZE ?? 8);

async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const database = await benchDatabase(poolSize);
  const server = await startServer(database.url, { DB_POOL_SIZE: String(poolSize) });
  try {
    const fixture = await createAccounts(database.handle.db, 500);
    const event = await createEvent(server.url, fixture.organizer.token, [{ nombre: 'Hot', cantidadTotal: 1_000_000 }]);
    const others = await Promise.all(
      Array.from({ length: 3 }, () =>
        createEvent(server.url, fixture.organizer.token, [{ nombre: 'Other', cantidadTotal: 10 }]),
      ),
    );
    const body = JSON.stringify({
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }],
    });
    const flash = () =>
      load({
        url: server.url,
        connections: 64,
        durationS: duration,
        method: 'POST',
        path: '/api/orders',
        body,
        tokens: fixture.buyers,
        success: 201,
      });
    log('warm-up…');
    await load({
      url: server.url,
      connections: 64,
      durationS: Math.min(3, duration),
      method: 'POST',
      path: '/api/orders',
      body,
      tokens: fixture.buyers,
      success: 201,
    });
    log(`flash sale alone, beside ${sockets} join-flooding sockets, alone again (${duration}s each)…`);
    const r = await flashBesideJoinFlood({
      url: server.url,
      serverPid: server.child.pid,
      flash,
      eventIds: [event.id, ...others.map((e) => e.id)],
      sockets,
      durationS: duration,
    });
    const [a, b] = r.alone as [typeof r.flooded, typeof r.flooded];
    log(`alone:   ${a.successesPerSecond} and ${b.successesPerSecond} reservations/s (p99 ${a.p99} / ${b.p99} ms)`);
    log(
      `flooded: ${r.flooded.successesPerSecond} reservations/s (p99 ${r.flooded.p99} ms); statuses ${JSON.stringify(r.flooded.statuses)}`,
    );
    log(`flood:   ${r.flood.answeredPerSecond} joins/s answered: ${JSON.stringify(r.flood.answers)}`);
    log(`kept:    ${Math.round(r.ratio * 100)} % of the flash sale (target ≥ 90 %: ${r.ratio >= 0.9 ? 'yes' : 'NO'})`);
    log(
      `service CPU per reservation: ${r.serverCpuUsPerReservation.alone} µs alone, ${r.serverCpuUsPerReservation.flooded} µs flooded`,
    );
  } finally {
    await server.stop();
    await database.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
