-- Schema 3: a schedule posts either the stretch of the day or the team's weekly summary.
--
-- The conventions of schema 1 hold. Existing schedules are stretch schedules, as they were.

-- What a schedule posts, as `PostKind` spells it.
ALTER TABLE schedules ADD COLUMN kind TEXT NOT NULL DEFAULT 'stretch'
    CHECK (kind IN ('stretch', 'team-summary'));

-- A summary post has no stretch, so `posts.stretch_id` becomes optional. SQLite cannot drop a NOT NULL
-- in place: the table is rebuilt as schema 1 made it, that one constraint aside, and its rows copied.
-- Nothing references `posts`, so dropping it breaks no foreign key.
CREATE TABLE posts_3 (
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    fire_at INTEGER NOT NULL,
    -- The stretch posted; NULL for a team summary.
    stretch_id TEXT,
    channel_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent')),
    message_id TEXT,
    claimed_at INTEGER NOT NULL DEFAULT (unixepoch()),
    confirmed_at INTEGER,
    PRIMARY KEY (schedule_id, fire_at),
    CHECK ((state = 'sent') = (message_id IS NOT NULL AND confirmed_at IS NOT NULL))
) STRICT;

INSERT INTO posts_3 (schedule_id, fire_at, stretch_id, channel_id, nonce, state, message_id,
                     claimed_at, confirmed_at)
    SELECT schedule_id, fire_at, stretch_id, channel_id, nonce, state, message_id, claimed_at,
           confirmed_at
    FROM posts;

DROP TABLE posts;
ALTER TABLE posts_3 RENAME TO posts;

CREATE INDEX posts_unconfirmed ON posts (fire_at, schedule_id) WHERE state = 'claimed';
