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

-- Reserves every line or none and records the order, its lines and its first history entry.
-- p_lines: [{"category_id": uuid, "name": text, "quantity": int, "unit_price_cents": int}, ...].
-- Raises SQLSTATE 'TK001' (with the short category in DETAIL) when a line does not fit.
CREATE FUNCTION reserve_order(
  p_user uuid, p_event uuid, p_lines jsonb, p_total_cents bigint, p_hold_ms integer,
  p_idempotency_key text, p_request_hash text, p_start integer
) RETURNS SETOF orders
LANGUAGE plpgsql AS $$
DECLARE
  v_line  record;
  v_order orders;
BEGIN
  -- Category id order: buyers that must wait never wait on each other in a cycle.
  FOR v_line IN
    SELECT (l->>'category_id')::uuid AS category_id, (l->>'quantity')::integer AS quantity
    FROM jsonb_array_elements(p_lines) AS l
    ORDER BY 1
  LOOP
    IF NOT take_stock(v_line.category_id, v_line.quantity, p_start) THEN
      RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'TK001', DETAIL = v_line.category_id::text;
    END IF;
  END LOOP;

  INSERT INTO orders (user_id, event_id, status, total_cents, expires_at, idempotency_key, request_hash)
  VALUES (p_user, p_event, 'RESERVED', p_total_cents, now() + p_hold_ms * interval '1 millisecond',
          p_idempotency_key, p_request_hash)
  RETURNING * INTO v_order;

  INSERT INTO order_items (order_id, category_id, category_name, quantity, unit_price_cents)
  SELECT v_order.id, (l->>'category_id')::uuid, l->>'name', (l->>'quantity')::integer, (l->>'unit_price_cents')::bigint
  FROM jsonb_array_elements(p_lines) AS l;

  INSERT INTO order_status_history (order_id, from_status, to_status, actor_id, reason)
  VALUES (v_order.id, NULL, 'RESERVED', p_user, 'tickets reserved');

  RETURN NEXT v_order;
END $$;
