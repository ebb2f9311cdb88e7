-- Schema 4: a claimed post the poster gave up is recorded as abandoned, with its reason, so that no
-- process and no restart takes it up again.
--
-- The conventions of schema 1 hold. SQLite cannot change a CHECK in place: `posts` is rebuilt as schema 3
-- made it, with the new state and column, and its rows copied. Nothing references `posts`.
CREATE TABLE posts_4 (
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    fire_at INTEGER NOT NULL,
    stretch_id TEXT,
    channel_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'abandoned')),
    message_id TEXT,
    claimed_at INTEGER NOT NULL DEFAULT (unixepoch()),
    confirmed_at INTEGER,
    -- Why the poster gave the post up (for whoever reads the log); set exactly when abandoned.
    abandoned_reason TEXT,
    abandoned_at INTEGER,
    PRIMARY KEY (schedule_id, fire_at),
    CHECK ((state = 'sent') = (message_id IS NOT NULL AND confirmed_at IS NOT NULL)),
    CHECK ((state = 'abandoned') = (abandoned_reason IS NOT NULL AND abandoned_at IS NOT NULL))
) STRICT;

INSERT INTO posts_4 (schedule_id, fire_at, stretch_id, channel_id, nonce, state, message_id,
                     claimed_at, confirmed_at)
    SELECT schedule_id, fire_at, stretch_id, channel_id, nonce, state, message_id, claimed_at,
           confirmed_at
    FROM posts;

DROP TABLE posts;
ALTER TABLE posts_4 RENAME TO posts;

CREATE INDEX posts_unconfirmed ON posts (fire_at, schedule_id) WHERE state = 'claimed';
