-- Schema 2: participation, the "I did it" check-ins and the members who hide from team lists.
--
-- The conventions of schema 1 hold (STRICT, Discord ids as decimal TEXT). Only ids and dates are kept:
-- no names, no times of day, nothing a member typed.

-- One row per member per local day checked in. The key is what makes pressing twice count once: the
-- first press of a day is kept, with its stretch. Its leading columns also serve a member's history
-- (`/stats me`, forget-me).
CREATE TABLE check_ins (
    guild_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- The local date in the zone of the schedule that posted the stretch (the guild's zone for timers),
    -- as YYYY-MM-DD, which sorts and compares as the date does.
    day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    stretch_id TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, day)
) STRICT, WITHOUT ROWID;

-- A guild's check-ins by day (`/stats team`, a week or a streak's worth at a time).
CREATE INDEX check_ins_by_day ON check_ins (guild_id, day);

-- Members who asked to be kept out of team lists (hide-me); their check-ins still count in totals.
CREATE TABLE hidden_members (
    guild_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
