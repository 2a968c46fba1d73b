import type { Socket } from 'socket.io';

/**
 * Refusals answered at once in a window before a socket is throttled. A client that backs off
 * after RATE_LIMITED (as the contract asks) never gets here; one that keeps emitting does.
 */
export const REFUSALS_BEFORE_THROTTLE = 10;
/** Answers held per throttled socket; past this (a client that does not wait) they go out at once. */
const MAX_HELD_ANSWERS = 100;

/** What `ws` documents as WebSocket#pause / #resume (stop / restart reading the TCP connection). */
interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * The `ws` WebSocket under engine.io's websocket transport, or undefined (HTTP long-polling, or a
 * transport without one). engine.io keeps it in the transport's `socket` field, which its typings
 * mark private: no documented hook reaches it, so this checks its shape rather than trusting it.
 */
function pausableConnection(socket: Socket): Pausable | undefined {
  const transport = socket.conn.transport as unknown as { name?: string; socket?: Partial<Pausable> };
  const ws = transport.name === 'websocket' ? transport.socket : undefined;
  return ws && typeof ws.pause === 'function' && typeof ws.resume === 'function' ? (ws as Pausable) : undefined;
}

interface Throttled {
  released: Promise<void>;
  release: () => void;
  held: number;
}

/**
 * A socket that keeps emitting `join:event` past its refusals is slowed instead of answered:
 * the cheapest join is one never read. Until its window frees, the server stops reading its
 * WebSocket (TCP backpressure: its packets wait in the kernel and then in the client, and cost
 * nothing here) and holds the answers of the joins it had already sent, which then go out as
 * RATE_LIMITED. A client that waits for answers before emitting again (any Socket.IO client using
 * acknowledgements) is slowed over long-polling too, where reading cannot be paused per socket.
 * Writes are untouched: the socket still receives its rooms' broadcasts, and other sockets are
 * not affected. The pause is at most one join window (10 s), under engine.io's ping timeout
 * (20 s by default), so a throttled client's heartbeat answers are read in time.
 */
export class JoinThrottle {
  private readonly throttled = new Map<string, Throttled>();

  /** Resolves when this socket's window frees (at once for a socket already holding too many). */
  hold(socket: Socket, msBeforeNext: number): Promise<void> {
    let entry = this.throttled.get(socket.id);
    if (!entry) {
      const connection = pausableConnection(socket);
      connection?.pause();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const timer = setTimeout(() => this.release(socket.id), msBeforeNext);
      const created: Throttled = {
        released,
        held: 0,
        release: () => {
          clearTimeout(timer);
          // Held answers are written first (their continuations run before any new read), then
          // the connection is read again. ws ignores resume() once the connection is closed.
          release();
          connection?.resume();
        },
      };
      entry = created;
      this.throttled.set(socket.id, entry);
    }
    if (entry.held >= MAX_HELD_ANSWERS) return Promise.resolve();
    entry.held++;
    return entry.released;
  }

  /** Ends a socket's throttling (its window freed, or it disconnected). */
  release(socketId: string): void {
    const entry = this.throttled.get(socketId);
    if (!entry) return;
    this.throttled.delete(socketId);
    entry.release();
  }

  close(): void {
    for (const socketId of [...this.throttled.keys()]) this.release(socketId);
  }
}
