import type { Endpoint } from '../docs/openapi';
import { joinWaitlistBody } from './waitlist.schemas';
import { waitlistEntries, waitlistEntryResponse } from './waitlist.wire';

/** The waiting-list routes (test/waitlist.test.ts parses real responses with these schemas). */
export const WAITLIST_ENDPOINTS: Endpoint[] = [
  {
    method: 'post',
    path: '/api/events/:id/categories/:catId/waitlist',
    tag: 'Waiting list',
    summary:
      'Join the waiting list of a sold-out category (409 INVALID_STATE while it has tickets on sale, or when already waiting for it). Tickets freed by expiry, cancellation or refund go to the list first, in order: the first entry that fits gets a RESERVED order (the normal hold time, pushed as order:status-change) and becomes OFERTADO. For an event with colaVirtual, only a buyer the queue admitted may join: send the admission token as the Queue-Token header (403 QUEUE_REQUIRED otherwise)',
    access: 'signed in',
    params: ['id', 'catId'],
    body: joinWaitlistBody,
    ok: { status: 201, schema: waitlistEntryResponse, description: 'On the list' },
    errors: ['VALIDATION_ERROR', 'NOT_FOUND', 'INVALID_STATE', 'LIMIT_EXCEEDED', 'QUEUE_REQUIRED'],
  },
  {
    method: 'get',
    path: '/api/waitlist/mine',
    tag: 'Waiting list',
    summary: "The caller's waiting-list entries, newest first (at most 100)",
    access: 'signed in',
    ok: { status: 200, schema: waitlistEntries, description: 'Entries' },
  },
  {
    method: 'delete',
    path: '/api/waitlist/:id',
    tag: 'Waiting list',
    summary:
      "Leave a waiting list (own entries only; others' are 404). Only while EN_ESPERA: an offer is ended by cancelling its order",
    access: 'signed in, the entry’s buyer',
    params: ['id'],
    ok: { status: 200, schema: waitlistEntryResponse, description: 'The entry, CANCELADO' },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
];
