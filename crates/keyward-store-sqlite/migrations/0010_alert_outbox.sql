-- keyward schema v10: the alert outbox.
--
-- An alert is written here, one row per sink it goes to, before anything is sent:
-- a sink that is down, or a server restart, loses nothing; the delivery job sends
-- due rows and moves them to `delivered`, or back to `pending` with a later
-- `next_attempt_at` (exponential backoff with jitter), or to `failed` once it gives
-- up. (sink, dedup_key) is unique, so every server of a cluster tailing the same
-- audit chain can enqueue the same alert and it is still sent once.
-- Payloads are alert JSON: rule ids, names and counts, never a secret value.
-- (v9 is reserved for rotation.)

CREATE TABLE alert_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sink            TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    finished_at     INTEGER,
    UNIQUE (sink, dedup_key)
) STRICT;

CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at);
