//! `stretchbot store copy`: moves a single-process install's SQLite database into an empty PostgreSQL
//! one. Both schemas hold the same values in the same spellings, so rows move as they are, table by
//! table, in one PostgreSQL transaction; schedule ids are kept, since fires' nonces and post keys are
//! derived from them.

use super::{PostgresStore, SqliteStore};
use crate::domain::store::StoreError;

/// A column's stored type, the same on both backends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Integer,
}

/// One stored value, NULL included.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Integer(Option<i64>),
}

/// A table and its columns, in the order rows are read and written.
pub(crate) struct Table {
    pub name: &'static str,
    /// What `store copy` says it copied.
    pub described_as: &'static str,
    pub columns: &'static [(&'static str, Kind)],
}

/// Parents before children (`posts` and `reminders` refer to `schedules`).
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "guild_settings",
        described_as: "guild zones",
        columns: &[("guild_id", Kind::Text), ("zone", Kind::Text)],
    },
    Table {
        name: "schedules",
        described_as: "schedules (with their rotation states)",
        columns: &[
            ("id", Kind::Integer),
            ("guild_id", Kind::Text),
            ("channel_id", Kind::Text),
            ("kind", Kind::Text),
            ("zone", Kind::Text),
            ("cadence", Kind::Text),
            ("role_id", Kind::Text),
            ("filters", Kind::Text),
            ("created_by", Kind::Text),
            ("pause", Kind::Text),
            ("rotation", Kind::Text),
            ("next_fire", Kind::Integer),
            ("created_at", Kind::Integer),
        ],
    },
    Table {
        name: "posts",
        described_as: "posts in the post log",
        columns: &[
            ("schedule_id", Kind::Integer),
            ("fire_at", Kind::Integer),
            ("stretch_id", Kind::Text),
            ("channel_id", Kind::Text),
            ("nonce", Kind::Text),
            ("state", Kind::Text),
            ("message_id", Kind::Text),
            ("claimed_at", Kind::Integer),
            ("confirmed_at", Kind::Integer),
            ("abandoned_reason", Kind::Text),
            ("abandoned_at", Kind::Integer),
        ],
    },
    Table {
        name: "check_ins",
        described_as: "check-ins",
        columns: &[
            ("guild_id", Kind::Text),
            ("user_id", Kind::Text),
            ("day", Kind::Text),
            ("stretch_id", Kind::Text),
        ],
    },
    Table {
        name: "hidden_members",
        described_as: "hidden members",
        columns: &[("guild_id", Kind::Text), ("user_id", Kind::Text)],
    },
    Table {
        name: "reminders",
        described_as: "personal reminders (their schedules are among the schedules)",
        columns: &[
            ("schedule_id", Kind::Integer),
            ("user_id", Kind::Text),
            ("snooze_at", Kind::Integer),
            ("snooze_stretch", Kind::Text),
            ("pause_told", Kind::Integer),
        ],
    },
    Table {
        name: "member_settings",
        described_as: "members' zones",
        columns: &[("user_id", Kind::Text), ("zone", Kind::Text)],
    },
    Table {
        name: "own_stretches",
        described_as: "servers' own stretches",
        columns: &[
            ("guild_id", Kind::Text),
            ("stretch_id", Kind::Text),
            ("entry", Kind::Text),
        ],
    },
    Table {
        name: "hidden_stretches",
        described_as: "built-in stretches servers hid",
        columns: &[("guild_id", Kind::Text), ("stretch_id", Kind::Text)],
    },
];

/// Copies every table of `from` into `to`, which must be empty; returns each table's description with
/// the rows copied.
pub async fn copy(
    from: &SqliteStore,
    to: &PostgresStore,
) -> Result<Vec<(&'static str, usize)>, StoreError> {
    let mut tables = Vec::new();
    for table in TABLES {
        tables.push((table, from.read_table(table).await?));
    }
    to.load(&tables).await?;
    Ok(tables
        .iter()
        .map(|(table, rows)| (table.described_as, rows.len()))
        .collect())
}
