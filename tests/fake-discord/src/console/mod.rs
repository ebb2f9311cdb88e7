//! The console of `cargo run -p fake-discord`: a person plays the members of one server, runs slash
//! commands, clicks buttons and changes permissions, and reads what the bot sends rendered as text.
//! The raw transcript goes to a file, and to the screen only with `verbose`.

mod show;
mod words;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};
use crate::interactions::Interaction;
use crate::permissions::Permissions;
use crate::transcript::{Entry, Event};
use crate::{FakeDiscord, Scope};

use show::Lookup;
pub use show::{Control, ControlKind};
use words::{Names, Purpose};

/// What to do after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// How much of the raw transcript reaches the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verbosity {
    Off,
    /// Every request and gateway frame but heartbeats.
    On,
    All,
}

/// One console session over a fake: who is typing, where, and what has been shown.
pub struct Console<'f> {
    fake: &'f FakeDiscord,
    guild: GuildId,
    channel: ChannelId,
    member: UserId,
    names: Names,
    /// The role that carries each granted permission of each member.
    grants: BTreeMap<(UserId, &'static str), RoleId>,
    /// Each message as last shown, to show it again when it changes.
    shown: HashMap<MessageId, Value>,
    controls: Vec<Control>,
    verbosity: Verbosity,
    transcript_seen: usize,
    notes: (
        mpsc::UnboundedSender<String>,
        mpsc::UnboundedReceiver<String>,
    ),
    out: Vec<String>,
}

/// How long the console waits for the bot's first answer: Discord gives a bot 3 s.
const ANSWER_WAIT: Duration = Duration::from_millis(3_500);

/// Permissions by the names the console takes, as Discord's settings spell them.
const PERMISSIONS: &[(&str, Permissions)] = &[
    ("manage-server", Permissions::MANAGE_GUILD),
    ("manage-messages", Permissions::MANAGE_MESSAGES),
    ("manage-channels", Permissions::MANAGE_CHANNELS),
    ("manage-roles", Permissions::MANAGE_ROLES),
    ("administrator", Permissions::ADMINISTRATOR),
    ("view-channel", Permissions::VIEW_CHANNEL),
    ("send-messages", Permissions::SEND_MESSAGES),
    ("embed-links", Permissions::EMBED_LINKS),
    ("attach-files", Permissions::ATTACH_FILES),
];

pub const HELP: &str = "\
You are a member of the server \"Team\". Type a slash command as you would in Discord:
  /stretch show name:cat-cow              options as name:value; quote spaces: name:\"cat and cow\"
  /schedule add channel:#wellness times:09:00 days:mon-fri
                                          channels as #name, roles and members as @name,
                                          choices by their names (difficulty:Easy)
  complete /stretch show name:ca          what autocomplete offers for what you typed so far
  click N                                 press button N of a message shown above
  select N VALUE…                         pick values in menu N
Who and where:
  as bob                                  type as another member (a new name joins the server)
  grant alice manage-server               give a member a permission (also manage-messages,
  revoke alice manage-server                administrator, …); revoke takes it back
  in #general                             run commands in another channel
  channel add NAME | role add NAME        add a text channel or a role (for role:@NAME)
  bot deny #wellness send-messages        take a permission from the bot in a channel (bot allow …)
  members | channels | whoami
The bot and the clock:
  time                                    the time now; the bot posts on its own (wall) clock, so
                                          schedule a time a minute or two ahead, or /schedule post-now
  reconnect | drop | invalidate           gateway faults (the bot resumes or reconnects)
  verbose on | all | off                  show the raw transcript (all: heartbeats too)
  help | quit";

