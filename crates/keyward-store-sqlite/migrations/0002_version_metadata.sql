-- keyward schema v2: per-version metadata (JSON), e.g. an SSM parameter's type,
-- tier, description and allowed pattern as they were at that version.

ALTER TABLE versions ADD COLUMN metadata TEXT NOT NULL DEFAULT 'null';
