-- Virtual queue: events whose buyers queue first and buy with an admission token.

ALTER TABLE events ADD COLUMN virtual_queue boolean NOT NULL DEFAULT false;

-- ESPERANDO: in the queue; ADMITIDO: may buy until token_expires_at; AGOTADO: the event sold out
-- before the turn came.
CREATE TYPE queue_turn_status AS ENUM ('ESPERANDO', 'ADMITIDO', 'AGOTADO');

-- Arrival numbers of those who join once sales are open (one sequence for every event: only the
-- order matters).
CREATE SEQUENCE queue_arrival_seq;

CREATE TABLE queue_turns (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id         uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The place: random in [0, 1) for whoever joined before the event's first ventaInicio, then
  -- 1 + arrival number: everyone who came early is ahead of later arrivals, in a random order.
  place            double precision NOT NULL,
  status           queue_turn_status NOT NULL DEFAULT 'ESPERANDO',
  admitted_at      timestamptz,
  token_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queue_turns_one_per_buyer UNIQUE (event_id, user_id)
);
CREATE INDEX queue_turns_waiting_idx ON queue_turns (event_id, place) WHERE status = 'ESPERANDO';

-- Per queued event, the admission pace: a token bucket (credit, refilled at
-- QUEUE_ADMIT_PER_SECOND since ticked_at) kept here, not in a process, so whichever instance
-- admits next carries on at the same pace. Position pushes are throttled with pushed_at.
CREATE TABLE queue_state (
  event_id       uuid PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  credit         double precision NOT NULL DEFAULT 0,
  ticked_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Positions moved since they were last pushed; when, and how many were waiting then.
  moved          boolean NOT NULL DEFAULT false,
  pushed_at      timestamptz NOT NULL DEFAULT '-infinity',
  pushed_waiting integer NOT NULL DEFAULT 0,
  sold_out       boolean NOT NULL DEFAULT false
);

-- As in 0005, plus p_queue_admitted: for an event with virtual_queue, TK403 unless the caller
-- verified an admission token of this buyer for this event. Checked right after the event row's
-- KEY SHARE lock, before any other work. It defaults to false, so callers of the 7-argument form
-- (bench tools) keep working, and can never buy for a queued event.
DROP FUNCTION reserve_order(uuid, uuid, jsonb, integer, text, text, integer);
CREATE FUNCTION reserve_order(
  p_user uuid, p_event uuid, p_lines jsonb, p_hold_ms integer,
  p_idempotency_key text, p_request_hash text, p_start integer, p_queue_admitted boolean DEFAULT false
) RETURNS TABLE (
  id uuid, user_id uuid, event_id uuid, status order_status, total_cents bigint, expires_at timestamptz,
  created_at timestamptz, updated_at timestamptz, items jsonb
)
LANGUAGE plpgsql AS $$
DECLARE
  v_starts_at timestamptz;
  v_max       integer;
  v_queue     boolean;
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
  SELECT e.starts_at, e.max_per_buyer, e.virtual_queue INTO v_starts_at, v_max, v_queue
  FROM events e WHERE e.id = p_event FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown event' USING ERRCODE = 'TK404';
  END IF;
  -- The admission token was checked by the caller (signature, buyer, event, expiry: no database
  -- work); whether the event needs one is read here, under the lock, so it is never stale.
  IF v_queue AND NOT p_queue_admitted THEN
    RAISE EXCEPTION 'queue required' USING ERRCODE = 'TK403';
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
