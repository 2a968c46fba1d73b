import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { isRoot, nativeBinaries, ROOT_RUNTIME_DIR } from '../src/shared/db/embedded-access';
import { startEmbeddedPostgres } from '../src/shared/db/embedded';
import { createLogger } from '../src/shared/logger';
import { linesAboveInfo, spawnMain } from './helpers/main-process';
import { freePort } from './setup/test-database';

const run = promisify(execFile);
const silent = createLogger('silent');

interface Exit {
  code: number | string;
  lines: string[];
}

/** `src/main.ts` with the embedded database, until it exits by itself. */
async function startMain(env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<Exit> {
  const main = spawnMain(env, options);
  const code = await main.exited;
  return { code, lines: main.lines() };
}

/** The start-up failed with exactly one fatal line, for `reason`, and nothing else went wrong. */
function expectOneClearLine(exit: Exit, reason: string, mentions: RegExp) {
  const problems = linesAboveInfo(exit.lines).map((line) => JSON.parse(line) as { level: number; msg: string });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ level: 60, reason });
  expect(problems[0]!.msg).toMatch(mentions);
  expect(exit.lines.join('\n')).not.toMatch(/Emitted 'error' event|Unhandled|\n\s+at /);
  expect(exit.code).not.toBe(0);
}

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'startup-test-'));
  await fs.chmod(scratch, 0o755);
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe('embedded PostgreSQL from a 0700 folder and a path with spaces', () => {
  it('starts, answers queries and cleans up, with binaries and data out of reach of the postgres user', async () => {
    // A clone under /root as a new user makes it: everything inside a folder only its owner may enter.
    const locked = path.join(scratch, 'my home 0700');
    const native = path.join(locked, 'node modules', 'native');
    await fs.mkdir(path.dirname(native), { recursive: true });
    await fs.chmod(locked, 0o700);
    const installed = (await nativeBinaries()).dir;
    await run('cp', ['-al', installed, native]).catch(() => run('cp', ['-a', installed, native]));
    const dataDir = path.join(locked, 'app data');

    const db = await startEmbeddedPostgres({
      dir: dataDir,
      port: await freePort(),
      database: 'spaces',
      logger: silent,
      persistent: false,
      binaries: native,
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ user: string; db: string; dir: string }>(
      "SELECT current_user AS user, current_database() AS db, current_setting('data_directory') AS dir",
    );
    await client.end();
    expect(rows[0]).toMatchObject({ user: 'postgres', db: 'spaces' });

    const clusterDir = rows[0]!.dir;
    const pid = Number((await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const binary = await fs.readlink(`/proc/${pid}/exe`);
    const owner = (await fs.stat(`/proc/${pid}`)).uid;
    if (isRoot()) {
      // PostgreSQL runs as the postgres user, from copies it can reach; DATA_DIR links to the cluster.
      expect(owner).not.toBe(0);
      expect(binary.startsWith(`${ROOT_RUNTIME_DIR}/`)).toBe(true);
      expect(clusterDir.startsWith(`${ROOT_RUNTIME_DIR}/clusters/`)).toBe(true);
      expect(await fs.realpath(path.join(dataDir, 'postgres'))).toBe(clusterDir);
    } else {
      expect(owner).toBe(process.getuid!());
      expect(binary).toBe(path.join(native, 'bin', 'postgres'));
      expect(clusterDir).toBe(path.join(dataDir, 'postgres'));
    }

    await db.stop();
    await expect(fs.access(clusterDir)).rejects.toThrow();
    await expect(fs.lstat(path.join(dataDir, 'postgres'))).rejects.toThrow();
    if (binary.startsWith(`${ROOT_RUNTIME_DIR}/postgresql-custom-`)) {
      await fs.rm(path.dirname(path.dirname(binary)), { recursive: true, force: true });
    }
  });
});

describe('a failed start of the embedded database ends with one clear line', () => {
  it('names a taken EMBEDDED_PG_PORT', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const exit = await startMain({ DATA_DIR: path.join(scratch, 'port-taken'), EMBEDDED_PG_PORT: String(port) });
      expectOneClearLine(exit, 'port-in-use', new RegExp(`port ${port}.*EMBEDDED_PG_PORT.*DATABASE_URL`));
    } finally {
      blocker.close();
    }
  });

  it('names a damaged data folder', async () => {
    const dataDir = path.join(scratch, 'damaged');
    const db = await startEmbeddedPostgres({
      dir: dataDir,
      port: await freePort(),
      database: 'damaged',
      logger: silent,
    });
    await db.stop();
    const clusterDir = await fs.realpath(path.join(dataDir, 'postgres'));
    await fs.writeFile(path.join(clusterDir, 'PG_VERSION'), 'not a version\n');

    const exit = await startMain({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
    expectOneClearLine(exit, 'corrupt-data', /damaged.*DATA_DIR.*DATABASE_URL/);
    await fs.rm(clusterDir, { recursive: true, force: true });
  });

  it('names a DATA_DIR it may not write', async () => {
    // Root may write anywhere, so as root the service runs as `nobody` for this one.
    const parent = path.join(scratch, 'read-only');
    await fs.mkdir(parent, { mode: 0o555 });
    await fs.chmod(parent, 0o555);
    const asNobody = isRoot() ? { uid: 65534, gid: 65534 } : {};
    const exit = await startMain(
      { DATA_DIR: path.join(parent, 'data'), EMBEDDED_PG_PORT: String(await freePort()), HOME: parent },
      asNobody,
    );
    expectOneClearLine(exit, 'permissions', /read-only\/data.*DATA_DIR.*DATABASE_URL/);
  });

  if (isRoot()) {
    it('names a full disk (as root: a 16 MB tmpfs as DATA_DIR)', async () => {
      const small = path.join(scratch, 'small disk');
      await fs.mkdir(small);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'tmpfs', small]);
      try {
        const exit = await startMain({ DATA_DIR: small, EMBEDDED_PG_PORT: String(await freePort()) });
        expectOneClearLine(exit, 'disk-full', /no space left.*DATA_DIR.*DATABASE_URL/);
      } finally {
        await run('umount', ['-l', small]);
      }
    });
  }
});
