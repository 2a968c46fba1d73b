-- Orders, their lines, and the history of every state change.

CREATE TYPE order_status AS ENUM ('PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED', 'EXPIRED');

CREATE TABLE orders (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id),
  event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  status          order_status NOT NULL,
  total_cents     bigint NOT NULL CHECK (total_cents >= 0),
  expires_at      timestamptz NOT NULL,
  payment_method  text,
  transaction_id  text,
  confirmed_at    timestamptz,
  -- Client-chosen key of the create request, with a digest of its body, so a retried request
  -- returns this order instead of reserving again (and a reused key with another body is refused).
  idempotency_key text,
  request_hash    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_payment_when_confirmed CHECK (
    (status = 'CONFIRMED') <= (transaction_id IS NOT NULL AND confirmed_at IS NOT NULL)
  )
);
CREATE UNIQUE INDEX orders_transaction_id_key ON orders (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE UNIQUE INDEX orders_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_event_status_idx ON orders (event_id, status);
CREATE INDEX orders_created_idx ON orders (created_at DESC);
-- The expiry job's scan: only live holds, oldest deadline first.
CREATE INDEX orders_hold_expiry_idx ON orders (expires_at) WHERE status = 'RESERVED';

CREATE TABLE order_items (
  order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  category_id      uuid NOT NULL REFERENCES ticket_categories (id),
  category_name    text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, category_id)
);
CREATE INDEX order_items_category_idx ON order_items (category_id);

-- Who moved an order from which state to which, and when: what support staff read to answer
-- "what happened to my order". actor_id is NULL for the system (the expiry job).
CREATE TABLE order_status_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  from_status order_status,
  to_status   order_status NOT NULL,
  actor_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  reason      text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);
