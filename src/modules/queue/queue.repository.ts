import { sql, type Transaction } from 'kysely';
import type { Database, Executor } from '../../shared/db/database';
import type { DB, QueueTurnRow } from '../../shared/db/schema';

/** A queued event as the admitter sees it on one tick. */
export interface QueueTick {
  eventId: string;
  /** When the first category opens (null: open already, or no window set). */
  opensAt: Date | null;
  startsAt: Date;
  /** Tickets on sale now, and whether any are held (they may come back). */
  available: number;
  held: boolean;
  waiting: number;
  /** The last tick found the event sold out and closed its waiting turns (AGOTADO). */
  soldOut: boolean;
  credit: number;
  /** Seconds since the previous tick, by the database clock. */
  elapsed: number;
  /**
   * The database clock reading `elapsed` was measured at (as text: microseconds, which a Date
   * would round away on every tick): the next tick measures from it.
   */
  now: string;
  moved: boolean;
  sinceLastPush: number;
  pushedWaiting: number;
}

export interface AdmittedTurn {
  id: string;
  user_id: string;
  token_expires_at: Date;
}

/** Turns and positions of some buyers in one event's queue (for the buyers with a socket here). */
export interface TurnPosition {
  turn_id: string;
  user_id: string;
  status: 'ESPERANDO' | 'AGOTADO';
  position: number;
}

/** Only one instance admits at a time: its tick holds this transaction-scoped advisory lock. */
const ADMITTER_LOCK = sql`hashtext('ticketing:virtual-queue-admitter')::bigint`;

/** SQL over `queue_turns` and `queue_state` (migrations/0011). */
export class QueueRepository {
  constructor(private readonly db: Database) {}

  /** The event, whether it queues, and when its first category opens (null: no window). */
  async event(eventId: string): Promise<{ virtual_queue: boolean; starts_at: Date } | undefined> {
    return this.db
      .selectFrom('events')
      .select(['virtual_queue', 'starts_at'])
      .where('id', '=', eventId)
      .executeTakeFirst();
  }

  /**
   * A new turn, or nothing if the buyer already has one. Before the first category's ventaInicio
   * the place is random in [0, 1); afterwards 1 + an arrival number, behind all early comers.
   */
  async insert(eventId: string, userId: string): Promise<QueueTurnRow | undefined> {
    const { rows } = await sql<QueueTurnRow>`
      INSERT INTO queue_turns (event_id, user_id, place)
      SELECT ${eventId}, ${userId},
             CASE WHEN (SELECT min(sales_start) FROM ticket_categories WHERE event_id = ${eventId}) > now()
                  THEN random() ELSE 1 + nextval('queue_arrival_seq') END
      ON CONFLICT (event_id, user_id) DO NOTHING
      RETURNING *`.execute(this.db);
    if (rows[0]) {
      // The admitter's pace row (a no-op, without a lock, when it exists).
      await sql`INSERT INTO queue_state (event_id) VALUES (${eventId}) ON CONFLICT DO NOTHING`.execute(this.db);
    }
    return rows[0];
  }

