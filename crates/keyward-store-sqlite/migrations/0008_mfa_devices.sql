-- keyward schema v8: TOTP devices for multi-factor sessions.
--
-- One device per principal. The TOTP secret is sealed under the KEK with the
-- principal's id as associated data, so a row copied to another principal does not
-- open. last_used_step is the 30-second step of the newest code accepted: a code of
-- that step or an older one is refused, so a code works once (on every server
-- sharing the database: the update is conditional).
-- (v4 and v6 are reserved for Parameter Store metadata and the keyring.)

CREATE TABLE mfa_devices (
    principal_id   TEXT PRIMARY KEY NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    sealed_secret  BLOB NOT NULL,
    last_used_step INTEGER,
    created_at     INTEGER NOT NULL
) STRICT;
