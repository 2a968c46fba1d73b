import { EventEmitter } from 'node:events';
import type { EditedEventFields } from '../modules/events/events.wire';
import type { OrderStatus } from './domain';

/**
 * What changed, published by the services only after their transaction has committed. The
 * real-time layer turns these into Socket.IO messages; nothing here knows about sockets.
 */
export interface DomainEventMap {
  /** The stock of these categories moved (reservation, release, capacity edit). */
  'stock.changed': { eventId: string; categoryIds: string[] };
  /** Another instance says the stock of these categories moved (relayed by the real-time layer). */
  'stock.changed-elsewhere': { categoryIds: string[] };
  'order.status-changed': {
    orderId: string;
    userId: string;
    eventId: string;
    status: OrderStatus;
    expiresAt: Date;
  };
  /** The event or its categories were created, edited or deleted (caches of it are stale). */
  'event.catalog-changed': { eventId: string };
  /** `count` tickets of the event were admitted at its doors. */
  'checkin.admitted': { eventId: string; count: number };
  /** Queued buyers were admitted to the event (tokens signed by the admitter). */
  'queue.admitted': {
    eventId: string;
    admissions: Array<{ turnId: string; userId: string; token: string; expiresAt: Date }>;
  };
  /** Positions in the event's queue moved (or it sold out): push them to the waiting buyers. */
  'queue.moved': { eventId: string };
  /** A buyer joined (or rejoined) the event's queue on this instance: the admitter has work. */
  'queue.joined': { eventId: string };
  /** `changes` holds the edited fields with their new values, in wire names. */
  'event.updated': { eventId: string; changes: EditedEventFields };
}

export type DomainEventName = keyof DomainEventMap;

export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every socket server and job subscribes once; there is no per-request listener.
    this.emitter.setMaxListeners(50);
  }

  publish<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  subscribe<K extends DomainEventName>(name: K, listener: (payload: DomainEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
