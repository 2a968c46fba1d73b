-- Accounts, events, ticket categories and the inventory they sell from.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could change); searching needs an IMMUTABLE wrapper
-- so it can be used in expressions and indexes.
CREATE FUNCTION immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE TYPE user_role AS ENUM ('ADMIN', 'ORGANIZADOR', 'COMPRADOR');

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  email         text NOT NULL,
  password_hash text NOT NULL,
  role          user_role NOT NULL DEFAULT 'COMPRADOR',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_lowercase CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE events (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name             text NOT NULL,
  description      text NOT NULL DEFAULT '',
  starts_at        timestamptz NOT NULL,
  location         text NOT NULL,
  capacity         integer NOT NULL CHECK (capacity > 0),
  base_price_cents bigint NOT NULL CHECK (base_price_cents >= 0),
  organizer_id     uuid NOT NULL REFERENCES users (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_starts_at_idx ON events (starts_at, id);
CREATE INDEX events_organizer_idx ON events (organizer_id);

CREATE TABLE ticket_categories (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id          uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  name              text NOT NULL,
  price_cents       bigint NOT NULL CHECK (price_cents >= 0),
  total_quantity    integer NOT NULL CHECK (total_quantity >= 1),
  benefits          text[] NOT NULL DEFAULT '{}',
  -- Set once the stock has dropped to the low-stock threshold and the alert went out; cleared
  -- when it rises above again, so the alert fires once per downward crossing across instances.
  low_stock_alerted boolean NOT NULL DEFAULT false,
  -- clock_timestamp(): categories created in one transaction keep the order they were given in.
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_categories_event_idx ON ticket_categories (event_id, created_at);

-- What can be bought right now, split into a few bucket rows per category. Buyers of one hot
-- category each lock one bucket (picked with FOR UPDATE SKIP LOCKED) instead of queueing on a
-- single counter row. sum(available) over a category's buckets = total - sold - held.
-- fillfactor leaves room on each page so the constant updates stay HOT (no index churn).
CREATE TABLE category_stock (
  category_id uuid NOT NULL REFERENCES ticket_categories (id) ON DELETE CASCADE,
  bucket      smallint NOT NULL CHECK (bucket >= 0),
  available   integer NOT NULL CHECK (available >= 0),
  PRIMARY KEY (category_id, bucket)
) WITH (fillfactor = 40);
