/**
 * A start-up failure the operator can fix: its message is one line naming the cause and what to
 * do, printed as it is (no stack trace) before the process exits non-zero.
 */
export class StartupError extends Error {
  constructor(
    /** Stable, machine-readable cause, e.g. `port-in-use`, `corrupt-data`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * The one-line explanation of a start-up failure we recognise: ours (StartupError), the external
 * database refusing us (DATABASE_URL), or a port of our own already taken. Else undefined.
 */
export function describeStartupFailure(error: unknown): StartupError | undefined {
  if (error instanceof StartupError) return error;
  const err = error as (Error & { code?: string; syscall?: string; port?: number; errors?: unknown[] }) | undefined;
  if (!err || typeof err !== 'object') return undefined;
  const code = err.code ?? (err.errors?.[0] as { code?: string } | undefined)?.code;
  if (code === 'EADDRINUSE' && err.syscall === 'listen') {
    return new StartupError(
      'port-in-use',
      `Port ${err.port ?? ''} is already in use by another program. Set PORT (HTTP) and WS_PORT (Socket.IO) to free ports.`,
    );
  }
  const database: Record<string, string> = {
    ECONNREFUSED: 'nothing accepts connections there',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve',
    ETIMEDOUT: 'the connection timed out',
    '28P01': 'the password was refused',
    '28000': 'the server refused this user',
    '3D000': 'the database does not exist',
  };
  const timedOut = /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(
    err.message ?? '',
  );
  const why = code ? database[code] : undefined;
  if (why || timedOut) {
    return new StartupError(
      'database-unreachable',
      `Cannot use the PostgreSQL at DATABASE_URL: ${why ?? 'the connection timed out'} (${code ?? 'timeout'}). ` +
        'Fix DATABASE_URL, or unset it to run the embedded PostgreSQL (data in DATA_DIR, port EMBEDDED_PG_PORT).',
    );
  }
  return undefined;
}
