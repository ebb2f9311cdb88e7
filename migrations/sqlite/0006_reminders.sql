-- Schema 6: personal reminders and the members' own time zones.
--
-- The conventions of schema 1 hold. A reminder is posted as a schedule (so its fires are claimed, sent
-- with their nonce and confirmed in `posts` like any other): its `schedules` row has guild_id '0' (the
-- member's own space, never a Discord id), the member's DM channel, no role, and `created_by` the member.
-- What only a reminder has is here, and goes with its schedule.
CREATE TABLE reminders (
    schedule_id INTEGER PRIMARY KEY REFERENCES schedules (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    -- A snoozed DM to send again once, at this instant, with this stretch; both or neither.
    snooze_at INTEGER,
    snooze_stretch TEXT,
    -- Whether the member has been told why the reminder paused; told once, at their next command.
    pause_told INTEGER NOT NULL DEFAULT 0 CHECK (pause_told IN (0, 1)),
    CHECK ((snooze_at IS NULL) = (snooze_stretch IS NULL))
) STRICT;

-- A member's reminders (`/remind list`, the per-member limit, forget-me).
CREATE INDEX reminders_by_user ON reminders (user_id);

-- What the poster asks for: pending snoozes by instant.
CREATE INDEX reminders_snoozed ON reminders (snooze_at) WHERE snooze_at IS NOT NULL;

-- A member's own settings: the zone their new reminders default to (IANA name).
CREATE TABLE member_settings (
    user_id TEXT PRIMARY KEY NOT NULL,
    zone TEXT NOT NULL
) STRICT;
