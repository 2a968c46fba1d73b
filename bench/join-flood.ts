/**
 * The join-flood scenario of `npm run bench` (issue #14): a flash sale alone, beside 20 anonymous
 * sockets flooding `join:event`, then alone again, in one run; the flooded sale must keep ≥ 90 % of
 * the mean of the two runs alone. `BENCH_ONLY=join-flood npm run bench` runs only this scenario;
 * BENCH_DURATION (seconds per phase, default 10), BENCH_FLOOD_SOCKETS (20).
 */
import { createEvent, flashBesideJoinFlood, load, type FloodComparison, type Fixture } from './scenarios';

export const JOIN_FLOOD_TARGET = 0.9;

export async function joinFloodScenario(options: {
  url: string;
  serverPid: number | undefined;
  fixture: Fixture;
  durationS: number;
  sockets: number;
  log: (line: string) => void;
}): Promise<FloodComparison> {
  const { url, fixture, durationS, sockets, log } = options;
  const event = await createEvent(url, fixture.organizer.token, [{ nombre: 'Hot', cantidadTotal: 1_000_000 }]);
  // The flood joins rooms of several events, as a script walking the catalogue would.
  const others = await Promise.all(
    Array.from({ length: 3 }, () =>
      createEvent(url, fixture.organizer.token, [{ nombre: 'Other', cantidadTotal: 10 }]),
    ),
  );
  const body = JSON.stringify({ eventoId: event.id, tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }] });
  const flash = (seconds: number) =>
    load({
      url,
      connections: 64,
      durationS: seconds,
      method: 'POST',
      path: '/api/orders',
      body,
      tokens: fixture.buyers,
      success: 201,
    });
  log('join flood: warm-up…');
  await flash(Math.min(3, durationS));
  log(`join flood: flash sale alone, beside ${sockets} join-flooding sockets, alone again (${durationS}s each)…`);
  return flashBesideJoinFlood({
    url,
    serverPid: options.serverPid,
    flash: () => flash(durationS),
    eventIds: [event.id, ...others.map((e) => e.id)],
    sockets,
    durationS,
  });
}

/** Report rows: scenario, throughput, latency p50 / p95 / p99, other answers, target. */
export function joinFloodRows(r: FloodComparison): string[][] {
  const [a, b] = r.alone as [FloodComparison['flooded'], FloodComparison['flooded']];
  return [
    [
      'flash sale alone, 64 conn (before / after the flood)',
      `${a.successesPerSecond} / ${b.successesPerSecond} reservations/s`,
      `${a.p50} / ${a.p95} / ${a.p99} · ${b.p50} / ${b.p95} / ${b.p99}`,
      `service CPU ${r.serverCpuUsPerReservation.alone} µs per reservation`,
      '',
    ],
    [
      `flash sale beside ${r.flood.sockets} sockets flooding join:event`,
      `${r.flooded.successesPerSecond} reservations/s; ${r.flood.answeredPerSecond} joins/s answered`,
      `${r.flooded.p50} / ${r.flooded.p95} / ${r.flooded.p99}`,
      `service CPU ${r.serverCpuUsPerReservation.flooded} µs per reservation; joins ${JSON.stringify(r.flood.answers)}`,
      `kept ${r.ratio} of the sale (≥ ${JOIN_FLOOD_TARGET}): ${r.ratio >= JOIN_FLOOD_TARGET ? 'yes' : 'NO'}`,
    ],
  ];
}
