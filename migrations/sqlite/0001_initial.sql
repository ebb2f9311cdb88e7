-- Schema 1: guild settings, posting schedules and the post log.
--
-- Conventions for every table:
-- * STRICT tables, so a value of the wrong type is refused on write instead of read back as a surprise.
-- * Discord ids (guilds, channels, roles, messages, members) are decimal TEXT, the form Discord itself
--   writes them in. They are u64, and SQLite integers are signed 64-bit: text keeps every value, including
--   those above i64::MAX, without a bit-cast that would show them negative in the sqlite3 shell.
-- * Instants are INTEGER unix seconds (UTC); fires fall on whole minutes, so nothing is lost.
-- * Values with a domain meaning are stored in the domain's own stable spellings, parsed again on every
--   read: zones as IANA names, cadences as `Cadence::storage_text`, filters and rotations as serde JSON,
--   pause reasons as the kebab-case names serde writes.

-- Per-guild settings.
CREATE TABLE guild_settings (
    guild_id TEXT PRIMARY KEY NOT NULL,
    -- The zone new schedules of this guild default to (IANA name).
    zone TEXT NOT NULL
) STRICT;

CREATE TABLE schedules (
    -- AUTOINCREMENT so that an id is never reused: admins name schedules by id, and a fire's nonce and
    -- post key are derived from it, so a new schedule must not be mistaken for a removed one.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    cadence TEXT NOT NULL,
    -- The role a post mentions, if any.
    role_id TEXT,
    filters TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- Why the schedule is not posting; NULL while it posts.
    pause TEXT,
    -- The rotation's state after the last claimed fire (`RotationState` as JSON).
    rotation TEXT NOT NULL,
    -- The next fire not yet claimed or skipped; NULL when the cadence has no more.
    next_fire INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;

-- A guild's schedules (listing, the per-guild limit, pausing a guild); the rowid rides along in the
-- index, so listing in id order needs no sort.
CREATE INDEX schedules_by_guild ON schedules (guild_id);

-- What the poster asks for: schedules that post, by next fire (`next_due`, `due_schedules`). Partial, so
-- paused and finished schedules cost nothing here.
CREATE INDEX schedules_due ON schedules (next_fire) WHERE pause IS NULL AND next_fire IS NOT NULL;

-- One row per claimed fire: written when the fire is claimed, before anything is sent, and confirmed
-- with the message once Discord has it. The key makes a fire claimable once.
CREATE TABLE posts (
    -- The key's leading column also serves the cascade when a schedule is removed.
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    fire_at INTEGER NOT NULL,
    stretch_id TEXT NOT NULL,
    -- The schedule's channel when the fire was claimed: a retry after an edit goes where the first
    -- attempt went, so Discord's nonce and the post key can still find it.
    channel_id TEXT NOT NULL,
    -- `Fire::nonce`, kept for whoever reads the table while chasing a duplicate post.
    nonce TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent')),
    message_id TEXT,
    claimed_at INTEGER NOT NULL DEFAULT (unixepoch()),
    confirmed_at INTEGER,
    PRIMARY KEY (schedule_id, fire_at),
    -- A sent post always knows its message, and a claimed one never does.
    CHECK ((state = 'sent') = (message_id IS NOT NULL AND confirmed_at IS NOT NULL))
) STRICT;

-- Claimed fires not yet confirmed, oldest first (`unconfirmed`, after a restart).
CREATE INDEX posts_unconfirmed ON posts (fire_at, schedule_id) WHERE state = 'claimed';
