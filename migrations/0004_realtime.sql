-- Socket.IO's PostgreSQL adapter fans messages out between instances with NOTIFY; payloads over
-- NOTIFY's 8000-byte limit are passed through this table (the adapter deletes old rows itself).
CREATE TABLE socket_io_attachments (
  id         bigserial UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  payload    bytea
);
