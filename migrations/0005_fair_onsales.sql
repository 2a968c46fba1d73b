-- Fair on-sales: a per-buyer ticket limit per event and a sales window per category, both enforced
-- inside the purchase statement so no concurrency can get past them.

-- NULL: no limit. A buyer's live holds plus confirmed tickets of the event never exceed it.
ALTER TABLE events ADD COLUMN max_per_buyer integer CHECK (max_per_buyer >= 1);

-- NULL: open from creation / until the event starts. Compared with the database clock.
ALTER TABLE ticket_categories
  ADD COLUMN sales_start timestamptz,
  ADD COLUMN sales_end   timestamptz,
  ADD CONSTRAINT ticket_categories_sales_window CHECK (sales_start < sales_end);

-- As in 0003, plus (in this order, after the event row's KEY SHARE lock):
--   * TK423 when a line's category is outside its sales window (DETAIL: JSON array of
--     {category_id, sales_start, sales_end} of those lines);
--   * when the event has max_per_buyer, a transaction-scoped advisory lock on (event, buyer), then
--     TK429 when the buyer's live holds + confirmed tickets + this order would exceed it (DETAIL:
--     "max,current,requested"). The lock serializes one buyer's concurrent orders of that event
--     only (other buyers never wait on it) and is held until this statement's transaction commits,
--     so the next order of that buyer counts this one. The two-int4 key space of advisory locks
--     is separate from the single-bigint one (the migration lock).
CREATE OR REPLACE FUNCTION reserve_order(
  p_user uuid, p_event uuid, p_lines jsonb, p_hold_ms integer,
  p_idempotency_key text, p_request_hash text, p_start integer
) RETURNS TABLE (
  id uuid, user_id uuid, event_id uuid, status order_status, total_cents bigint, expires_at timestamptz,
  created_at timestamptz, updated_at timestamptz, items jsonb
)
LANGUAGE plpgsql AS $$
DECLARE
  v_starts_at timestamptz;
  v_max       integer;
  v_current   integer;
  v_requested integer;
  v_lines     jsonb;  -- p_lines with each category's name, price, and whether its sales are closed now
  v_foreign   text;
  v_closed    jsonb;
  v_line      record;
  v_order     orders;
BEGIN
  -- KEY SHARE first: the same lock the order's foreign key takes at INSERT, taken before any stock
  -- row, so an event deletion (event row, then its stock) and a purchase lock in the same order
  -- and never wait on each other; a purchase behind a deletion then finds no event (404).
  SELECT e.starts_at, e.max_per_buyer INTO v_starts_at, v_max FROM events e WHERE e.id = p_event FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown event' USING ERRCODE = 'TK404';
  END IF;

  SELECT jsonb_agg(jsonb_build_object(
           'position', l.ordinality - 1, 'category_id', l.value->>'category_id',
           'quantity', (l.value->>'quantity')::integer, 'category_name', c.name,
           'unit_price_cents', c.price_cents,
           'closed', coalesce(c.sales_start > now() OR c.sales_end <= now(), false)) ORDER BY l.ordinality)
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

  IF jsonb_path_exists(v_lines, '$[*] ? (@.closed == true)') THEN
    SELECT jsonb_agg(jsonb_build_object('category_id', c.id, 'sales_start', c.sales_start, 'sales_end', c.sales_end)
                     ORDER BY (x->>'position')::integer)
    INTO v_closed
    FROM jsonb_array_elements(v_lines) AS x JOIN ticket_categories c ON c.id = (x->>'category_id')::uuid
    WHERE (x->>'closed')::boolean;
    RAISE EXCEPTION 'sales closed' USING ERRCODE = 'TK423', DETAIL = v_closed::text;
  END IF;

  IF v_max IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(p_event::text), hashtext(p_user::text));
    -- A fresh snapshot (this function is VOLATILE): it sees every order of this buyer that
    -- committed before we got the lock. Holds past their deadline no longer count: they can
    -- no longer be confirmed (confirm checks the deadline with the database clock).
    SELECT coalesce(sum(i.quantity), 0) INTO v_current
    FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE o.user_id = p_user AND o.event_id = p_event
      AND (o.status = 'CONFIRMED' OR (o.status = 'RESERVED' AND o.expires_at > now()));
    SELECT sum((x->>'quantity')::integer) INTO v_requested FROM jsonb_array_elements(v_lines) AS x;
    IF v_current + v_requested > v_max THEN
      RAISE EXCEPTION 'per-buyer limit' USING ERRCODE = 'TK429',
        DETAIL = v_max || ',' || v_current || ',' || v_requested;
    END IF;
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
