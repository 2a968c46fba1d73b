-- Purchases in batches: when purchases queue for a database connection, the service sends the
-- waiting ones in one call of reserve_orders() instead of one reserve_order() call each. Each
-- order costs PostgreSQL one statement start, one transaction and one commit less per order in
-- the batch, and the rows of a batch are written by one INSERT each (orders, order_items) instead
-- of one per order: measured on the 2-core machine, 470 µs of PostgreSQL CPU per order alone, 110
-- µs in batches of 8 (docs/performance.md, "Purchases in batches").
--
-- reserve_orders() serves only the plain case and sends everything else back (retry = true) for
-- reserve_order() to decide alone, so the rules and their errors stay in one place: an unknown or
-- started event, a queued event without admission, a foreign or closed category, a buyer over
-- the event's limit or busy with another purchase of it, a category no free bucket can serve.
-- Each order of a batch has exactly one line (the service sends multi-line orders alone), no two
-- orders of one batch share a buyer's Idempotency-Key, and the service puts orders of one event
-- only in a batch (so an event being deleted delays no other event's purchases).
--
-- It never waits for a lock another purchase holds (buyer locks are only tried, buckets are
-- taken with SKIP LOCKED), so two batches, or a batch and a single purchase, cannot wait on each
-- other in a cycle; lock order as reserve_order(): events (KEY SHARE, in id order), buyers'
-- advisory locks, buckets per category in category-id order, then the inserts (lock-order row 26).
--
-- Any error (a buyer deleted meanwhile: FK violation; a concurrent request with the same
-- Idempotency-Key committed first: unique violation) rolls back the whole batch, and the service
-- then sends each of its orders alone.
CREATE FUNCTION reserve_orders(
  p_users uuid[], p_events uuid[], p_categories uuid[], p_quantities integer[], p_admitted boolean[],
  p_keys text[], p_hashes text[], p_hold_ms integer, p_start integer
) RETURNS TABLE (
  ord integer, id uuid, total_cents bigint, expires_at timestamptz, created_at timestamptz,
  updated_at timestamptz, category_name text, unit_price_cents bigint, retry boolean
)
LANGUAGE plpgsql AS $$
DECLARE
  v_ok    boolean[];  -- per order: still served by this batch
  v_name  text[];
  v_price bigint[];
  v_ids   uuid[];
  v_pair  record;
  v_cat   record;
  v_n     integer;
  v_limit boolean;  -- some event of the batch has a per-buyer limit
BEGIN
  -- The events' KEY SHARE first, as in reserve_order() (the lock the orders' FK takes anyway).
  PERFORM 1 FROM events e WHERE e.id = ANY (p_events) ORDER BY e.id FOR KEY SHARE;

  -- Every check of reserve_order() that needs no other lock, per order; an order failing one goes
  -- back to reserve_order(), which raises the matching error.
  SELECT array_agg(e.id IS NOT NULL AND e.starts_at > now() AND (NOT e.virtual_queue OR x.admitted)
                   AND c.id IS NOT NULL AND coalesce(c.sales_start <= now(), true) AND coalesce(c.sales_end > now(), true)
                   ORDER BY x.n),
         array_agg(c.name ORDER BY x.n), array_agg(c.price_cents ORDER BY x.n), array_agg(gen_random_uuid() ORDER BY x.n),
         coalesce(bool_or(e.max_per_buyer IS NOT NULL), false)
  INTO v_ok, v_name, v_price, v_ids, v_limit
  FROM unnest(p_events, p_categories, p_admitted) WITH ORDINALITY AS x(event_id, category_id, admitted, n)
  LEFT JOIN events e ON e.id = x.event_id
  LEFT JOIN ticket_categories c ON c.id = x.category_id AND c.event_id = x.event_id;

  -- Events with a per-buyer limit: the buyer's lock (the one reserve_order() waits for) is only
  -- tried; a buyer busy with another purchase of the event goes alone, after this batch.
  IF v_limit THEN
    FOR v_pair IN
      SELECT DISTINCT x.user_id, x.event_id
      FROM unnest(p_users, p_events) WITH ORDINALITY AS x(user_id, event_id, n)
      JOIN events e ON e.id = x.event_id
      WHERE v_ok[x.n] AND e.max_per_buyer IS NOT NULL
      ORDER BY 2, 1
    LOOP
      IF NOT pg_try_advisory_xact_lock(hashtext(v_pair.event_id::text), hashtext(v_pair.user_id::text)) THEN
        v_ok := (SELECT array_agg(v_ok[x.n] AND (x.user_id, x.event_id) IS DISTINCT FROM (v_pair.user_id, v_pair.event_id) ORDER BY x.n)
                 FROM unnest(p_users, p_events) WITH ORDINALITY AS x(user_id, event_id, n));
      END IF;
    END LOOP;
    -- Under those locks, a fresh snapshot (as in reserve_order()) counts what each buyer holds
    -- already, plus the orders before it in this batch: an order that would pass the limit goes alone.
    FOR v_n IN
      SELECT x.n
      FROM (SELECT y.*, sum(y.quantity) OVER (PARTITION BY y.user_id, y.event_id ORDER BY y.n) AS running
            FROM unnest(p_users, p_events, p_quantities) WITH ORDINALITY AS y(user_id, event_id, quantity, n)
            WHERE v_ok[y.n]) AS x
      JOIN events e ON e.id = x.event_id AND e.max_per_buyer IS NOT NULL
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(i.quantity), 0) AS held
        FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.user_id = x.user_id AND o.event_id = x.event_id
          AND (o.status = 'CONFIRMED' OR (o.status = 'RESERVED' AND o.expires_at > now()))) AS h
      WHERE h.held + x.running > e.max_per_buyer
    LOOP
      v_ok[v_n] := false;
    END LOOP;
  END IF;

  -- Stock, per category in category-id order: the batch's whole quantity from one free bucket
  -- (the usual case: one row updated for the batch), else order by order from free buckets;
  -- what no free bucket can serve goes alone (reserve_order() waits for a bucket or combines them).
  FOR v_cat IN
    SELECT x.category_id, sum(x.quantity)::integer AS quantity, array_agg(x.n ORDER BY x.n) AS orders
    FROM unnest(p_categories, p_quantities) WITH ORDINALITY AS x(category_id, quantity, n)
    WHERE v_ok[x.n]
    GROUP BY x.category_id ORDER BY x.category_id
  LOOP
    UPDATE category_stock SET available = available - v_cat.quantity
    WHERE (category_id, bucket) = (
      SELECT s.category_id, s.bucket FROM category_stock s
      WHERE s.category_id = v_cat.category_id AND s.available >= v_cat.quantity
      ORDER BY (s.bucket + p_start) % 16
      LIMIT 1
      FOR UPDATE SKIP LOCKED);
    CONTINUE WHEN FOUND;
    FOREACH v_n IN ARRAY v_cat.orders LOOP
      UPDATE category_stock SET available = available - p_quantities[v_n]
      WHERE (category_id, bucket) = (
        SELECT s.category_id, s.bucket FROM category_stock s
        WHERE s.category_id = v_cat.category_id AND s.available >= p_quantities[v_n]
        ORDER BY (s.bucket + p_start) % 16
        LIMIT 1
        FOR UPDATE SKIP LOCKED);
      v_ok[v_n] := FOUND;
    END LOOP;
  END LOOP;

  INSERT INTO orders (id, user_id, event_id, status, total_cents, expires_at, idempotency_key, request_hash)
  SELECT v_ids[x.n], x.user_id, x.event_id, 'RESERVED', x.quantity::bigint * v_price[x.n],
         now() + p_hold_ms * interval '1 millisecond', x.idempotency_key, x.request_hash
  FROM unnest(p_users, p_events, p_quantities, p_keys, p_hashes)
       WITH ORDINALITY AS x(user_id, event_id, quantity, idempotency_key, request_hash, n)
  WHERE v_ok[x.n];

  INSERT INTO order_items (order_id, category_id, category_name, quantity, unit_price_cents)
  SELECT v_ids[x.n], x.category_id, v_name[x.n], x.quantity, v_price[x.n]
  FROM unnest(p_categories, p_quantities) WITH ORDINALITY AS x(category_id, quantity, n)
  WHERE v_ok[x.n];

  RETURN QUERY
  SELECT x.n::integer, v_ids[x.n], x.quantity::bigint * v_price[x.n], now() + p_hold_ms * interval '1 millisecond',
         now(), now(), v_name[x.n], v_price[x.n], false
  FROM unnest(p_quantities) WITH ORDINALITY AS x(quantity, n) WHERE v_ok[x.n]
  UNION ALL
  SELECT x.n::integer, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true
  FROM unnest(p_quantities) WITH ORDINALITY AS x(quantity, n) WHERE NOT v_ok[x.n];
END $$;
