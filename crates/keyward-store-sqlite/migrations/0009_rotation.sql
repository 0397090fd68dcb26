-- keyward schema v9: rotation configuration and state, one row per rotated secret.
--
-- Configuration is typed columns (not the opaque JSON that v1's secrets.rotation
-- held): which rotator, AWS's RotationRules, the admin secret, the command or URL
-- of an external rotator and the generated rotator's policy. State is what lets a
-- rotation interrupted at any point resume on the next attempt: the
-- ClientRequestToken of the rotation in progress and the last step that completed,
-- plus the persisted next scheduled run, so a restart neither repeats nor skips
-- one. Times are unix nanoseconds. Values never live here: the pending value is a
-- version of the secret labelled AWSPENDING.
-- (v4 and v6 are reserved for Parameter Store metadata and the keyring.)

CREATE TABLE rotations (
    secret_id           TEXT PRIMARY KEY NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    enabled             INTEGER NOT NULL DEFAULT 0,
    rotator             TEXT,
    lambda_arn          TEXT,
    after_days          INTEGER,
    schedule_expression TEXT,
    window              TEXT,
    master_secret       TEXT,
    command             TEXT,
    url                 TEXT,
    gen_format          TEXT,
    gen_length          INTEGER,
    gen_field           TEXT,
    last_rotated_at     INTEGER,
    next_rotation_at    INTEGER,
    pending_token       TEXT,
    pending_step        TEXT,
    started_at          INTEGER,
    attempts            INTEGER NOT NULL DEFAULT 0,
    retry_at            INTEGER,
    last_error          TEXT,
    last_error_at       INTEGER
) STRICT;

-- Carry over what v1..v8 recorded as JSON, then drop it from the secrets.
INSERT INTO rotations (secret_id, enabled, lambda_arn, after_days, schedule_expression, window,
                       last_rotated_at, next_rotation_at)
SELECT id,
       CASE WHEN json_extract(rotation, '$.RotationEnabled') THEN 1 ELSE 0 END,
       json_extract(rotation, '$.RotationLambdaARN'),
       json_extract(rotation, '$.RotationRules.AutomaticallyAfterDays'),
       json_extract(rotation, '$.RotationRules.ScheduleExpression'),
       json_extract(rotation, '$.RotationRules.Duration'),
       CAST(json_extract(rotation, '$.LastRotatedDate') * 1000000000 AS INTEGER),
       CAST(json_extract(rotation, '$.NextRotationDate') * 1000000000 AS INTEGER)
FROM secrets WHERE rotation IS NOT NULL AND json_valid(rotation);
UPDATE secrets SET rotation = NULL;
