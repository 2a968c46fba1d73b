import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../setup/test-database';
import { testEnv } from './service';

export { freePort };

const ROOT = path.resolve(__dirname, '../..');

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * The service as its own OS process (`src/main.ts` through tsx), as `npm start` would run it,
 * against the suite's database: what crash and shutdown tests need to kill or signal.
 */
export async function spawnService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const env = {
    ...process.env,
    ...testEnv({ PORT: String(port), WS_PORT: String(port), LOG_LEVEL: 'warn', ...overrides }),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service process did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, output: () => output, exited };
}
