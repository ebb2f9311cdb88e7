-- Schema 5 (PostgreSQL): a server's own stretches and the built-in ones it hid.
--
-- What SQLite's schema 7 adds, with the conventions of schema 1. An own stretch is kept as its admins
-- typed it, as JSON (the domain's `OwnEntry`), under an id unique within its guild. Both stay when the
-- bot leaves the guild.
CREATE TABLE own_stretches (
    guild_id TEXT NOT NULL,
    stretch_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (guild_id, stretch_id)
);

-- Built-in stretches a guild never wants posted, listed or suggested.
CREATE TABLE hidden_stretches (
    guild_id TEXT NOT NULL,
    stretch_id TEXT NOT NULL,
    PRIMARY KEY (guild_id, stretch_id)
);
