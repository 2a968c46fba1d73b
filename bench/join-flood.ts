/**
 * The join-flood scenario of `npm run bench` (issue #14): a flash sale alone and beside 20
 * anonymous sockets flooding `join:event`, in alternate phases of one run (alone, flooded, alone,
 * flooded, alone); the flooded sale must keep ≥ 90 % of the sale alone (means of the phases).
 * `BENCH_ONLY=join-flood npm run bench` runs only this scenario; BENCH_DURATION (seconds per
 * phase, default 10), BENCH_FLOOD_SOCKETS (20), BENCH_FLOOD_ROUNDS (flooded phases, 2),
 * BENCH_FLOOD_IN_FLIGHT (joins each socket keeps outstanding, 4; 0: emit without asking answers).
 */
import { createEvent, flashBesideJoinFlood, load, type FloodComparison, type Fixture } from './scenarios';

export const JOIN_FLOOD_TARGET = 0.9;

export async function joinFloodScenario(options: {
  url: string;
  serverPid: number | undefined;
  metricsToken: string;
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
  const rounds = Number(process.env.BENCH_FLOOD_ROUNDS ?? 2);
  log(
    `join flood: flash sale alone and beside ${sockets} join-flooding sockets, ${rounds} rounds (${durationS}s each)…`,
  );
  return flashBesideJoinFlood({
    url,
    serverPid: options.serverPid,
    metricsToken: options.metricsToken,
    flash: () => flash(durationS),
    eventIds: [event.id, ...others.map((e) => e.id)],
    sockets,
    durationS,
    rounds,
    inFlight: Number(process.env.BENCH_FLOOD_IN_FLIGHT ?? 4),
  });
}

/** Report rows: scenario, throughput, latency p50 / p95 / p99, other answers, target. */
export function joinFloodRows(r: FloodComparison): string[][] {
  const perSecond = (phases: FloodComparison['alone']) => phases.map((p) => p.successesPerSecond).join(' / ');
  const latencies = (phases: FloodComparison['alone']) =>
    phases.map((p) => `${p.p50} / ${p.p95} / ${p.p99}`).join(' · ');
  const delay = (d: FloodComparison['eventLoopDelayMs']['alone']) =>
    `event-loop delay mean / p99 ${d.mean} / ${d.p99} ms`;
  return [
    [
      `flash sale alone, 64 conn (${r.alone.length} phases)`,
      `${perSecond(r.alone)} reservations/s`,
      latencies(r.alone),
      `service CPU ${r.serverCpuUsPerReservation.alone} µs per reservation; ${delay(r.eventLoopDelayMs.alone)}`,
      '',
    ],
    [
      `flash sale beside ${r.flood.sockets} sockets flooding join:event (${r.flooded.length} phases)`,
      `${perSecond(r.flooded)} reservations/s; ${r.flood.answeredPerSecond} joins/s answered`,
      latencies(r.flooded),
      `service CPU ${r.serverCpuUsPerReservation.flooded} µs per reservation; ${delay(r.eventLoopDelayMs.flooded)}; joins ${JSON.stringify(r.flood.answers)}; flooding process ${r.flood.clientCores} core`,
      `kept ${r.ratio} of the sale (≥ ${JOIN_FLOOD_TARGET}): ${r.ratio >= JOIN_FLOOD_TARGET ? 'yes' : 'NO'}`,
    ],
  ];
}