  find(eventId: string, userId: string): Promise<QueueTurnRow | undefined> {
    return this.db
      .selectFrom('queue_turns')
      .selectAll()
      .where('event_id', '=', eventId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** An admission that ran out unused: back in the queue, behind everyone now waiting. */
  async requeueExpired(turnId: string): Promise<QueueTurnRow | undefined> {
    const { rows } = await sql<QueueTurnRow>`
      UPDATE queue_turns
      SET status = 'ESPERANDO', place = 1 + nextval('queue_arrival_seq'), admitted_at = NULL, token_expires_at = NULL
      WHERE id = ${turnId} AND status = 'ADMITIDO' AND token_expires_at <= now()
      RETURNING *`.execute(this.db);
    return rows[0];
  }

  async position(turn: QueueTurnRow): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM queue_turns
      WHERE event_id = ${turn.event_id} AND status = 'ESPERANDO' AND place <= ${turn.place}`.execute(this.db);
    return rows[0]!.n;
  }

  /** Takes the admitter's lock for this transaction; false: another instance is admitting. */
  async tryLockAdmitter(trx: Transaction<DB>): Promise<boolean> {
    const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${ADMITTER_LOCK}) AS ok`.execute(trx);
    return rows[0]!.ok;
  }

  /** Every queued event with someone waiting, or with positions still to push. */
  async ticks(trx: Transaction<DB>): Promise<QueueTick[]> {
    const { rows } = await sql<{
      event_id: string;
      opens_at: Date | null;
      starts_at: Date;
      available: number;
      held: boolean;
      waiting: number;
      credit: number;
      elapsed: number;
      now_at: string;
      moved: boolean;
      since_last_push: number;
      pushed_waiting: number;
      sold_out: boolean;
    }>`
      WITH clock AS (SELECT clock_timestamp() AS now_at)
      SELECT q.event_id, e.starts_at, clock.now_at::text AS now_at,
             (SELECT min(c.sales_start) FROM ticket_categories c WHERE c.event_id = e.id) AS opens_at,
             (SELECT coalesce(sum(s.available), 0)::int FROM ticket_categories c
                JOIN category_stock s ON s.category_id = c.id WHERE c.event_id = e.id) AS available,
             EXISTS (SELECT 1 FROM orders o WHERE o.event_id = e.id AND o.status = 'RESERVED') AS held,
             (SELECT count(*)::int FROM queue_turns t WHERE t.event_id = e.id AND t.status = 'ESPERANDO') AS waiting,
             q.credit, extract(epoch FROM clock.now_at - q.ticked_at)::float8 AS elapsed, q.moved,
             extract(epoch FROM clock.now_at - q.pushed_at)::float8 AS since_last_push, q.pushed_waiting, q.sold_out
      FROM queue_state q JOIN events e ON e.id = q.event_id CROSS JOIN clock
      WHERE q.moved OR EXISTS (SELECT 1 FROM queue_turns t WHERE t.event_id = q.event_id AND t.status = 'ESPERANDO')
         -- Sold out, but tickets came back (cancellations, a capacity raise): the closed turns reopen.
         OR (q.sold_out AND EXISTS (SELECT 1 FROM ticket_categories c JOIN category_stock s ON s.category_id = c.id
                                    WHERE c.event_id = q.event_id AND s.available > 0))
      FOR UPDATE OF q`.execute(trx);
    return rows.map((r) => ({
      eventId: r.event_id,
      opensAt: r.opens_at,
      startsAt: r.starts_at,
      available: r.available,
      held: r.held,
      waiting: r.waiting,
      soldOut: r.sold_out,
      credit: r.credit,
      elapsed: Number.isFinite(r.elapsed) ? r.elapsed : 0,
      now: r.now_at,
      moved: r.moved,
      sinceLastPush: Number.isFinite(r.since_last_push) ? r.since_last_push : Number.MAX_SAFE_INTEGER,
      pushedWaiting: r.pushed_waiting,
    }));
  }

  /** The next `count` waiting turns, in queue order, become ADMITIDO until now + ttl. */
  async admit(trx: Transaction<DB>, eventId: string, count: number, ttlMs: number): Promise<AdmittedTurn[]> {
    if (count <= 0) return [];
    const { rows } = await sql<AdmittedTurn>`
      UPDATE queue_turns t
      SET status = 'ADMITIDO', admitted_at = clock_timestamp(),
          token_expires_at = date_trunc('second', clock_timestamp()) + ${ttlMs} * interval '1 millisecond'
      FROM (SELECT id FROM queue_turns WHERE event_id = ${eventId} AND status = 'ESPERANDO'
            ORDER BY place LIMIT ${count} FOR UPDATE SKIP LOCKED) next
      WHERE t.id = next.id
      RETURNING t.id, t.user_id, t.token_expires_at`.execute(trx);
    return rows;
  }

  /** The event sold out: nobody still waiting will be admitted. */
  /** Turns closed by a sell-out wait again, in the places they had (tickets came back). */
  async reopenSoldOut(trx: Transaction<DB>, eventId: string): Promise<number> {
    const result = await sql`
      UPDATE queue_turns SET status = 'ESPERANDO' WHERE event_id = ${eventId} AND status = 'AGOTADO'`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }

  async closeSoldOut(trx: Transaction<DB>, eventId: string): Promise<number> {
    const result = await sql`
      UPDATE queue_turns SET status = 'AGOTADO' WHERE event_id = ${eventId} AND status = 'ESPERANDO'`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }

  async saveState(
    trx: Transaction<DB>,
    eventId: string,
    state: { now: string; credit: number; moved: boolean; pushed: boolean; waiting: number; soldOut: boolean },
  ): Promise<void> {
    // ticked_at is the instant the credit was computed for, not the end of this tick: time spent
    // admitting counts towards the next refill, so slow ticks do not slow the pace.
    await sql`
      UPDATE queue_state SET credit = ${state.credit}, ticked_at = ${state.now}::timestamptz, moved = ${state.moved},
        sold_out = ${state.soldOut},
        pushed_at = CASE WHEN ${state.pushed} THEN clock_timestamp() ELSE pushed_at END,
        pushed_waiting = CASE WHEN ${state.pushed} THEN ${state.waiting} ELSE pushed_waiting END
      WHERE event_id = ${eventId}`.execute(trx);
  }

  /** Where these buyers stand in the event's queue (waiting: their place; sold out: 0). */
  async positions(db: Executor, eventId: string, userIds: string[]): Promise<TurnPosition[]> {
    if (userIds.length === 0) return [];
    const { rows } = await sql<TurnPosition>`
      SELECT r.turn_id, r.user_id, r.status, r.position FROM (
        SELECT id AS turn_id, user_id, 'ESPERANDO' AS status, row_number() OVER (ORDER BY place)::int AS position
        FROM queue_turns WHERE event_id = ${eventId} AND status = 'ESPERANDO'
      ) r WHERE r.user_id = ANY(${userIds}::uuid[])
      UNION ALL
      SELECT id, user_id, 'AGOTADO', 0 FROM queue_turns
      WHERE event_id = ${eventId} AND status = 'AGOTADO' AND user_id = ANY(${userIds}::uuid[])`.execute(db);
    return rows;
  }
}
