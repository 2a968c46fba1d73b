import QRCode from 'qrcode';
import type { DomainEvents } from '../../shared/domain-events';
import { AppError, forbidden, notFound, unauthorized } from '../../shared/errors';
import type { AuthUser } from '../auth/tokens';
import { canManageEvent, canSeeTicket, isAdmin } from '../policy/policy';
import type { CheckinActor, DeviceTokens } from './checkin-auth';
import type { SigningKeys } from './signing-keys';
import { decodeCode, encodeCode, verifyCode, type DecodedCode } from './ticket-code';
import { presentTicket, type TicketDto, type TicketRow } from './ticket.presenter';
import type { Gate, ScanToRecord, TicketRepository } from './tickets.repository';
import type { SyncResult } from '../../shared/domain';
import type { CheckinInput, CheckinTokenInput, SyncInput } from './tickets.schemas';

const DEFAULT_DEVICE_TOKEN_HOURS = 24;
/** A forged, unknown or other event's code: the same answer for all, so none is told apart. */
const unknownCode = () => notFound('Ticket');

export class TicketService {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly keys: SigningKeys,
    private readonly devices: DeviceTokens,
    private readonly bus: DomainEvents,
  ) {}

  /** GET /api/events/:id/checkin-key: what a scanner needs to verify codes offline. */
  async publicKey(eventId: string) {
    const key = await this.keys.forEvent(eventId);
    if (!key) throw notFound('Event');
    return { algoritmo: 'Ed25519' as const, clavePublica: key.publicPem };
  }

  /** The tickets of an order its buyer (or an administrator) may see; empty unless CONFIRMED. */
  async forOrder(user: AuthUser, order: { id: string; usuarioId: string; eventoId: string }): Promise<TicketDto[]> {
    if (!canSeeTicket(user, { user_id: order.usuarioId })) throw notFound('Order');
    const rows = await this.tickets.forOrder(order.id);
    return Promise.all(rows.map((row) => this.present(row)));
  }

  /** The QR code of a ticket as SVG; someone else's ticket is answered like a missing one. */
  async qrSvg(user: AuthUser, ticketId: string): Promise<string> {
    const row = await this.tickets.withBuyer(ticketId);
    if (!row || !canSeeTicket(user, row)) throw notFound('Ticket');
    const { codigo } = await this.present(row);
    // Upper-case base32 is QR alphanumeric mode: a 156-character code fits a version 8 symbol.
    return QRCode.toString(codigo, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  }

  async checkIn(actor: CheckinActor, eventId: string, input: CheckinInput) {
    const code = await this.verified(eventId, input.codigo);
    if (!code) throw unknownCode();
    const gate = await this.gate(actor, eventId, false);
    const door = input.puerta ?? null;
    const admitted = await this.tickets.admit(code.ticketId, eventId, door, gate);
    if (admitted) {
      this.bus.publish('checkin.admitted', { eventId, count: 1 });
      return { resultado: 'ADMITIDO' as const, ticket: presentTicket(admitted, code.canonical) };
    }
    const why = await this.tickets.refusal(code.ticketId, eventId, gate);
    if (!why.gateOpen) throw this.gateClosed(actor);
    switch (why.status) {
      case null:
        throw unknownCode();
      case 'USADO':
        throw new AppError('ALREADY_CHECKED_IN', 'This ticket was already checked in', {
          ingresoEn: why.checked_in_at!.toISOString(),
          puerta: why.door,
        });
      case 'ANULADO':
        throw new AppError('TICKET_REVOKED', 'This ticket was voided: its order was cancelled or refunded');
      case 'VALIDO':
        // Only when the ticket was voided and issued again in between; the scan can be repeated.
        throw new AppError('SERVICE_UNAVAILABLE', 'The ticket changed during the scan; scan it again');
    }
  }

  /**
   * Scans made while a door was offline. Each nonce is answered with its first result; for each
   * ticket the earliest scan wins (see TicketRepository.sync).
   */
  async sync(actor: CheckinActor, eventId: string, input: SyncInput) {
    await this.gate(actor, eventId, true);
    const now = new Date();
    const firstByNonce = new Map<string, ScanToRecord>();
    for (const scan of input.escaneos) {
      if (firstByNonce.has(scan.nonce)) continue;
      const code = await this.verified(eventId, scan.codigo);
      const at = new Date(scan.escaneadoEn);
      firstByNonce.set(scan.nonce, {
        nonce: scan.nonce,
        ticketId: code?.ticketId ?? null,
        // A device clock ahead of ours cannot put a scan in the future.
        scannedAt: at > now ? now : at,
        door: scan.puerta ?? null,
      });
    }
    const { results, admitted } = await this.tickets.sync(eventId, [...firstByNonce.values()]);
    if (admitted > 0) this.bus.publish('checkin.admitted', { eventId, count: admitted });
    return {
      resultados: input.escaneos.map((scan) => {
        const r = results.get(scan.nonce) ?? { result: 'INVALIDO' as SyncResult, ticketId: null };
        return { nonce: scan.nonce, resultado: r.result, ...(r.ticketId ? { ticketId: r.ticketId } : {}) };
      }),
    };
  }

  async stats(user: AuthUser, eventId: string) {
    await this.assertManages(user, eventId);
    const rows = await this.tickets.counts(eventId);
    return {
      emitidos: rows.reduce((n, r) => n + r.issued, 0),
      admitidos: rows.reduce((n, r) => n + r.admitted, 0),
      porCategoria: rows.map((r) => ({
        categoriaId: r.category_id,
        nombre: r.name,
        emitidos: r.issued,
        admitidos: r.admitted,
      })),
    };
  }

  async createDeviceToken(user: AuthUser, eventId: string, input: CheckinTokenInput) {
    await this.assertManages(user, eventId);
    const expiresAt = new Date(Date.now() + (input.horas ?? DEFAULT_DEVICE_TOKEN_HOURS) * 3_600_000);
    const id = await this.tickets.createToken(eventId, user.id, input.etiqueta ?? null, expiresAt);
    return { id, token: this.devices.sign(id, eventId, expiresAt), expiraEn: expiresAt.toISOString() };
  }

  async revokeDeviceToken(user: AuthUser, eventId: string, tokenId: string): Promise<void> {
    await this.assertManages(user, eventId);
    if (!(await this.tickets.revokeToken(eventId, tokenId))) throw notFound('Check-in token');
  }

  private async present(row: TicketRow): Promise<TicketDto> {
    const key = await this.keys.forEvent(row.event_id);
    if (!key) throw notFound('Event');
    return presentTicket(row, encodeCode(row.id, row.event_id, key.privateKey));
  }

  /** The code, if it is a genuine code of this event. */
  private async verified(eventId: string, raw: string): Promise<DecodedCode | undefined> {
    const code = decodeCode(raw);
    if (!code || code.eventId !== eventId) return undefined;
    // An event without a key has never shown a code: nothing can be genuine.
    const key = await this.keys.existing(eventId);
    return key && verifyCode(code, key.publicKey) ? code : undefined;
  }

  /**
   * Who may admit: the gate the admission statement checks. With `now`, checked here too (sync
   * checks before it records anything).
   */
  private async gate(actor: CheckinActor, eventId: string, now: boolean): Promise<Gate> {
    const gate: Gate =
      actor.kind === 'device'
        ? { tokenId: actor.tokenId, organizerId: null }
        : { tokenId: null, organizerId: isAdmin(actor.user) ? null : actor.user.id };
    if (now) {
      if (actor.kind === 'user') await this.assertManages(actor.user, eventId);
      else if (!(await this.tickets.gateOpen(eventId, gate))) throw this.gateClosed(actor);
    }
    return gate;
  }

  private gateClosed(actor: CheckinActor): AppError {
    return actor.kind === 'device'
      ? unauthorized('This check-in token was revoked or has expired')
      : forbidden('Only the event organizer or an administrator can check in its tickets');
  }

  private async assertManages(user: AuthUser, eventId: string): Promise<void> {
    const organizer = await this.tickets.organizerOf(eventId);
    if (!organizer) throw notFound('Event');
    if (!canManageEvent(user, organizer)) {
      throw forbidden('Only the event organizer or an administrator can do this');
    }
  }
}
