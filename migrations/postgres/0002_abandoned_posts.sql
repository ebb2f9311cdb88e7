-- Schema 2: a claimed post the poster gave up is recorded as abandoned, with its reason, so that no
-- process and no restart takes it up again.
ALTER TABLE posts DROP CONSTRAINT posts_state_check;
ALTER TABLE posts ADD CONSTRAINT posts_state_check CHECK (state IN ('claimed', 'sent', 'abandoned'));
-- Why the poster gave the post up (for whoever reads the log); set exactly when abandoned.
ALTER TABLE posts ADD COLUMN abandoned_reason TEXT;
ALTER TABLE posts ADD COLUMN abandoned_at BIGINT;
ALTER TABLE posts ADD CONSTRAINT posts_abandoned_check
    CHECK ((state = 'abandoned') = (abandoned_reason IS NOT NULL AND abandoned_at IS NOT NULL));
