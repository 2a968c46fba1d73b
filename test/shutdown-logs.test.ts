import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { linesAboveInfo, spawnMain, waitReady, type MainProcess } from './helpers/main-process';
import { connect, closeAllSockets, request } from './helpers/sockets';
import { freePort } from './setup/test-database';
import { testDatabaseUrl } from './helpers/service';

afterEach(() => closeAllSockets());

/** Some traffic through every part that holds a connection: HTTP, the pool, Socket.IO's adapter. */
async function exercise(url: string) {
  const stamp = `${process.pid}-${Date.now()}`;
  const register = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      nombre: 'Organizer',
      email: `shutdown-${stamp}@example.test`,
      password: 'Shutdown123',
      role: 'ORGANIZADOR',
    }),
  });
  expect(register.status).toBe(201);
  const { token } = (await register.json()) as { token: string };
  const created = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      nombre: `Shutdown ${stamp}`,
      descripcion: 'x',
      fecha: new Date(Date.now() + 86_400_000 * 30).toISOString(),
      ubicacion: 'Madrid',
      capacidadTotal: 10,
      precioBase: 10,
      categorias: [{ nombre: 'General', precio: 10, cantidadTotal: 10, beneficios: [] }],
    }),
  });
  expect(created.status).toBe(201);
  const event = (await created.json()) as { id: string };
  // A socket still connected when the signal arrives: its room and the adapter must close quietly.
  const socket = await connect(url);
  expect(await request(socket, 'join:event', { eventId: event.id })).toEqual({ ok: true });
}

async function stopAndCheck(main: MainProcess) {
  main.child.kill('SIGTERM');
  expect(await main.exited).toBe(0);
  expect(linesAboveInfo(main.lines())).toEqual([]);
  expect(main.lines().map((l) => (JSON.parse(l) as { msg?: string }).msg)).toContain('shutdown complete');
}

describe('SIGTERM stops the service with nothing logged above INFO and exit code 0', () => {
  it('with its embedded PostgreSQL (stopped last, after every pool is closed)', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shutdown-logs-'));
    await fs.chmod(dataDir, 0o755);
    try {
      const port = await freePort();
      const main = spawnMain({
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        PORT: String(port),
        WS_PORT: String(port),
      });
      await waitReady(main, `http://127.0.0.1:${port}`);
      await exercise(`http://127.0.0.1:${port}`);
      await stopAndCheck(main);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('with DATABASE_URL (the suite database)', async () => {
    const port = await freePort();
    const main = spawnMain({ DATABASE_URL: testDatabaseUrl(), PORT: String(port), WS_PORT: String(port) });
    await waitReady(main, `http://127.0.0.1:${port}`);
    await exercise(`http://127.0.0.1:${port}`);
    await stopAndCheck(main);
  });
});
