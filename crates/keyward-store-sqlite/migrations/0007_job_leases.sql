-- keyward schema v7: leases on background jobs.
--
-- Servers sharing one database run each background job (the purger now; rotation,
-- backups and alert delivery next) on one server at a time: the server holding an
-- unexpired lease on the job's name. A server that dies stops renewing and its
-- lease lapses at expires_at (unix nanoseconds), so another takes over.
-- (v4 and v6 are reserved for Parameter Store metadata and the keyring.)

CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
