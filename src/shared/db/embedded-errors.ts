import { StartupError } from '../startup-error';

export interface FailureContext {
  /** What was being done: `initdb` (creating the cluster) or `postgres` (starting it). */
  step: 'initdb' | 'postgres';
  clusterDir: string;
  port: number;
  /** Who PostgreSQL runs as, for permission messages. */
  account: string;
  /** PostgreSQL's own output (stderr), most recent last. */
  output: string;
  /** A spawn or file-system error, when there is one. */
  error?: NodeJS.ErrnoException;
  exitCode?: number | null;
}

const WHAT_TO_DO_DATA = 'point DATA_DIR at another folder, or set DATABASE_URL to use an existing PostgreSQL';

/** PostgreSQL's most telling line: its first FATAL/PANIC/ERROR, else its last line. */
function keyLine(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line =
    lines.find((l) => /\b(FATAL|PANIC):/.test(l)) ?? lines.find((l) => /\b(ERROR|error):/.test(l)) ?? lines.at(-1);
  return line?.replace(/^.*?\b(FATAL|PANIC|ERROR|LOG):\s*/, '').slice(0, 300);
}

/**
 * One sentence naming why the embedded PostgreSQL did not start and what to do about it, from
 * what PostgreSQL printed (its messages are forced to English) or from the spawn error.
 */
export function describeFailure(ctx: FailureContext): StartupError {
  const { output, error, clusterDir, port } = ctx;
  const code = error?.code;
  const said = keyLine(output);

  if (code === 'ENOSPC' || /No space left on device/i.test(output)) {
    return new StartupError(
      'disk-full',
      `Embedded PostgreSQL could not start: no space left on the disk holding ${clusterDir}. ` +
        `Free some space, ${WHAT_TO_DO_DATA}.`,
    );
  }
  if (
    /could not bind .*Address already in use|could not create any TCP\/IP sockets|lock file ".*\.s\.PGSQL\.\d+\.lock" already exists/i.test(
      output,
    )
  ) {
    return new StartupError(
      'port-in-use',
      `Embedded PostgreSQL could not start: port ${port} on 127.0.0.1 is already in use by another program. ` +
        'Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing PostgreSQL.',
    );
  }
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    /Permission denied|has invalid permissions|has wrong ownership|Operation not permitted/i.test(output)
  ) {
    const where = error?.path ?? clusterDir;
    return new StartupError(
      'permissions',
      `Embedded PostgreSQL could not start: ${ctx.account} may not use ${where} (${said ?? error?.message ?? 'permission denied'}). ` +
        `Give that user access, ${WHAT_TO_DO_DATA}.`,
    );
  }
  if (
    /is not a valid data directory|does not contain valid data|database files are incompatible|could not locate a valid checkpoint record|invalid checkpoint|could not (open|read) file|pg_control|invalid data in file|directory ".*" exists but is not empty|is missing/i.test(
      output,
    )
  ) {
    return new StartupError(
      'corrupt-data',
      `Embedded PostgreSQL could not start: the data folder ${clusterDir} is damaged or not a PostgreSQL ${ctx.step === 'initdb' ? 'folder it can initialise' : 'data folder'} (${said}). ` +
        `Move that folder away to start afresh (its data is lost), ${WHAT_TO_DO_DATA}.`,
    );
  }
  if (code === 'ENOENT') {
    return new StartupError(
      'missing-binaries',
      `Embedded PostgreSQL could not start: ${error?.path ?? 'its binaries'} not found (run npm ci). ` +
        'Set DATABASE_URL to use an existing PostgreSQL instead.',
    );
  }
  const detail = said ?? error?.message ?? `${ctx.step} exited with code ${ctx.exitCode ?? 'unknown'}`;
  return new StartupError(
    'embedded-postgres',
    `Embedded PostgreSQL could not start (${ctx.step}: ${detail}). ` +
      `Check DATA_DIR (${clusterDir}) and EMBEDDED_PG_PORT (${port}), or set DATABASE_URL to use an existing PostgreSQL.`,
  );
}

/** A file-system error from preparing the data folder (ours, before PostgreSQL runs). */
export function describeFolderError(
  error: unknown,
  ctx: Omit<FailureContext, 'output' | 'error' | 'step'>,
): StartupError {
  if (error instanceof StartupError) return error;
  const err = error as NodeJS.ErrnoException;
  if (err?.code === 'ENOTDIR' || err?.code === 'EEXIST') {
    return new StartupError(
      'permissions',
      `Embedded PostgreSQL could not start: ${err.path ?? ctx.clusterDir} is not a folder (${err.code}). ${WHAT_TO_DO_DATA[0]!.toUpperCase()}${WHAT_TO_DO_DATA.slice(1)}.`,
    );
  }
  if (err?.code === 'EROFS') {
    return new StartupError(
      'permissions',
      `Embedded PostgreSQL could not start: ${err.path ?? ctx.clusterDir} is on a read-only file system. ${WHAT_TO_DO_DATA[0]!.toUpperCase()}${WHAT_TO_DO_DATA.slice(1)}.`,
    );
  }
  return describeFailure({ ...ctx, step: 'initdb', output: '', error: err });
}
