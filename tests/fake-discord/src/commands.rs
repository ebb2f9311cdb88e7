//! Application commands (application-commands.mdx): the global and per-guild registries, bulk
//! overwrite (names keep their ids; a changed command gets a new version), single create, get, list and
//! delete.

use serde_json::{Value, json};

use crate::errors::{self, ApiError};
use crate::ids::{ApplicationId, CommandId, GuildId};
use crate::messages::strip_nulls;
use crate::render::merge;
use crate::world::World;

/// Where a command is registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Guild(GuildId),
}

/// A registered command, kept in its response form.
#[derive(Clone, Debug)]
pub(crate) struct StoredCommand {
    pub id: CommandId,
    pub scope: Scope,
    pub json: Value,
    /// The request it was built from, to tell whether a re-registration changed it.
    pub source: Value,
}

impl StoredCommand {
    pub fn name(&self) -> &str {
        self.json["name"].as_str().unwrap_or_default()
    }

    pub fn kind(&self) -> u64 {
        self.json["type"].as_u64().unwrap_or(1)
    }
}

impl World {
    /// Checks the path's application id and guild, for every command route.
    pub fn command_scope(
        &self,
        application: ApplicationId,
        guild: Option<GuildId>,
    ) -> Result<Scope, ApiError> {
        if application != self.application {
            return Err(errors::missing_access());
        }
        match guild {
            None => Ok(Scope::Global),
            Some(g) if self.guilds.contains_key(&g) => Ok(Scope::Guild(g)),
            Some(_) => Err(errors::missing_access()),
        }
    }

    pub fn list_commands(&self, scope: Scope) -> Vec<Value> {
        self.commands
            .iter()
            .filter(|c| c.scope == scope)
            .map(|c| c.json.clone())
            .collect()
    }

    /// `PUT …/commands`: the registry of `scope` becomes exactly `body`.
    pub fn overwrite_commands(
        &mut self,
        scope: Scope,
        body: &Value,
    ) -> Result<Vec<Value>, ApiError> {
        let requests = body.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut seen = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            let key = (
                request["name"].as_str().unwrap_or_default(),
                request["type"].as_u64().unwrap_or(1),
            );
            if seen.contains(&key) {
                return Err(ApiError::invalid_field(
                    &format!("/{i}/name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    format!("Application command names must be unique: {}", key.0),
                ));
            }
            seen.push(key);
        }
        let mut kept = Vec::new();
        for request in requests {
            kept.push(self.build_command(scope, request));
        }
        self.commands.retain(|c| c.scope != scope);
        self.commands.extend(kept);
        Ok(self.list_commands(scope))
    }

    /// `POST …/commands`: creates the command, or updates the one with the same name and type.
    /// Returns whether it was new (201) or not (200).
    pub fn upsert_command(&mut self, scope: Scope, body: &Value) -> (bool, Value) {
        let command = self.build_command(scope, body);
        let json = command.json.clone();
        let existed = self.commands.iter().position(|c| c.id == command.id);
        match existed {
            Some(i) => self.commands[i] = command,
            None => self.commands.push(command),
        }
        (existed.is_none(), json)
    }

    pub fn command(&self, scope: Scope, id: CommandId) -> Result<&StoredCommand, ApiError> {
        self.commands
            .iter()
            .find(|c| c.scope == scope && c.id == id)
            .ok_or_else(errors::unknown_command)
    }

    pub fn delete_command(&mut self, scope: Scope, id: CommandId) -> Result<(), ApiError> {
        self.command(scope, id)?;
        self.commands.retain(|c| !(c.scope == scope && c.id == id));
        Ok(())
    }

    /// The stored form of `request`: an existing command of the same name and type keeps its id, and
    /// its version unless the request changed.
    fn build_command(&mut self, scope: Scope, request: &Value) -> StoredCommand {
        let name = request["name"].as_str().unwrap_or_default();
        let kind = request["type"].as_u64().unwrap_or(1);
        let existing = self
            .commands
            .iter()
            .find(|c| c.scope == scope && c.name() == name && c.kind() == kind);
        let id = existing.map_or_else(|| CommandId::new(self.ids.next()), |c| c.id);
        let version = match existing {
            Some(c) if c.source == *request => c.json["version"].clone(),
            _ => json!(self.ids.next().to_string()),
        };
        let mut json = strip_nulls(request);
        if let Value::Object(map) = &mut json {
            map.remove("id");
            if let Some(Value::Array(options)) = map.get_mut("options") {
                options.iter_mut().for_each(render_option);
            }
        }
        // default_member_permissions is an integer or a string in requests, a string in responses.
        let default_member_permissions = match &request["default_member_permissions"] {
            Value::Number(n) => json!(n.to_string()),
            Value::String(s) => json!(s),
            _ => Value::Null,
        };
        let mut defaults = json!({
            "type": kind,
            "description": "",
            "nsfw": false,
            "integration_types": [0],
            "contexts": null,
        });
        merge(&mut defaults, json);
        let mut json = defaults;
        merge(
            &mut json,
            json!({
                "id": id,
                "application_id": self.application,
                "version": version,
                "default_member_permissions": default_member_permissions,
            }),
        );
        if let Scope::Guild(g) = scope {
            json["guild_id"] = json!(g);
        }
        StoredCommand {
            id,
            scope,
            json,
            source: request.clone(),
        }
    }
}

/// The fields every command option has in Discord's response.
const OPTION_FIELDS: [&str; 7] = [
    "type",
    "name",
    "name_localizations",
    "description",
    "description_localizations",
    "required",
    "options",
];

/// An option in its response form: Discord returns only the fields of the option's type (serenity,
/// for one, sends every field for every type, as empty lists or nulls).
fn render_option(option: &mut Value) {
    let Value::Object(map) = option else { return };
    let kind = map.get("type").and_then(Value::as_u64).unwrap_or(0);
    let specific: &[&str] = match kind {
        3 => &["autocomplete", "choices", "min_length", "max_length"],
        4 | 10 => &["autocomplete", "choices", "min_value", "max_value"],
        7 => &["channel_types"],
        _ => &[],
    };
    // Only subcommands and groups hold options.
    let holds_options = matches!(kind, 1 | 2);
    map.retain(|key, _| {
        (OPTION_FIELDS.contains(&key.as_str()) && (key != "options" || holds_options))
            || specific.contains(&key.as_str())
    });
    if let Some(Value::Array(options)) = map.get_mut("options") {
        options.iter_mut().for_each(render_option);
    }
}
