-- keyward schema v5: one audit record can stand for many identical events.
--
-- Failed authentications over the rate limit are folded into one record per source
-- (or access key) and window, carrying how many it stands for. NULL means one.
-- (Schema v4 is reserved for Parameter Store metadata.)

ALTER TABLE audit ADD COLUMN count INTEGER;
