-- Waiting lists: buyers who asked for tickets of a sold-out category, served in order when
-- tickets are freed (a hold expires, an order is cancelled or refunded). The hand-over happens in
-- the statement that returns the tickets, so freed tickets are never visible to other buyers
-- while an entry they fit is waiting.

-- EN_ESPERA: waiting; OFERTADO: a RESERVED order was made for it (order_id); EXPIRADO: that
-- offer's hold ran out; CANCELADO: the buyer left the list, or cancelled the offered order.
CREATE TYPE waitlist_status AS ENUM ('EN_ESPERA', 'OFERTADO', 'EXPIRADO', 'CANCELADO');

CREATE TABLE waitlist_entries (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The place in the list: arrival order.
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  category_id uuid NOT NULL REFERENCES ticket_categories (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  quantity    integer NOT NULL CHECK (quantity >= 1),
  status      waitlist_status NOT NULL DEFAULT 'EN_ESPERA',
  order_id    uuid REFERENCES orders (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT waitlist_offer_has_order CHECK (status <> 'OFERTADO' OR order_id IS NOT NULL)
);
-- The waiting entries of a category, in order: what every release scans.
CREATE INDEX waitlist_waiting_idx ON waitlist_entries (category_id, seq) WHERE status = 'EN_ESPERA';
CREATE INDEX waitlist_user_idx ON waitlist_entries (user_id, created_at DESC);
CREATE UNIQUE INDEX waitlist_order_idx ON waitlist_entries (order_id);
-- One waiting entry per buyer and category.
CREATE UNIQUE INDEX waitlist_one_waiting_idx ON waitlist_entries (category_id, user_id) WHERE status = 'EN_ESPERA';

-- The offer ends with its order: a hold that runs out passes the turn (EXPIRADO; the freed
-- tickets then go to the next entry, in the same transaction), a cancelled offer is CANCELADO.
-- Inside the statement that changes the order, under its row lock (lock order: orders → entries).
CREATE FUNCTION orders_sync_waitlist() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE waitlist_entries
  SET status = CASE WHEN NEW.status = 'EXPIRED' THEN 'EXPIRADO'::waitlist_status ELSE 'CANCELADO' END,
      updated_at = clock_timestamp()
  WHERE order_id = NEW.id AND status = 'OFERTADO';
  RETURN NULL;
END $$;

CREATE TRIGGER orders_sync_waitlist
  AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status = 'RESERVED' AND NEW.status IN ('EXPIRED', 'CANCELLED'))
  EXECUTE FUNCTION orders_sync_waitlist();

-- Returns p_quantity freed tickets of one category, serving its waiting list first. One call per
-- category, in category-id order (as every stock writer). Locks, in order:
--   1. one bucket (NO KEY UPDATE, by the UPDATE): the emptiest, or while entries wait the fullest,
--      so tickets left over by earlier releases are offered together with these;
--   2. the category's waiting entries in list order (FOR UPDATE; two releases of one category
--      serialize here, the second sees the first's offers);
--   3. only when an offer is made: KEY SHARE on the event, SKIP LOCKED (an event being deleted
--      holds UPDATE on it: no offer then, and nothing waits going back up the table order), and
--      the buyer's per-event advisory lock, tried (never waited for: the buyer's own purchase
--      takes it before its buckets; an entry whose buyer is buying right now waits for the next
--      release).
-- Offers are taken from that one bucket only, so no second bucket is ever locked. An entry is
-- served only if it fits what is free, the event has not started, the category's sales window
-- is open and the buyer's maxPorComprador allows it; otherwise the next entry is looked at.
-- What nobody on the list can use stays in the bucket, on public sale.
-- A concurrent join (WaitlistRepository.join) holds FOR SHARE on every bucket of the category
-- while it checks that nothing is available: our UPDATE waits for it, and step 2 (a new
-- statement, a fresh snapshot) then sees its entry.
-- Returns the offers made: [{entry_id, order_id, user_id, event_id, expires_at}].
CREATE FUNCTION release_stock(p_category uuid, p_quantity integer, p_hold_ms integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_waiting   boolean;
  v_bucket    integer;
  v_available integer;
  v_category  ticket_categories;
  v_event     record;
  v_checked   boolean := false;
  v_entry     record;
  v_current   integer;
  v_order     orders;
  v_offers    jsonb := '[]'::jsonb;
BEGIN
  v_waiting := EXISTS (SELECT 1 FROM waitlist_entries WHERE category_id = p_category AND status = 'EN_ESPERA');
  -- A bucket can vanish under us when a capacity edit shrinks the category: pick again.
  FOR attempt IN 1..6 LOOP
    UPDATE category_stock SET available = available + p_quantity
    WHERE category_id = p_category AND bucket = (
      SELECT bucket FROM category_stock WHERE category_id = p_category
      ORDER BY CASE WHEN v_waiting THEN -available ELSE available END, bucket LIMIT 1)
    RETURNING bucket, available INTO v_bucket, v_available;
    EXIT WHEN FOUND;
  END LOOP;
  IF v_bucket IS NULL THEN
    RAISE EXCEPTION 'could not return % tickets to category %', p_quantity, p_category;
  END IF;

  FOR v_entry IN
    SELECT w.id, w.user_id, w.quantity FROM waitlist_entries w
    WHERE w.category_id = p_category AND w.status = 'EN_ESPERA'
    ORDER BY w.seq
    FOR UPDATE
  LOOP
    CONTINUE WHEN v_entry.quantity > v_available;
    IF NOT v_checked THEN
      v_checked := true;
      SELECT * INTO v_category FROM ticket_categories WHERE id = p_category;
      SELECT e.id, e.starts_at, e.max_per_buyer INTO v_event
      FROM events e WHERE e.id = v_category.event_id FOR KEY SHARE SKIP LOCKED;
      EXIT WHEN NOT FOUND;
      EXIT WHEN v_event.starts_at <= now() OR coalesce(v_category.sales_start > now(), false)
        OR coalesce(v_category.sales_end <= now(), false);
    END IF;
    IF v_event.max_per_buyer IS NOT NULL THEN
      CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtext(v_event.id::text), hashtext(v_entry.user_id::text));
      SELECT coalesce(sum(i.quantity), 0) INTO v_current
      FROM orders o JOIN order_items i ON i.order_id = o.id
      WHERE o.user_id = v_entry.user_id AND o.event_id = v_event.id
        AND (o.status = 'CONFIRMED' OR (o.status = 'RESERVED' AND o.expires_at > now()));
      CONTINUE WHEN v_current + v_entry.quantity > v_event.max_per_buyer;
    END IF;

    INSERT INTO orders AS o (user_id, event_id, status, total_cents, expires_at)
    VALUES (v_entry.user_id, v_event.id, 'RESERVED', v_entry.quantity::bigint * v_category.price_cents,
            now() + p_hold_ms * interval '1 millisecond')
    RETURNING o.* INTO v_order;
    INSERT INTO order_items (order_id, category_id, category_name, quantity, unit_price_cents)
    VALUES (v_order.id, p_category, v_category.name, v_entry.quantity, v_category.price_cents);
    INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, reason)
    VALUES (v_order.id, NULL, 'RESERVED', NULL, 'offered to the waiting list');
    UPDATE waitlist_entries SET status = 'OFERTADO', order_id = v_order.id, updated_at = clock_timestamp()
    WHERE id = v_entry.id;

    v_available := v_available - v_entry.quantity;
    v_offers := v_offers || jsonb_build_object('entry_id', v_entry.id, 'order_id', v_order.id,
      'user_id', v_entry.user_id, 'event_id', v_event.id, 'expires_at', v_order.expires_at);
    EXIT WHEN v_available = 0;
  END LOOP;

  IF jsonb_array_length(v_offers) > 0 THEN
    UPDATE category_stock SET available = v_available WHERE category_id = p_category AND bucket = v_bucket;
  END IF;
  RETURN v_offers;
END $$;
