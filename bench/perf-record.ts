/**
 * `npx tsx bench/perf-record.ts [reservation|rejection]`: Linux `perf record` (CPU samples, kernel
 * included) of the service and of its PostgreSQL server during a fixed number of requests, for
 * a breakdown that V8's --cpu-prof cannot give: the --cpu-prof sampler counts wall time, so on a
 * busy machine a write that wakes PostgreSQL looks like 25 % of the service. Needs `perf`.
 * Writes bench/results/perf-<scenario>.txt (top symbols per process) and perf-<scenario>.data.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cpuSettings, measure, startSide, type CpuScenario } from './cpu';
import { ROOT } from './setup';

async function main() {
  const scenario = (process.argv[2] ?? 'reservation') as CpuScenario;
  const requests = Number(process.env.BENCH_CPU_REQUESTS ?? 5000);
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof-only-functions`.trim();
  const side = await startSide('perf', ROOT, cpuSettings());
  delete process.env.NODE_OPTIONS;
  const out = path.join(ROOT, 'bench/results');
  const data = path.join(out, `perf-${scenario}.data`);
  try {
    await measure(side, scenario, 3000, 64); // warm-up
    const pids = [side.server.child.pid!, side.postmasterPid!];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === side.postmasterPid)
          pids.push(Number(entry));
      } catch {
        // gone
      }
    }
    const recorder = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '997', '-g', '-o', data, '-p', pids.join(',')], {
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 500));
    const sample = await measure(side, scenario, requests, 64);
    recorder.kill('SIGINT');
    await new Promise((r) => recorder.once('exit', r));
    const per = (us: number) => Math.round(us / sample.successes);
    const header = `${sample.successes} ${scenario}s: service ${per(sample.serviceUs)} µs, PostgreSQL ${per(sample.databaseUs)} µs per ${scenario}`;
    const report = (args: string[]) =>
      execFileSync('perf', ['report', '-i', data, '--stdio', '--no-children', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
    const text = [
      header,
      report(['--sort', 'comm,dso', '-g', 'none', '--percent-limit', '0.5']),
      report(['--sort', 'comm,sym', '-g', 'none', '--percent-limit', '0.4']),
    ].join('\n');
    fs.writeFileSync(path.join(out, `perf-${scenario}.txt`), text);
    console.log(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .slice(0, 160)
        .join('\n'),
    );
  } finally {
    await side.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
