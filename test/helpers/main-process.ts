import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface MainProcess {
  child: ChildProcess;
  /** Every line the process printed so far (stdout and stderr). */
  lines: () => string[];
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * `src/main.ts` as its own process, as `npm start` runs it, with only the environment given here
 * (no DATABASE_URL unless given: the embedded PostgreSQL then starts, under DATA_DIR).
 */
export function spawnMain(env: Record<string, string>, options: { uid?: number; gid?: number } = {}): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      WS_PORT: '0',
      LOG_LEVEL: 'info',
      BCRYPT_COST: '4',
      JWT_SECRET: 'main-process-test-secret-long-enough-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return { child, lines: () => output.split('\n').filter(Boolean), exited };
}

/** Waits for `url`/ready to answer 200 (or the process to end, which fails). */
export async function waitReady(main: MainProcess, url: string): Promise<void> {
  for (;;) {
    if (main.child.exitCode !== null)
      throw new Error(`service exited before it was ready:\n${main.lines().join('\n')}`);
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Log lines above INFO (pino level 40 and up), and anything that is not a JSON log line. */
export function linesAboveInfo(lines: string[]): string[] {
  return lines.filter((line) => {
    try {
      return (JSON.parse(line) as { level: number }).level >= 40;
    } catch {
      return true;
    }
  });
}
