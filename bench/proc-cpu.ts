/**
 * CPU time of processes, read from /proc (Linux). On shared machines wall-clock throughput swings
 * by ±30 % between runs; the CPU a request costs is the steadier yardstick.
 */
import fs from 'node:fs';

/** /proc/<pid>/stat counts in clock ticks; 100 per second on every Linux we run on. */
const TICK_US = 1_000_000 / 100;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself, µs. */
  selfUs: number;
  /** cutime + cstime: its children that have exited and been waited for, µs. */
  childrenUs: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone in the meantime
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  return {
    ppid: Number(fields[1]),
    selfUs: (Number(fields[11]) + Number(fields[12])) * TICK_US,
    childrenUs: (Number(fields[13]) + Number(fields[14])) * TICK_US,
  };
}

/** CPU the process itself has used so far, µs. */
export function processCpuUs(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`no process ${pid}`);
  return stat.selfUs;
}

/** The parent of a process (the postmaster of a PostgreSQL backend). */
export function parentPid(pid: number): number | undefined {
  return readStat(pid)?.ppid;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export interface PostgresCpu {
  /** Every process of the server: postmaster, backends (live and exited), background workers. */
  totalUs: number;
  /** Client backends (connections) only, live ones. */
  backendsUs: number;
}

/**
 * CPU of a PostgreSQL server so far: the postmaster itself, its exited children (accounted to it
 * when it reaps them) and its live children (backends, WAL writer, checkpointer, autovacuum…).
 * Differences of two readings give the server's CPU over an interval, whatever backends came
 * and went in between.
 */
export function postgresCpuUs(postmasterPid: number): PostgresCpu {
  const postmaster = readStat(postmasterPid);
  if (!postmaster) throw new Error(`no postmaster ${postmasterPid}`);
  let totalUs = postmaster.selfUs + postmaster.childrenUs;
  let backendsUs = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat || stat.ppid !== postmasterPid) continue;
    totalUs += stat.selfUs + stat.childrenUs;
    // "postgres: user database host(port) state": a client connection.
    if (/^postgres: \S+ \S+ [\d.:[\]]+\(\d+\)/.test(cmdline(pid))) backendsUs += stat.selfUs;
  }
  return { totalUs, backendsUs };
}
