import { sql } from 'kysely';
import type pg from 'pg';
import type { Database } from '../../shared/db/database';
import type { TicketRow } from './ticket.presenter';
import type { SyncResult, TicketStatus } from '../../shared/domain';

/**
 * Who is asking, as the admission statement checks it: a door device's token (not revoked, not
 * expired, of this event) or an organizer (who must run the event); both null for an administrator.
 */
export interface Gate {
  tokenId: string | null;
  organizerId: string | null;
}

const TICKET_COLUMNS = `t.id, t.order_id, t.event_id, t.category_id, i.category_name, t.status, t.checked_in_at, t.door`;
const GATE_OPEN = (token: string, organizer: string, event: string) => `
  (${token}::uuid IS NULL OR EXISTS (SELECT 1 FROM checkin_tokens k WHERE k.id = ${token} AND k.event_id = ${event}
                                     AND k.revoked_at IS NULL AND k.expires_at > clock_timestamp()))
  AND (${organizer}::uuid IS NULL OR EXISTS (SELECT 1 FROM events e WHERE e.id = ${event} AND e.organizer_id = ${organizer}))`;

export interface Refusal {
  gateOpen: boolean;
  status: TicketStatus | null;
  checked_in_at: Date | null;
  door: string | null;
}

export interface ScanToRecord {
  nonce: string;
  ticketId: string | null;
  scannedAt: Date;
  door: string | null;
}

export interface CategoryCount {
  category_id: string;
  name: string;
  issued: number;
  admitted: number;
}

export class TicketRepository {
  constructor(
    private readonly db: Database,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * The admission, decided by this one statement: only a VALIDO ticket of this event becomes
   * USADO, so of N doors scanning one ticket at once exactly one gets a row back (the others wait
   * for its row lock, then find it USADO). Whether the caller may admit here is part of the same
   * statement. A prepared statement: it is the door's hot path.
   */
  async admit(ticketId: string, eventId: string, door: string | null, gate: Gate): Promise<TicketRow | undefined> {
    const { rows } = await this.pool.query<TicketRow>({
      name: 'checkin_admit',
      text: `UPDATE tickets t SET status = 'USADO', checked_in_at = clock_timestamp(), door = $3
             FROM order_items i
             WHERE t.id = $1 AND t.event_id = $2 AND t.status = 'VALIDO'
               AND i.order_id = t.order_id AND i.category_id = t.category_id
               AND ${GATE_OPEN('$4', '$5', '$2')}
             RETURNING ${TICKET_COLUMNS}`,
      values: [ticketId, eventId, door, gate.tokenId, gate.organizerId],
    });
    return rows[0];
  }

  /** Why an admission did not happen. A new statement, so it sees the admission that won. */
  async refusal(ticketId: string, eventId: string, gate: Gate): Promise<Refusal> {
    const { rows } = await this.pool.query<{
      gate_open: boolean;
      status: TicketStatus | null;
      checked_in_at: Date | null;
      door: string | null;
    }>({
      name: 'checkin_refusal',
      text: `SELECT (${GATE_OPEN('$3', '$4', '$2')}) AS gate_open, t.status, t.checked_in_at, t.door
             FROM (SELECT 1) AS one LEFT JOIN tickets t ON t.id = $1 AND t.event_id = $2`,
      values: [ticketId, eventId, gate.tokenId, gate.organizerId],
    });
    const row = rows[0]!;
    return { gateOpen: row.gate_open, status: row.status, checked_in_at: row.checked_in_at, door: row.door };
  }

  async gateOpen(eventId: string, gate: Gate): Promise<boolean> {
    const { rows } = await this.pool.query<{ open: boolean }>(`SELECT (${GATE_OPEN('$2', '$3', '$1')}) AS open`, [
      eventId,
      gate.tokenId,
      gate.organizerId,
    ]);
    return rows[0]!.open;
  }

  /** Tickets of an order, only while it is CONFIRMED (by category name, then id). */
  async forOrder(orderId: string): Promise<TicketRow[]> {
    const { rows } = await this.pool.query<TicketRow>(
      `SELECT ${TICKET_COLUMNS}
       FROM tickets t JOIN orders o ON o.id = t.order_id
       JOIN order_items i ON i.order_id = t.order_id AND i.category_id = t.category_id
       WHERE t.order_id = $1 AND o.status = 'CONFIRMED'
       ORDER BY i.category_name, t.category_id, t.id`,
      [orderId],
    );
    return rows;
  }

  async withBuyer(ticketId: string): Promise<(TicketRow & { user_id: string }) | undefined> {
    const { rows } = await this.pool.query<TicketRow & { user_id: string }>(
      `SELECT ${TICKET_COLUMNS}, o.user_id
       FROM tickets t JOIN orders o ON o.id = t.order_id
       JOIN order_items i ON i.order_id = t.order_id AND i.category_id = t.category_id
       WHERE t.id = $1`,
      [ticketId],
    );
    return rows[0];
  }

  async organizerOf(eventId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ organizer_id: string }>('SELECT organizer_id FROM events WHERE id = $1', [
      eventId,
    ]);
    return rows[0]?.organizer_id;
  }

