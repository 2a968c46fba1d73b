import { z } from 'zod';
import type { Endpoint } from '../docs/openapi';
import { SYNC_RESULTS, TICKET_STATUSES } from '../../shared/domain';
import { checkinBody, checkinTokenBody, syncBody } from './tickets.schemas';

/** Response shapes of tickets and check-in (the docs test parses real responses with them). */
const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });

export const ticketResponse = z
  .object({
    id,
    ordenId: id,
    eventoId: id,
    categoriaId: id,
    categoriaNombre: z.string(),
    estado: z
      .enum(TICKET_STATUSES)
      .describe('VALIDO, USADO (checked in) or ANULADO (its order was cancelled or refunded)'),
    codigo: z
      .string()
      .regex(/^[A-Z2-7]{156}$/)
      .describe(
        'What the QR code carries: RFC 4648 base32 (upper case, no padding) of 97 bytes: version 1, ticket UUID (16), event UUID (16), Ed25519 signature of those 33 bytes (64), verifiable with GET /api/events/{id}/checkin-key',
      ),
    ingresoEn: timestamp.nullable().describe('The (earliest) admission'),
    puerta: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'Ticket' });

const checkinResponse = z
  .object({ resultado: z.literal('ADMITIDO'), ticket: ticketResponse })
  .strict()
  .meta({ id: 'Checkin' });
const syncResponse = z
  .object({
    resultados: z.array(
      z.object({ nonce: z.string(), resultado: z.enum(SYNC_RESULTS), ticketId: id.optional() }).strict(),
    ),
  })
  .strict()
  .meta({ id: 'CheckinSync' });
const counts = { emitidos: z.int().min(0).describe('VALIDO + USADO'), admitidos: z.int().min(0).describe('USADO') };
const statsResponse = z
  .object({ ...counts, porCategoria: z.array(z.object({ categoriaId: id, nombre: z.string(), ...counts }).strict()) })
  .strict()
  .meta({ id: 'CheckinStats' });
const keyResponse = z
  .object({ algoritmo: z.literal('Ed25519'), clavePublica: z.string().describe('PEM, SubjectPublicKeyInfo') })
  .strict()
  .meta({ id: 'CheckinKey' });
const deviceTokenResponse = z
  .object({
    id,
    token: z.string().describe('Bearer token for POST …/checkins and …/checkins/sync of this event only'),
    expiraEn: timestamp,
  })
  .strict()
  .meta({ id: 'CheckinToken' });

const DOOR = 'the event organizer, ADMIN, or a check-in token of the event';
const SYNC_RULES =
  'Scans made offline, up to 500. Each nonce (unique per event) is answered with its first result, so a repeated sync changes nothing. ' +
  'For each ticket the earliest escaneadoEn wins: it is ADMITIDO when the ticket was VALIDO, or when its recorded admission is later ' +
  '(the admission then moves back to this scan, so the outcome does not depend on which device synced first); other scans of it are ' +
  'DUPLICADO, scans of voided tickets ANULADO, and forged, unknown or other events’ codes INVALIDO. A scan time in the future counts as now.';

export const TICKET_ENDPOINTS: Endpoint[] = [
  {
    method: 'get',
    path: '/api/orders/:id/tickets',
    tag: 'Tickets',
    summary: 'The tickets of an order (empty unless CONFIRMED)',
    access: 'its buyer, ADMIN',
    params: ['id'],
    ok: { status: 200, schema: z.array(ticketResponse), description: 'One ticket per admission' },
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/tickets/:id/qr.svg',
    tag: 'Tickets',
    summary: 'The QR code of a ticket’s codigo, as image/svg+xml',
    access: 'the ticket’s buyer, ADMIN',
    params: ['id'],
    ok: { status: 200, description: 'SVG image' },
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/events/:id/checkin-key',
    tag: 'Check-in',
    summary: 'The event’s Ed25519 public key, to verify codes offline',
    params: ['id'],
    ok: { status: 200, schema: keyResponse, description: 'The public key' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/events/:id/checkins',
    tag: 'Check-in',
    summary: 'Admit a ticket: one statement decides, so a ticket scanned at several doors at once is admitted once',
    access: DOOR,
    params: ['id'],
    body: checkinBody,
    ok: { status: 200, schema: checkinResponse, description: 'Admitted' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'ALREADY_CHECKED_IN', 'TICKET_REVOKED'],
  },
  {
    method: 'post',
    path: '/api/events/:id/checkins/sync',
    tag: 'Check-in',
    summary: SYNC_RULES,
    access: DOOR,
    params: ['id'],
    body: syncBody,
    ok: { status: 200, schema: syncResponse, description: 'One result per scan, in the order sent' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/api/events/:id/checkins/stats',
    tag: 'Check-in',
    summary: 'Issued and admitted tickets, in total and per category',
    access: 'the event organizer, ADMIN',
    params: ['id'],
    ok: { status: 200, schema: statsResponse, description: 'Counts' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/api/events/:id/checkin-tokens',
    tag: 'Check-in',
    summary: 'A bearer token for a door device: check-in of this event only, until expiraEn or revocation',
    access: 'the event organizer, ADMIN',
    params: ['id'],
    body: checkinTokenBody,
    ok: { status: 201, schema: deviceTokenResponse, description: 'Created' },
    errors: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/api/events/:id/checkin-tokens/:tokenId',
    tag: 'Check-in',
    summary: 'Revoke a door device’s token, at once',
    access: 'the event organizer, ADMIN',
    params: ['id', 'tokenId'],
    ok: { status: 204, description: 'Revoked' },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'],
  },
];
