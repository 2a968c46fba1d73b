-- Tickets that admit: one row per admission of a confirmed order, each event's signing key, door
-- devices' check-in tokens and the offline scans synced by them.

CREATE TYPE ticket_status AS ENUM ('VALIDO', 'USADO', 'ANULADO');

CREATE TABLE tickets (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  -- Copied from the order by the trigger below. No foreign key to events on purpose: its check
  -- would take KEY SHARE on the event row after the confirm has locked the order, the reverse of
  -- event deletion's order (event, then orders). Deleting an event cascades here via its orders.
  event_id      uuid NOT NULL,
  category_id   uuid NOT NULL REFERENCES ticket_categories (id),
  status        ticket_status NOT NULL DEFAULT 'VALIDO',
  -- The (earliest known) admission; kept when a used ticket is voided afterwards.
  checked_in_at timestamptz,
  door          text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  voided_at     timestamptz,
  CONSTRAINT tickets_used_has_admission CHECK (status <> 'USADO' OR checked_in_at IS NOT NULL)
) WITH (fillfactor = 70);
CREATE INDEX tickets_order_idx ON tickets (order_id, id);
-- Check-in statistics per event and category, answered from the index alone.
CREATE INDEX tickets_event_stats_idx ON tickets (event_id, category_id, status);

-- Issuance and voiding happen in the statement that changes the order's status, whoever makes
-- that change (the buyer's confirm, a payment webhook, a late payment, a cancellation or refund):
-- a confirmed order never exists without its tickets, nor a valid ticket of an order that is no
-- longer confirmed. Tickets are voided in id order, the order every multi-ticket lock follows.
CREATE FUNCTION orders_sync_tickets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'CONFIRMED' THEN
    INSERT INTO tickets (order_id, event_id, category_id)
    SELECT NEW.id, NEW.event_id, i.category_id
    FROM order_items i CROSS JOIN LATERAL generate_series(1, i.quantity)
    WHERE i.order_id = NEW.id;
  ELSIF OLD.status = 'CONFIRMED' THEN
    UPDATE tickets SET status = 'ANULADO', voided_at = clock_timestamp()
    WHERE id IN (SELECT id FROM tickets WHERE order_id = NEW.id AND status <> 'ANULADO' ORDER BY id FOR UPDATE);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER orders_sync_tickets
  AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND 'CONFIRMED' IN (OLD.status, NEW.status))
  EXECUTE FUNCTION orders_sync_tickets();

-- One Ed25519 key pair per event. The private key (PKCS#8) is stored only encrypted with
-- AES-256-GCM under a key derived from TICKET_SIGNING_SECRET, the event id as associated data:
-- a database dump alone can neither mint tickets nor move a key to another event.
CREATE TABLE event_signing_keys (
  event_id    uuid PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  public_key  bytea NOT NULL,   -- SPKI DER
  private_key bytea NOT NULL,   -- iv (12) || tag (16) || ciphertext
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Door devices: bearer tokens that can only check in tickets of one event.
CREATE TABLE checkin_tokens (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  label      text,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkin_tokens_event_idx ON checkin_tokens (event_id, created_at);

-- Scans made offline and synced later, by their device-chosen nonce (unique per event): a
-- repeated sync answers each nonce with its first result.
CREATE TABLE checkin_scans (
  event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  nonce      text NOT NULL,
  ticket_id  uuid,
  scanned_at timestamptz NOT NULL,
  door       text,
  result     text NOT NULL,
  synced_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, nonce)
);
