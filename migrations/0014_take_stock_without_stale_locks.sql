-- take_stock() (0003), step 2 fixed: a deadlock seen under a sold-out rush.
--
-- Step 2 waits for the lowest bucket that fits (SELECT … ORDER BY bucket LIMIT 1 FOR UPDATE). When
-- the bucket it waited for no longer fits once its holder commits, PostgreSQL moves on to the next
-- one but keeps the lock on the row it waited for. If no bucket fits in the end, step 3 walks the
-- buckets from the lowest again, while still holding that lock on a higher one: two buyers doing
-- this at once wait on each other (one gets 40P01, answered 503). Step 2 now runs in a
-- subtransaction that is rolled back when it finds nothing, which releases those row locks, so
-- step 3 starts holding no bucket of the category and takes them in bucket order as before. The
-- subtransaction is only entered when step 1 found no free bucket (a contended, nearly sold-out
-- category), not on a purchase's usual path.
CREATE OR REPLACE FUNCTION take_stock(p_category uuid, p_quantity integer, p_start integer) RETURNS boolean
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
  --    instead of locking several, which would queue every other buyer behind us. Found nothing
  --    after all: undo the block, releasing the locks on the buckets it waited for.
  IF v_largest >= p_quantity THEN
    BEGIN
      UPDATE category_stock SET available = available - p_quantity
      WHERE (category_id, bucket) = (
        SELECT category_id, bucket FROM category_stock
        WHERE category_id = p_category AND available >= p_quantity
        ORDER BY bucket
        LIMIT 1
        FOR UPDATE);
      IF FOUND THEN RETURN true; END IF;
      RAISE EXCEPTION 'no bucket fits after the wait' USING ERRCODE = 'TK002';
    EXCEPTION WHEN SQLSTATE 'TK002' THEN
      NULL;
    END;
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
