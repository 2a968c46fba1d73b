-- The purchase path as one statement. A reservation done in several round trips holds its bucket
-- locks while the application is between statements; under a burst the event loop is slow to send
-- the next one and every other buyer queues behind those locks. Run inside the server, the locks
-- are held for microseconds, whatever the application is doing.

-- Takes p_quantity tickets of one category out of its buckets; false when there are not that many.
-- It may already have taken part of them when it returns false: the caller aborts the whole
-- statement then (reserve_order raises), so nothing partial is ever committed.
CREATE FUNCTION take_stock(p_category uuid, p_quantity integer, p_start integer) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_total   integer;
  v_largest integer;
  v_missing integer := p_quantity;
  v_take    integer;
  r         record;
BEGIN
  -- 1. Usual case: a bucket that has enough and that no other buyer holds right now. Starting
  --    from a random bucket spreads concurrent buyers over different rows.
  UPDATE category_stock SET available = available - p_quantity
  WHERE (category_id, bucket) = (
    SELECT category_id, bucket FROM category_stock
    WHERE category_id = p_category AND available >= p_quantity
    ORDER BY (bucket + p_start) % 16
    LIMIT 1
    FOR UPDATE SKIP LOCKED);
  IF FOUND THEN RETURN true; END IF;

  SELECT coalesce(sum(available), 0), coalesce(max(available), 0) INTO v_total, v_largest
  FROM category_stock WHERE category_id = p_category;
  IF v_total < p_quantity THEN RETURN false; END IF;

  -- 2. Some bucket fits but all such buckets are busy: wait for one (bounded by lock_timeout)
  --    instead of locking several, which would queue every other buyer behind us.
  IF v_largest >= p_quantity THEN
    UPDATE category_stock SET available = available - p_quantity
    WHERE (category_id, bucket) = (
      SELECT category_id, bucket FROM category_stock
      WHERE category_id = p_category AND available >= p_quantity
      ORDER BY bucket
      LIMIT 1
      FOR UPDATE);
    IF FOUND THEN RETURN true; END IF;
  END IF;

  -- 3. No single bucket holds enough: take from several, locking them in bucket order so two
  --    buyers doing this never deadlock.
  FOR r IN
    SELECT bucket, available FROM category_stock
    WHERE category_id = p_category AND available > 0
    ORDER BY bucket
    FOR UPDATE
  LOOP
    v_take := least(v_missing, r.available);
    UPDATE category_stock SET available = available - v_take
    WHERE category_id = p_category AND bucket = r.bucket;
    v_missing := v_missing - v_take;
    EXIT WHEN v_missing = 0;
  END LOOP;
  RETURN v_missing = 0;
END $$;

-- The whole purchase in one call: checks the event and its categories, prices the lines, takes
-- every line's stock or none, and records the order, its lines and its first history entry.
-- p_lines: [{"category_id": uuid, "quantity": int}, ...] (each category once).
-- Raises, with DETAIL saying which: TK404 unknown event; TK400 categories not of this event (DETAIL:
-- their positions in p_lines, comma-separated); TK409 the event has started; TK001 a line does not
-- fit (DETAIL: its category). Returns the order with its lines as JSON.
CREATE FUNCTION reserve_order(
  p_user uuid, p_event uuid, p_lines jsonb, p_hold_ms integer,
  p_idempotency_key text, p_request_hash text, p_start integer
) RETURNS TABLE (
  id uuid, user_id uuid, event_id uuid, status order_status, total_cents bigint, expires_at timestamptz,
  created_at timestamptz, updated_at timestamptz, items jsonb
)
LANGUAGE plpgsql AS $$
DECLARE
  v_starts_at timestamptz;
  v_lines     jsonb;  -- p_lines with each category's name and price (null when not of this event)
  v_foreign   text;
  v_line      record;
  v_order     orders;
BEGIN
  -- KEY SHARE first: the same lock the order's foreign key takes at INSERT, taken before any stock
  -- row, so an event deletion (event row, then its stock) and a purchase lock in the same order
  -- and never wait on each other; a purchase behind a deletion then finds no event (404).
  SELECT e.starts_at INTO v_starts_at FROM events e WHERE e.id = p_event FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown event' USING ERRCODE = 'TK404';
  END IF;

  SELECT jsonb_agg(jsonb_build_object(
           'position', l.ordinality - 1, 'category_id', l.value->>'category_id',
           'quantity', (l.value->>'quantity')::integer, 'category_name', c.name,
           'unit_price_cents', c.price_cents) ORDER BY l.ordinality)
  INTO v_lines
  FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l
  LEFT JOIN ticket_categories c ON c.id = (l.value->>'category_id')::uuid AND c.event_id = p_event;

  SELECT string_agg(x->>'position', ',') INTO v_foreign
  FROM jsonb_array_elements(v_lines) AS x WHERE x->>'category_name' IS NULL;
  IF v_foreign IS NOT NULL THEN
    RAISE EXCEPTION 'categories not of this event' USING ERRCODE = 'TK400', DETAIL = v_foreign;
  END IF;
  IF v_starts_at <= now() THEN
    RAISE EXCEPTION 'event started' USING ERRCODE = 'TK409';
  END IF;

  -- Category id order: buyers that must wait never wait on each other in a cycle.
  FOR v_line IN
    SELECT (x->>'category_id')::uuid AS category_id, (x->>'quantity')::integer AS quantity
    FROM jsonb_array_elements(v_lines) AS x ORDER BY 1
  LOOP
    IF NOT take_stock(v_line.category_id, v_line.quantity, p_start) THEN
      RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'TK001', DETAIL = v_line.category_id::text;
    END IF;
  END LOOP;

  INSERT INTO orders AS o (user_id, event_id, status, total_cents, expires_at, idempotency_key, request_hash)
  SELECT p_user, p_event, 'RESERVED', sum((x->>'quantity')::bigint * (x->>'unit_price_cents')::bigint),
         now() + p_hold_ms * interval '1 millisecond', p_idempotency_key, p_request_hash
  FROM jsonb_array_elements(v_lines) AS x
  RETURNING o.* INTO v_order;

  INSERT INTO order_items (order_id, category_id, category_name, quantity, unit_price_cents)
  SELECT v_order.id, (x->>'category_id')::uuid, x->>'category_name', (x->>'quantity')::integer,
         (x->>'unit_price_cents')::bigint
  FROM jsonb_array_elements(v_lines) AS x;

  INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, reason)
  VALUES (v_order.id, NULL, 'RESERVED', p_user, 'tickets reserved');

  RETURN QUERY SELECT v_order.id, v_order.user_id, v_order.event_id, v_order.status, v_order.total_cents,
    v_order.expires_at, v_order.created_at, v_order.updated_at, v_lines;
END $$;
