-- A late payment (one that arrives after its hold was released) takes the order's tickets again
-- under the purchase rules: the stock (as in 0006) and now also the event's per-buyer limit
-- (0005), so money arriving late can never give a buyer more than maxPorComprador tickets.
-- The sales window is not checked again: the buyer paid for a hold made inside it.
--
-- Returns NULL when the tickets were taken, else why not: 'stock' or 'limit'. Lock order as in
-- reserve_order: the event row (KEY SHARE), the (event, buyer) advisory lock, then the stock
-- buckets in category-id order; the caller already holds the order row.
DROP FUNCTION retake_order_stock(uuid, integer);

CREATE FUNCTION retake_order_stock(p_order uuid, p_start integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_user      uuid;
  v_event     uuid;
  v_max       integer;
  v_current   integer;
  v_requested integer;
  r           record;
BEGIN
  SELECT o.user_id, o.event_id INTO v_user, v_event FROM orders o WHERE o.id = p_order;
  SELECT e.max_per_buyer INTO v_max FROM events e WHERE e.id = v_event FOR KEY SHARE;
  IF v_max IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(v_event::text), hashtext(v_user::text));
    SELECT coalesce(sum(i.quantity), 0) INTO v_current
    FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE o.user_id = v_user AND o.event_id = v_event AND o.id <> p_order
      AND (o.status = 'CONFIRMED' OR (o.status = 'RESERVED' AND o.expires_at > now()));
    SELECT sum(i.quantity) INTO v_requested FROM order_items i WHERE i.order_id = p_order;
    IF v_current + v_requested > v_max THEN
      RETURN 'limit';
    END IF;
  END IF;
  BEGIN
    FOR r IN SELECT category_id, quantity FROM order_items WHERE order_id = p_order ORDER BY category_id LOOP
      IF NOT take_stock(r.category_id, r.quantity, p_start) THEN
        RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'TK001';
      END IF;
    END LOOP;
  EXCEPTION WHEN SQLSTATE 'TK001' THEN
    -- The block is a subtransaction: leaving it by this exception undoes what it took.
    RETURN 'stock';
  END;
  RETURN NULL;
END $$;