impl<'f> Console<'f> {
    /// Sets up a server with #wellness and #general, alice (who can manage the server) and bob (who
    /// cannot), and types as alice in #wellness.
    pub fn start(fake: &'f FakeDiscord) -> Console<'f> {
        let guild = fake.add_guild("Team");
        let wellness = fake.add_text_channel(guild, "wellness");
        let general = fake.add_text_channel(guild, "general");
        let alice = fake.add_member(guild, "alice", Permissions::empty());
        let bob = fake.add_member(guild, "bob", Permissions::empty());
        let mut console = Console {
            fake,
            guild,
            channel: wellness,
            member: alice,
            names: Names::default(),
            grants: BTreeMap::new(),
            shown: HashMap::new(),
            controls: Vec::new(),
            verbosity: Verbosity::Off,
            transcript_seen: 0,
            notes: mpsc::unbounded_channel(),
            out: Vec::new(),
        };
        console.names.channels.insert("wellness".into(), wellness);
        console.names.channels.insert("general".into(), general);
        console.names.members.insert("alice".into(), alice);
        console.names.members.insert("bob".into(), bob);
        console.grant(alice, "manage-server");
        console.out.clear();
        console
    }

    pub fn guild(&self) -> GuildId {
        self.guild
    }

    pub fn channel(&self) -> ChannelId {
        self.channel
    }

    pub fn member(&self) -> UserId {
        self.member
    }

    /// The buttons and menus shown so far, numbered from 1.
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// Runs one typed line. A mistake comes back as a message saying what to type instead.
    pub async fn execute(&mut self, line: &str) -> Result<Flow, String> {
        let words = words::split(line)?;
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            [] => {}
            ["quit" | "exit"] => return Ok(Flow::Quit),
            ["help" | "?"] => self.say(HELP),
            [command, ..] if command.starts_with('/') => self.command(&words, Purpose::Run).await?,
            ["complete", command, ..] if command.starts_with('/') => {
                self.command(&words[1..], Purpose::Complete).await?;
            }
            ["click", number] => {
                let control = self.control(number)?;
                let invoked = self
                    .fake
                    .click_button(
                        self.guild,
                        self.channel_of(&control),
                        self.member,
                        control.message,
                        &control.custom_id,
                    )
                    .await;
                self.watch(invoked)?;
            }
            ["select", number, values @ ..] => {
                let control = self.control(number)?;
                if let ControlKind::Select { values: offered } = &control.kind {
                    if let Some(unknown) = values.iter().find(|v| !offered.iter().any(|o| o == *v))
                    {
                        return Err(format!(
                            "menu {number} has no `{unknown}`; it offers: {}",
                            offered.join(", ")
                        ));
                    }
                } else {
                    return Err(format!("{number} is a button: use click {number}"));
                }
                let invoked = self
                    .fake
                    .select(
                        self.guild,
                        self.channel_of(&control),
                        self.member,
                        control.message,
                        &control.custom_id,
                        values,
                    )
                    .await;
                self.watch(invoked)?;
            }
            ["as", name] => {
                let member = match self.names.members.get(*name) {
                    Some(id) => *id,
                    None => {
                        let id = self.fake.add_member(self.guild, name, Permissions::empty());
                        self.names.members.insert((*name).to_owned(), id);
                        self.say(&format!("{name} joined the server"));
                        id
                    }
                };
                self.member = member;
                self.say(&format!("you are {name} now"));
            }
            ["grant", name, permission] => {
                let member = self.member_named(name)?;
                let permission = permission_named(permission)?;
                self.grant(member, permission);
            }
            ["revoke", name, permission] => {
                let member = self.member_named(name)?;
                let permission = permission_named(permission)?;
                match self.grants.get(&(member, permission)) {
                    Some(role) => {
                        self.fake
                            .set_role_permissions(self.guild, *role, Permissions::empty());
                        self.grants.remove(&(member, permission));
                        self.say(&format!("{name} no longer has {permission}"));
                    }
                    None => return Err(format!("{name} was not granted {permission}")),
                }
            }
            ["in", channel] => {
                self.channel = self.channel_named(channel)?;
                self.say(&format!(
                    "you are in #{} now",
                    channel.trim_start_matches('#')
                ));
            }
            ["channel", "add", name] => {
                let name = name.trim_start_matches('#');
                let id = self.fake.add_text_channel(self.guild, name);
                self.names.channels.insert(name.to_owned(), id);
                self.say(&format!("added #{name}"));
            }
            ["role", "add", name] => {
                let name = name.trim_start_matches('@');
                let id = self.fake.add_role(self.guild, name, Permissions::empty());
                self.names.roles.insert(name.to_owned(), id);
                self.say(&format!("added the role @{name}"));
            }
            ["bot", action @ ("deny" | "allow"), channel, permission] => {
                let channel = self.channel_named(channel)?;
                let (name, bits) = PERMISSIONS
                    .iter()
                    .find(|(n, _)| n == permission)
                    .copied()
                    .ok_or_else(|| unknown_permission(permission))?;
                let done = if *action == "deny" {
                    self.fake.deny_bot(channel, bits);
                    "denied"
                } else {
                    self.fake.allow_bot(channel, bits);
                    "allowed"
                };
                self.say(&format!("the bot's {name} in that channel: {done}"));
            }
            ["members"] => {
                let lines: Vec<String> = self
                    .names
                    .members
                    .iter()
                    .map(|(name, id)| {
                        let granted: Vec<&str> = self
                            .grants
                            .keys()
                            .filter(|(member, _)| member == id)
                            .map(|(_, p)| *p)
                            .collect();
                        format!(
                            "  {name}{}",
                            if granted.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", granted.join(", "))
                            }
                        )
                    })
                    .collect();
                self.say(&lines.join("\n"));
            }
            ["channels"] => {
                let names: Vec<String> = self
                    .names
                    .channels
                    .keys()
                    .map(|n| format!("  #{n}"))
                    .collect();
                self.say(&names.join("\n"));
            }
            ["whoami"] => {
                let who = self.name_of_member(self.member);
                let place = self.fake.channel_name(self.channel).unwrap_or_default();
                self.say(&format!("you are {who} in #{place}"));
            }
            ["time"] => self.say(&format!(
                "it is {} (UTC); the bot's schedules fire on its own clock",
                Utc::now().format("%A %-d %B %Y %H:%M:%S")
            )),
            ["verbose", level] => {
                self.verbosity = match *level {
                    "on" => Verbosity::On,
                    "all" => Verbosity::All,
                    "off" => Verbosity::Off,
                    _ => return Err("verbose takes on, all or off".into()),
                };
                self.transcript_seen = self.fake.transcript().len();
            }
            ["reconnect"] => self.gateway("RECONNECT", self.fake.reconnect_gateway().await),
            ["drop"] => self.gateway("connection drop", self.fake.drop_gateway().await),
            ["invalidate"] => {
                self.gateway("INVALID_SESSION", self.fake.invalidate_session(false).await)
            }
            _ => {
                return Err(format!(
                    "`{line}` is not something the console knows; type help"
                ));
            }
        }
        Ok(Flow::Continue)
    }

    /// Collects what happened since the last call: new and changed messages, notes about answers,
    /// and (with `verbose`) transcript lines.
    pub fn poll(&mut self) {
        while let Ok(note) = self.notes.1.try_recv() {
            self.out.push(note);
        }
        if self.verbosity != Verbosity::Off {
            let entries = self.fake.transcript();
            for entry in entries.iter().skip(self.transcript_seen) {
                if self.verbosity == Verbosity::All || !is_heartbeat(entry) {
                    self.out
                        .push(serde_json::to_string(entry).unwrap_or_default());
                }
            }
            self.transcript_seen = entries.len();
        }
        let lookup = self.lookup();
        for message in self.fake.all_messages() {
            let before = self.shown.get(&message.id);
            if before == Some(&message.json) {
                continue;
            }
            let place = self
                .fake
                .channel_name(message.channel)
                .filter(|n| !n.is_empty())
                .map_or_else(|| "direct message".to_owned(), |n| format!("#{n}"));
            let author = message.json["author"]["username"].as_str().unwrap_or("?");
            let mut header = format!("{place} · {author}");
            if before.is_some() {
                header.push_str(" · edited");
            }
            if message.ephemeral {
                header.push_str(" · only you can see this");
            }
            let lines = show::message(
                &header,
                &message.json,
                Utc::now(),
                &lookup,
                &mut self.controls,
            );
            self.out.extend(lines);
            self.shown.insert(message.id, message.json);
        }
    }

    /// Takes the lines to print.
    pub fn take_output(&mut self) -> Vec<String> {
        std::mem::take(&mut self.out)
    }

    async fn command(&mut self, words: &[&str], purpose: Purpose) -> Result<(), String> {
        let name = &words[0][1..];
        let definition = self.registered(name)?;
        let rest: Vec<String> = words[1..].iter().map(|w| (*w).to_owned()).collect();
        let options = words::command_options(&definition, &rest, &self.names, purpose)?;
        let invoked = match purpose {
            Purpose::Run => {
                self.fake
                    .invoke_command(self.guild, self.channel, self.member, name, options)
                    .await
            }
            Purpose::Complete => {
                self.fake
                    .autocomplete(self.guild, self.channel, self.member, name, options)
                    .await
            }
        };
        self.watch(invoked)
    }

    fn registered(&self, name: &str) -> Result<Value, String> {
        let mut commands = self.fake.registered_commands(Scope::Global);
        commands.extend(self.fake.registered_commands(Scope::Guild(self.guild)));
        if commands.is_empty() {
            return Err(
                "the bot has registered no commands yet: is it running and pointed at this fake?"
                    .into(),
            );
        }
        let found = commands
            .iter()
            .find(|c| c["name"] == name && c["type"].as_u64().unwrap_or(1) == 1)
            .cloned();
        found.ok_or_else(|| {
            let names: Vec<String> = commands
                .iter()
                .filter(|c| c["type"].as_u64().unwrap_or(1) == 1)
                .filter_map(|c| c["name"].as_str().map(|n| format!("/{n}")))
                .collect();
            format!("there is no /{name}; the bot has: {}", names.join(", "))
        })
    }

    /// Reports the bot's answer in the background: nothing for a message (it is shown when it
    /// lands), the choices of an autocomplete, a modal's fields, or that no answer came in time.
    fn watch(&mut self, invoked: Result<Interaction, crate::InvokeError>) -> Result<(), String> {
        let interaction = invoked.map_err(|e| match e {
            crate::InvokeError::NotConnected => {
                "the bot is not connected: start it with the API base and token printed above"
                    .to_owned()
            }
            crate::InvokeError::NotAllowed(why) => format!(
                "Discord would not let you: {why} (`grant NAME manage-server`, or `as alice`)"
            ),
            other => other.to_string(),
        })?;
        let notes = self.notes.0.clone();
        tokio::spawn(async move {
            let note = match interaction.wait_response(ANSWER_WAIT).await {
                Err(_) => Some("! the bot did not answer within 3 s (Discord would show \"The application did not respond\")".to_owned()),
                Ok(response) => answer_note(&response),
            };
            if let Some(note) = note {
                // The console may have ended meanwhile; nobody is left to read the note then.
                let _ = notes.send(note);
            }
        });
        Ok(())
    }

    fn control(&self, number: &str) -> Result<Control, String> {
        let index: usize = number.parse().map_err(|_| {
            format!("`{number}` is not a number: click takes the number shown in [ ]")
        })?;
        index
            .checked_sub(1)
            .and_then(|i| self.controls.get(i))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "there is no button or menu {number}; the last shown is {}",
                    self.controls.len()
                )
            })
    }

    fn channel_of(&self, control: &Control) -> ChannelId {
        self.fake
            .all_messages()
            .into_iter()
            .find(|m| m.id == control.message)
            .map_or(self.channel, |m| m.channel)
    }

    fn grant(&mut self, member: UserId, permission: &'static str) {
        let bits = PERMISSIONS
            .iter()
            .find(|(n, _)| *n == permission)
            .map_or(Permissions::empty(), |(_, bits)| *bits);
        let name = self.name_of_member(member);
        let role = *self.grants.entry((member, permission)).or_insert_with(|| {
            let role = self
                .fake
                .add_role(self.guild, &format!("{name}: {permission}"), bits);
            self.fake.give_role(self.guild, member, role);
            role
        });
        self.fake.set_role_permissions(self.guild, role, bits);
        self.out.push(format!("{name} has {permission} now"));
    }

    fn member_named(&self, name: &str) -> Result<UserId, String> {
        let name = name.trim_start_matches('@');
        self.names
            .members
            .get(name)
            .copied()
            .ok_or_else(|| format!("no member called {name}; type `as {name}` to add one"))
    }

    fn channel_named(&self, name: &str) -> Result<ChannelId, String> {
        let name = name.trim_start_matches('#');
        self.names.channels.get(name).copied().ok_or_else(|| {
            format!("no channel called #{name}; type `channel add {name}` to add one")
        })
    }

    fn name_of_member(&self, id: UserId) -> String {
        self.names
            .members
            .iter()
            .find(|(_, m)| **m == id)
            .map_or_else(|| id.to_string(), |(n, _)| n.clone())
    }

    fn lookup(&self) -> Lookup {
        let mut lookup = Lookup::default();
        for (name, id) in &self.names.members {
            lookup.users.insert(id.to_string(), name.clone());
        }
        for (name, id) in &self.names.channels {
            lookup.channels.insert(id.to_string(), name.clone());
        }
        for (name, id) in &self.names.roles {
            lookup.roles.insert(id.to_string(), name.clone());
        }
        lookup
    }

    fn gateway(&mut self, what: &str, sent: bool) {
        let state = if sent {
            "sent"
        } else {
            "not sent: the bot is not connected"
        };
        self.say(&format!("{what} {state}"));
    }

    fn say(&mut self, text: &str) {
        self.out.extend(text.lines().map(str::to_owned));
    }
}

