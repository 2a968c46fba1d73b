import { io, type Socket } from 'socket.io-client';
import { get } from './api';
import { session } from './session';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from './types';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'live' | 'offline';
type ServerEvent = keyof ServerToClientEvents;

/**
 * One Socket.IO connection for the page. Views ask for event rooms (reference-counted) and
 * subscribe to server events; after a reconnection every room is joined again and `resync`
 * listeners run, since anything sent while offline was missed.
 */
class Realtime {
  private socket: ClientSocket | null = null;
  private starting: Promise<void> | null = null;
  private readonly rooms = new Map<string, number>();
  private readonly handlers = new Map<ServerEvent, Set<(payload: never) => void>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private userRoom: string | null = null;
  private currentToken: string | null = null;
  private connectedOnce = false;
  state: ConnectionState = 'connecting';

  start(): Promise<void> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    let info: { wsPort: number | null; path: string } = { wsPort: null, path: '/socket.io' };
    try {
      info = await get('/api/realtime', { auth: false });
    } catch {
      // Fall back to the same origin.
    }
    const url =
      info.wsPort === null
        ? window.location.origin
        : `${window.location.protocol}//${window.location.hostname}:${info.wsPort}`;
    this.currentToken = session.token;
    const socket: ClientSocket = io(url, {
      path: info.path,
      transports: ['websocket'],
      // Read on every (re)connection, so a sign-in or sign-out takes effect on the next handshake.
      auth: (cb) => cb(this.currentToken ? { token: this.currentToken } : {}),
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.setState('live');
      for (const eventId of this.rooms.keys()) this.emitJoin(eventId);
      this.joinUserRoom();
      if (this.connectedOnce) for (const l of [...this.resyncListeners]) l();
      this.connectedOnce = true;
    });
    socket.on('disconnect', () => {
      // The server forgets a socket's rooms with the connection; they are joined again on connect.
      this.userRoom = null;
      this.setState('offline');
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      this.setState('offline');
      if (err.message === 'UNAUTHORIZED' || err.data?.code === 'UNAUTHORIZED') {
        // The stored token is no longer valid: carry on signed out.
        this.currentToken = null;
        session.clear();
        socket.connect();
      }
    });
    for (const [event, set] of this.handlers) this.attach(event, set);

    session.subscribe(() => {
      if (session.token === this.currentToken) {
        this.joinUserRoom();
        return;
      }
      this.currentToken = session.token;
      this.userRoom = null;
      // A new handshake carries the new identity; rooms are joined again on connect.
      socket.disconnect();
      this.setState('connecting');
      socket.connect();
    });
  }

  private attach(event: ServerEvent, set: Set<(payload: never) => void>): void {
    // One socket listener per event name, fanning out to the view handlers.
    (this.socket as unknown as { on(e: string, fn: (p: never) => void): void }).on(event, (payload: never) => {
      for (const fn of [...set]) fn(payload);
    });
  }

  private emitJoin(eventId: string): void {
    this.socket?.emit('join:event', { eventId }, (_ack: Ack) => undefined);
  }

  private joinUserRoom(): void {
    const user = session.user;
    if (!this.socket?.connected || !user || !this.currentToken || this.userRoom === user.id) return;
    this.userRoom = user.id;
    this.socket.emit('join:user', { userId: user.id }, (ack: Ack) => {
      if (!ack.ok) this.userRoom = null;
    });
  }

  joinEvent(eventId: string): () => void {
    const count = this.rooms.get(eventId) ?? 0;
    this.rooms.set(eventId, count + 1);
    if (count === 0 && this.socket?.connected) this.emitJoin(eventId);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.rooms.get(eventId) ?? 1) - 1;
      if (n > 0) {
        this.rooms.set(eventId, n);
        return;
      }
      this.rooms.delete(eventId);
      if (this.socket?.connected) this.socket.emit('leave:event', { eventId }, (_ack: Ack) => undefined);
    };
  }

  on<E extends ServerEvent>(event: E, fn: (payload: Parameters<ServerToClientEvents[E]>[0]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
      if (this.socket) this.attach(event, set);
    }
    const handler = fn as (payload: never) => void;
    set.add(handler);
    return () => set.delete(handler);
  }

  onResync(fn: () => void): () => void {
    this.resyncListeners.add(fn);
    return () => this.resyncListeners.delete(fn);
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const l of [...this.stateListeners]) l(state);
  }
}

export const realtime = new Realtime();
