import { z } from 'zod';
import {
  ack,
  almostSoldOut,
  checkinUpdate,
  eventUpdate,
  joinEventPayload,
  joinUserPayload,
  orderStatusChange,
  queueAdmitted,
  queuePosition,
  stockUpdate,
} from '../realtime/realtime.wire';

/** The Socket.IO part of the contract, for readers of the OpenAPI page. */
export const realtimeDescription = `
Events, ticket categories, oversell-proof reservations and live stock.

## Errors
Every error is \`{ "error": { "code", "message", "details"? } }\`; a 503 carries \`Retry-After\`.

## Real time (Socket.IO 4)
Connect to the server given by \`GET /api/realtime\` (same origin when \`wsPort\` is null), optionally
with \`auth: { token }\`. A bad token is refused at the handshake (\`connect_error\` UNAUTHORIZED).

Client → server, each acknowledged with \`{ ok: true }\` or \`{ ok: false, error: { code, message } }\`:
- \`join:event\` \`{ eventId }\` (anyone; NOT_FOUND for an unknown event), \`leave:event\` \`{ eventId }\`
- \`join:user\` \`{ userId }\` (only your own user, admins any; the token is checked again)

Server → client, only after the change is committed:
- \`ticket:stock-update\` \`{ eventoId, categoriaId, nuevoStock }\` to the event room (coalesced to at most one per
  category every 100 ms; the last one always equals the database)
- \`order:status-change\` \`{ orderId, nuevoEstado, expiraEn }\` to the buyer's room
- \`event:update\` \`{ eventoId, cambios }\` to the event room
- \`ticket:almost-sold-out\` \`{ eventoId, categoriaId, stockRestante }\` to the event room, once per downward crossing
  of LOW_STOCK_THRESHOLD
- \`checkin:update\` \`{ eventoId, emitidos, admitidos }\` to the organizer's user room after admissions at the event's
  doors (and when tickets are issued or voided), coalesced to at most one per event every 250 ms; the last one is current
- \`queue:position\` \`{ eventoId, turnoId, posicion, agotado? }\` to each waiting buyer's room when positions in an
  event's virtual queue move (at most once a second per event); \`posicion: 0, agotado: true\` when it sold out first
- \`queue:admitted\` \`{ eventoId, turnoId, token, expiraEn }\` to the admitted buyer's room: send \`token\` as the
  \`Queue-Token\` header of \`POST /api/orders\` for that event until \`expiraEn\`

JSON Schemas of these payloads are under \`x-socketio\` in this document.
`;

export function realtimeEventSchemas() {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12' });
  return {
    clientToServer: {
      'join:event': { payload: json(joinEventPayload), ack: json(ack) },
      'leave:event': { payload: json(joinEventPayload), ack: json(ack) },
      'join:user': { payload: json(joinUserPayload), ack: json(ack) },
    },
    serverToClient: {
      'ticket:stock-update': json(stockUpdate),
      'order:status-change': json(orderStatusChange),
      'event:update': json(eventUpdate),
      'ticket:almost-sold-out': json(almostSoldOut),
      'checkin:update': json(checkinUpdate),
      'queue:position': json(queuePosition),
      'queue:admitted': json(queueAdmitted),
    },
  };
}