fn permission_named(name: &str) -> Result<&'static str, String> {
    PERMISSIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| *n)
        .ok_or_else(|| unknown_permission(name))
}

fn unknown_permission(name: &str) -> String {
    let known: Vec<&str> = PERMISSIONS.iter().map(|(n, _)| *n).collect();
    format!(
        "no permission `{name}`; the console knows: {}",
        known.join(", ")
    )
}

fn is_heartbeat(entry: &Entry) -> bool {
    matches!(&entry.event, Event::Gateway(frame) if matches!(frame.payload["op"].as_u64(), Some(1 | 11)))
}

const AUTOCOMPLETE_RESULT: u64 = 8;
const MODAL: u64 = 9;

fn answer_note(response: &Value) -> Option<String> {
    match response["type"].as_u64() {
        Some(AUTOCOMPLETE_RESULT) => {
            let choices: Vec<String> = response["data"]["choices"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| format!("  {} ({})", c["name"].as_str().unwrap_or("?"), c["value"]))
                .collect();
            Some(if choices.is_empty() {
                "autocomplete offers nothing for that".to_owned()
            } else {
                format!("autocomplete offers:\n{}", choices.join("\n"))
            })
        }
        Some(MODAL) => {
            let fields: Vec<String> = response["data"]["components"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
                .map(|input| format!("  {}", input["label"].as_str().unwrap_or("?")))
                .collect();
            Some(format!(
                "the bot opened a form \"{}\" with:\n{}\n(the console cannot fill in forms yet)",
                response["data"]["title"].as_str().unwrap_or("?"),
                fields.join("\n")
            ))
        }
        _ => None,
    }
}
