import { session } from './session';

/** A failed API call, as the contract describes it: `{error: {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds from a Retry-After header, when the server sent one. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Status 0: no answer at all (offline, server down, CORS). */
export const NETWORK_ERROR = 'NETWORK_ERROR';

/**
 * How far the server's clock is ahead of this browser's, from the Date header of API answers
 * (whole seconds, so only a clear skew is corrected). Countdowns to `expiraEn` use it.
 */
let clockOffset = 0;
export const serverNow = () => Date.now() + clockOffset;
function noteServerDate(header: string | null): void {
  const server = header ? Date.parse(header) : NaN;
  if (Number.isNaN(server)) return;
  // The header is truncated to the second: the server's real time is in [server, server + 1000).
  const measured = server + 500 - Date.now();
  clockOffset = Math.abs(measured) > 1500 ? measured : 0;
}

type Listener = (error: ApiError) => void;
const sessionExpiredListeners = new Set<Listener>();
/** Called when a signed-in request comes back 401: the token expired or was revoked. */
export function onSessionExpired(listener: Listener): () => void {
  sessionExpiredListeners.add(listener);
  return () => sessionExpiredListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the bearer token when signed in (default true). */
  auth?: boolean;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const token = options.auth === false ? null : session.token;
  if (token) headers.Authorization = `Bearer ${token}`;

  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') throw error;
    throw new ApiError(0, NETWORK_ERROR, 'The server could not be reached');
  }

  noteServerDate(res.headers.get('Date'));
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;

  const err = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const retryHeader = Number(res.headers.get('Retry-After'));
  const apiError = new ApiError(
    res.status,
    err?.code ?? (res.status >= 500 ? 'INTERNAL' : `HTTP_${res.status}`),
    err?.message ?? res.statusText,
    err?.details,
    Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined,
  );
  if (res.status === 401 && token && apiError.code === 'UNAUTHORIZED') {
    for (const l of [...sessionExpiredListeners]) l(apiError);
  }
  throw apiError;
}

export const get = <T>(path: string, options?: RequestOptions) => api<T>('GET', path, options);
export const post = <T>(path: string, body: unknown, options?: RequestOptions) =>
  api<T>('POST', path, { ...options, body });
export const put = <T>(path: string, body: unknown, options?: RequestOptions) =>
  api<T>('PUT', path, { ...options, body });
export const del = (path: string, options?: RequestOptions) => api<void>('DELETE', path, options);
