import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/modules/realtime/realtime.events';
import type { Ack } from '../../src/modules/realtime/realtime.wire';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const open: ClientSocket[] = [];

/** Connects (WebSocket only, as a browser behind a load balancer without sticky sessions would). */
export async function connect(url: string, token?: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, {
    transports: ['websocket'],
    auth: token === undefined ? {} : { token },
    reconnection: false,
    forceNew: true,
  });
  open.push(socket);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 10 s')), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return socket;
}

export function closeAllSockets(): void {
  for (const s of open.splice(0)) s.disconnect();
}

export function request<E extends keyof ClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
): Promise<Ack> {
  return (socket.timeout(10_000).emitWithAck as any)(event, payload);
}

/** Everything the socket receives of one event, in order. */
export function collect<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  (socket.on as any)(event, (payload: any) => seen.push(payload));
  return seen;
}

// Kept importable from here for suites written before test/helpers/wait.ts.
export { eventually, pause } from './wait';
