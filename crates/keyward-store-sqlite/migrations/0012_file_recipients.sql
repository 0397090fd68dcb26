-- keyward schema v12: server recipients for encrypted config files.
--
-- A server recipient is an age X25519 identity whose private key never leaves the
-- server: files encrypted to its public `recipient` are decrypted by the server for
-- callers its policies allow, and every decryption is audited. The identity is
-- sealed under the KEK with the recipient's name as associated data, so a sealed
-- identity copied to another name does not open.
-- (v9 is rotation, v10 the alert outbox; v11 is unused.)

CREATE TABLE file_recipients (
    name             TEXT PRIMARY KEY NOT NULL,
    recipient        TEXT NOT NULL UNIQUE,
    sealed_identity  BLOB NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;