  /** Issued (VALIDO + USADO) and admitted (USADO) per category, from the stats index. */
  async counts(eventId: string): Promise<CategoryCount[]> {
    const { rows } = await this.pool.query<CategoryCount>({
      name: 'checkin_counts',
      text: `SELECT c.id AS category_id, c.name,
                    (SELECT count(*) FROM tickets t WHERE t.event_id = c.event_id AND t.category_id = c.id
                       AND t.status IN ('VALIDO', 'USADO'))::int AS issued,
                    (SELECT count(*) FROM tickets t WHERE t.event_id = c.event_id AND t.category_id = c.id
                       AND t.status = 'USADO')::int AS admitted
             FROM ticket_categories c WHERE c.event_id = $1 ORDER BY c.created_at, c.id`,
      values: [eventId],
    });
    return rows;
  }

  async organizers(eventIds: string[]): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ id: string; organizer_id: string }>(
      'SELECT id, organizer_id FROM events WHERE id = ANY($1::uuid[])',
      [eventIds],
    );
    return new Map(rows.map((r) => [r.id, r.organizer_id]));
  }

  async totals(eventIds: string[]): Promise<Array<{ eventId: string; issued: number; admitted: number }>> {
    const { rows } = await this.pool.query<{ eventId: string; issued: number; admitted: number }>(
      `SELECT e.id AS "eventId",
              (SELECT count(*) FROM tickets t WHERE t.event_id = e.id AND t.status IN ('VALIDO', 'USADO'))::int AS issued,
              (SELECT count(*) FROM tickets t WHERE t.event_id = e.id AND t.status = 'USADO')::int AS admitted
       FROM unnest($1::uuid[]) AS e(id)`,
      [eventIds],
    );
    return rows;
  }

  async createToken(eventId: string, createdBy: string, label: string | null, expiresAt: Date): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO checkin_tokens (event_id, created_by, label, expires_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [eventId, createdBy, label, expiresAt],
    );
    return rows[0]!.id;
  }

  /** True when the token exists for this event (revoking twice is fine). */
  async revokeToken(eventId: string, tokenId: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `UPDATE checkin_tokens SET revoked_at = coalesce(revoked_at, clock_timestamp())
       WHERE id = $1 AND event_id = $2 RETURNING id`,
      [tokenId, eventId],
    );
    return rows.length > 0;
  }

  /**
   * Offline scans, in one short transaction. Lock order: the scans' nonce keys (in nonce order),
   * then their tickets (in id order), the order every multi-ticket lock follows. A nonce already
   * stored keeps its first result. For each ticket the earliest scan wins: it is admitted if the
   * ticket is VALIDO, or if it was admitted later than this scan (the admission moves back to
   * the earlier scan, so the outcome does not depend on which device synced first).
   */
  async sync(
    eventId: string,
    scans: ScanToRecord[],
  ): Promise<{ results: Map<string, { result: SyncResult; ticketId: string | null }>; admitted: number }> {
    return this.db.transaction().execute(async (trx) => {
      const json = JSON.stringify(
        scans.map((s) => ({
          nonce: s.nonce,
          ticket_id: s.ticketId,
          scanned_at: s.scannedAt.toISOString(),
          door: s.door,
        })),
      );
      const inserted = await sql<{ nonce: string }>`
        INSERT INTO checkin_scans (event_id, nonce, ticket_id, scanned_at, door, result)
        SELECT ${eventId}, x.nonce, x.ticket_id, x.scanned_at, x.door, 'PENDIENTE'
        FROM jsonb_to_recordset(${json}::jsonb) AS x(nonce text, ticket_id uuid, scanned_at timestamptz, door text)
        ORDER BY x.nonce
        ON CONFLICT (event_id, nonce) DO NOTHING
        RETURNING nonce`.execute(trx);
      const fresh = new Set(inserted.rows.map((r) => r.nonce));
      const results = new Map<string, { result: SyncResult; ticketId: string | null }>();

      const repeated = scans.filter((s) => !fresh.has(s.nonce)).map((s) => s.nonce);
      if (repeated.length > 0) {
        const earlier = await sql<{ nonce: string; result: SyncResult; ticket_id: string | null }>`
          SELECT nonce, result, ticket_id FROM checkin_scans WHERE event_id = ${eventId} AND nonce = ANY(${repeated}::text[])`.execute(
          trx,
        );
        for (const r of earlier.rows) results.set(r.nonce, { result: r.result, ticketId: r.ticket_id });
      }

      const newScans = scans.filter((s) => fresh.has(s.nonce));
      const ticketIds = [...new Set(newScans.flatMap((s) => (s.ticketId ? [s.ticketId] : [])))];
      const tickets = new Map<string, { status: TicketStatus; checked_in_at: Date | null }>();
      if (ticketIds.length > 0) {
        const locked = await sql<{ id: string; status: TicketStatus; checked_in_at: Date | null }>`
          SELECT id, status, checked_in_at FROM tickets
          WHERE id = ANY(${ticketIds}::uuid[]) AND event_id = ${eventId}
          ORDER BY id FOR UPDATE`.execute(trx);
        for (const t of locked.rows) tickets.set(t.id, t);
      }

      // Earliest scan per ticket (ties: smallest nonce), among this batch's new scans.
      const earliest = new Map<string, ScanToRecord>();
      for (const s of newScans) {
        if (!s.ticketId || !tickets.has(s.ticketId)) continue;
        const best = earliest.get(s.ticketId);
        if (!best || s.scannedAt < best.scannedAt || (+s.scannedAt === +best.scannedAt && s.nonce < best.nonce))
          earliest.set(s.ticketId, s);
      }
      const admissions: ScanToRecord[] = [];
      for (const [ticketId, scan] of earliest) {
        const t = tickets.get(ticketId)!;
        if (t.status === 'VALIDO' || (t.status === 'USADO' && t.checked_in_at! > scan.scannedAt)) admissions.push(scan);
      }
      const winners = new Set(admissions.map((a) => a.nonce));
      for (const s of newScans) {
        const t = s.ticketId ? tickets.get(s.ticketId) : undefined;
        const result: SyncResult = !t
          ? 'INVALIDO'
          : winners.has(s.nonce)
            ? 'ADMITIDO'
            : t.status === 'ANULADO'
              ? 'ANULADO'
              : 'DUPLICADO';
        results.set(s.nonce, { result, ticketId: t ? s.ticketId : null });
      }

      if (admissions.length > 0) {
        const admitted = JSON.stringify(
          admissions.map((a) => ({ id: a.ticketId, at: a.scannedAt.toISOString(), door: a.door })),
        );
        await sql`
          UPDATE tickets t SET status = 'USADO', checked_in_at = x.at, door = x.door
          FROM jsonb_to_recordset(${admitted}::jsonb) AS x(id uuid, at timestamptz, door text)
          WHERE t.id = x.id`.execute(trx);
      }
      if (newScans.length > 0) {
        const decided = JSON.stringify(newScans.map((s) => ({ nonce: s.nonce, ...results.get(s.nonce) })));
        await sql`
          UPDATE checkin_scans s SET result = x.result, ticket_id = x."ticketId"
          FROM jsonb_to_recordset(${decided}::jsonb) AS x(nonce text, result text, "ticketId" uuid)
          WHERE s.event_id = ${eventId} AND s.nonce = x.nonce`.execute(trx);
      }
      return { results, admitted: admissions.length };
    });
  }
}
