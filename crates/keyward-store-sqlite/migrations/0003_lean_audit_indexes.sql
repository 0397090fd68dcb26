-- keyward schema v3: cheaper audit appends.
--
-- Every audit index is updated by every request, and the append is the one serial
-- step each request waits for. Two indexes were paying for rare queries:
--   * by outcome: only non-success outcomes are ever looked up (denials, errors),
--     so a partial index over those replaces the full one.
--   * by time: one row per minute that saw a record, with the first sequence
--     number logged in it, bounds a time-range scan exactly (see audit.rs), and is
--     written once a minute instead of once a record.

DROP INDEX audit_by_outcome;
DROP INDEX audit_by_time;
CREATE INDEX audit_failures ON audit (outcome, seq) WHERE outcome != 'success';

CREATE TABLE audit_minutes (
    minute    INTEGER PRIMARY KEY NOT NULL, -- unix time / 60 of a record
    first_seq INTEGER NOT NULL              -- the first record logged with that minute
);
INSERT INTO audit_minutes (minute, first_seq)
    SELECT time / 60000000000, MIN(seq) FROM audit GROUP BY time / 60000000000;
