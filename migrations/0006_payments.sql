-- Payments through a provider (simulated or Stripe): every attempt and refund, the provider events
-- already acted on, and what the order shows about its payment.

ALTER TABLE orders
  ADD COLUMN payment_provider text,
  -- Set once the money of a confirmed-then-cancelled order went back to the buyer.
  ADD COLUMN refunded_at timestamptz;

-- One row per payment attempt (a PaymentIntent) and per refund. `state` is the provider's word
-- (requires_payment_method, requires_capture, succeeded, canceled; refunds: pending, succeeded,
-- failed). `wanted` is a provider call the database has decided on but that has not been made yet:
-- it is set in the same transaction as the order change that calls for it, and made after the
-- commit (never while a row lock is held), then retried until it succeeds, so none is ever lost.
CREATE TABLE payments (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id        uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('payment', 'refund')),
  provider        text NOT NULL,
  provider_id     text NOT NULL,
  amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
  currency        text NOT NULL,
  state           text NOT NULL,
  -- capture: the order is CONFIRMED, take the money. release: give it back (cancel or refund).
  wanted          text CHECK (wanted IN ('capture', 'release')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX payments_provider_id_key ON payments (provider, provider_id);
CREATE INDEX payments_order_idx ON payments (order_id, id);
-- The retry loop's scan: only rows with a provider call still owed.
CREATE INDEX payments_follow_up_idx ON payments (next_attempt_at) WHERE wanted IS NOT NULL;

-- Provider webhook events already acted on: a redelivery finds its id here and does nothing.
CREATE TABLE provider_events (
  provider     text NOT NULL,
  event_id     text NOT NULL,
  event_type   text NOT NULL,
  order_id     uuid,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (provider, event_id)
);

-- A payment that arrives after its hold ended takes the same tickets again, under the same rule as
-- a purchase (take_stock, category id order), all lines or none; false when any line no longer
-- fits, and then nothing was taken.
CREATE FUNCTION retake_order_stock(p_order uuid, p_start integer) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  BEGIN
    FOR r IN SELECT category_id, quantity FROM order_items WHERE order_id = p_order ORDER BY category_id LOOP
      IF NOT take_stock(r.category_id, r.quantity, p_start) THEN
        RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'TK001';
      END IF;
    END LOOP;
  EXCEPTION WHEN SQLSTATE 'TK001' THEN
    -- The block is a subtransaction: leaving it by this exception undoes what it took.
    RETURN false;
  END;
  RETURN true;
END $$;
