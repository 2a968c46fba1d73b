/**
 * `npx tsx bench/profile-flash.ts`: one flash sale at 64 connections against a server started with
 * --cpu-prof; the profile lands in bench/results/*.cpuprofile (git-ignored). For optimization work.
 */
import { benchDatabase, startServer } from './setup';
import { createAccounts, createEvent, load } from './scenarios';

async function main() {
  process.env.BENCH_CPU_PROF = process.env.BENCH_CPU_PROF ?? '1';
  const database = await benchDatabase(8);
  const server = await startServer(database.url);
  try {
    const fixture = await createAccounts(database.handle.db, 500);
    // PROFILE_SOLD_OUT=1: the category is sold out before the load starts.
    const soldOut = Boolean(process.env.PROFILE_SOLD_OUT);
    const event = await createEvent(server.url, fixture.organizer.token, [
      { nombre: 'Hot', cantidadTotal: soldOut ? 2 : 1_000_000 },
    ]);
    const body = JSON.stringify({
      eventoId: event.id,
      tickets: [{ categoriaId: event.categorias[0]!.id, cantidad: 2 }],
    });
    if (soldOut) {
      await fetch(`${server.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.buyers[0]}` },
        body,
      });
    }
    const path = process.env.PROFILE_PATH ?? '/api/orders';
    const result = await load({
      url: server.url,
      connections: 64,
      durationS: Number(process.env.BENCH_DURATION ?? 8),
      method: path === '/api/orders' ? 'POST' : 'GET',
      path: path.replace(':id', event.id),
      body: path === '/api/orders' ? body : undefined,
      tokens: fixture.buyers,
      success: path === '/api/orders' ? (soldOut ? 409 : 201) : 200,
    });
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
    await database.dispose();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
