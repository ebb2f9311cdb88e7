-- Schema 7: a server's own stretches and the built-in ones it hid.
--
-- The conventions of schema 1 hold. An own stretch is kept as its admins typed it, as JSON (the
-- domain's `OwnEntry`: name, why, steps, the dose in words, caution, category, position, equipment,
-- difficulty), under an id unique within its guild. Both stay when the bot leaves the guild.
CREATE TABLE own_stretches (
    guild_id TEXT NOT NULL,
    stretch_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (guild_id, stretch_id)
) STRICT;

-- Built-in stretches a guild never wants posted, listed or suggested.
CREATE TABLE hidden_stretches (
    guild_id TEXT NOT NULL,
    stretch_id TEXT NOT NULL,
    PRIMARY KEY (guild_id, stretch_id)
) STRICT;
