-- Counters of the rate limits when RATE_LIMIT_STORE=postgres (several instances, no Redis): the
-- layout rate-limiter-flexible's PostgreSQL store expects. key: limit name and subject (user id,
-- address, account); points: used in the current window; expire: its end, in ms since the epoch.
CREATE TABLE rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
