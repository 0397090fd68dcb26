-- keyward schema v1 (SQLite). Timestamps are integer unix nanoseconds (UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE secrets (
    id               TEXT PRIMARY KEY NOT NULL,
    namespace        TEXT NOT NULL,
    region           TEXT NOT NULL,
    name             TEXT NOT NULL,
    arn              TEXT NOT NULL UNIQUE,
    description      TEXT,
    kms_key_id       TEXT,
    tags             TEXT NOT NULL DEFAULT '[]',   -- JSON array of {key, value}, in order
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_accessed_at INTEGER,
    deleted_at       INTEGER,
    rotation         TEXT,                          -- JSON or NULL
    resource_policy  TEXT,
    metadata         TEXT NOT NULL DEFAULT 'null',  -- JSON
    version_seq      INTEGER NOT NULL DEFAULT 0,    -- last seq handed to a version
    UNIQUE (namespace, region, name)
);
CREATE INDEX secrets_deleted_at ON secrets (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE versions (
    secret_id  TEXT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    value_mac  BLOB NOT NULL,
    created_by TEXT,
    PRIMARY KEY (secret_id, version_id),
    UNIQUE (secret_id, seq)
);

-- One row per (secret, stage): a stage is held by at most one version.
CREATE TABLE version_stages (
    secret_id  TEXT NOT NULL,
    stage      TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (secret_id, stage),
    FOREIGN KEY (secret_id, version_id) REFERENCES versions (secret_id, version_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX version_stages_by_version ON version_stages (secret_id, version_id);

CREATE TABLE principals (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    arn        TEXT NOT NULL UNIQUE,
    tags       TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY NOT NULL,
    principal_id  TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    sealed_secret BLOB NOT NULL,
    enabled       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX access_keys_by_principal ON access_keys (principal_id);

CREATE TABLE policies (
    name       TEXT PRIMARY KEY NOT NULL,
    document   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE policy_attachments (
    principal_id TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    policy_name  TEXT NOT NULL REFERENCES policies (name),
    PRIMARY KEY (principal_id, policy_name)
) WITHOUT ROWID;
CREATE INDEX policy_attachments_by_policy ON policy_attachments (policy_name);

-- The audit log is append-only: no code path updates or deletes a record, and the
-- triggers below make an accidental UPDATE/DELETE fail loudly. (Someone with the
-- file can drop them; the MAC chain is what detects that.)
CREATE TABLE audit (
    seq           INTEGER PRIMARY KEY NOT NULL,
    time          INTEGER NOT NULL,
    request_id    TEXT NOT NULL,
    principal     TEXT,
    access_key_id TEXT,
    source_ip     TEXT,
    user_agent    TEXT,
    action        TEXT NOT NULL,
    resource      TEXT,
    version_id    TEXT,
    outcome       TEXT NOT NULL,
    error_code    TEXT,
    api           TEXT NOT NULL,
    mac           TEXT NOT NULL
);
CREATE INDEX audit_by_resource ON audit (resource, seq) WHERE resource IS NOT NULL;
CREATE INDEX audit_by_principal ON audit (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX audit_by_outcome ON audit (outcome, seq);
CREATE INDEX audit_by_time ON audit (time);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;

-- The checkpointed head of the chain: exactly one row once anything was appended.
CREATE TABLE audit_head (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    seq            INTEGER NOT NULL,
    mac            TEXT NOT NULL,
    checkpoint_mac TEXT NOT NULL
);
