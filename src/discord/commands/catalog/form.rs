//! The form of `/catalog add` and `/catalog edit`: a Discord modal of five text inputs (name, why it
//! helps, steps, dose, caution), its submit checked by the catalog's rules, and, when something is
//! wrong, a private answer naming each field with a button that opens the form again with what was
//! typed. The choices made before the form opened (position, equipment, difficulty, category) and the
//! entry being edited travel in the modal's custom id; what was typed is kept in memory for the retry
//! button, for an hour (a restart forgets it, and the button says to start again).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::discord::buttons::{CATALOG_FORM, CATALOG_RETRY};
use crate::discord::card::truncate;
use crate::discord::limiter::Route;
use crate::discord::reply::no_pings;
use crate::discord::{Data, Error};
use crate::domain::catalog::{
    Category, Choices, Difficulty, Draft, Equipment, FieldProblem, OwnEntry, Position, StretchId,
    Vocabulary, lengths,
};
use crate::domain::posting::GuildId;
use crate::domain::store::CatalogStore;

/// How long a form that did not pass is kept for its retry button.
const KEPT_FOR: Duration = Duration::from_secs(60 * 60);
/// The most forms kept at once; the oldest goes first.
const MOST_KEPT: usize = 500;

/// The text inputs, in the order the form shows them: custom id, label, style, longest value,
/// placeholder.
const INPUTS: [(&str, &str, serenity::InputTextStyle, usize, &str); 5] = [
    (
        "name",
        "Name",
        serenity::InputTextStyle::Short,
        lengths::NAME,
        "Desk neck roll",
    ),
    (
        "why",
        "Why it helps",
        serenity::InputTextStyle::Paragraph,
        lengths::WHY,
        "Loosens a neck stiff from screens.",
    ),
    (
        "steps",
        "Steps, one per line",
        serenity::InputTextStyle::Paragraph,
        lengths::STEPS,
        "Sit tall.\nRoll your head slowly.",
    ),
    (
        "dose",
        "Dose in plain words",
        serenity::InputTextStyle::Short,
        lengths::DOSE,
        "hold 20-30 s, 2-3 reps, per side",
    ),
    (
        "caution",
        "Caution (optional)",
        serenity::InputTextStyle::Paragraph,
        lengths::CAUTION,
        "Stop if it hurts.",
    ),
];

/// What a form is for: a new entry, or replacing the server's entry with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Purpose {
    pub editing: Option<StretchId>,
    pub choices: Choices,
}

impl Purpose {
    /// `catalog-form:add:<p>:<e>:<d>:<c>` or `catalog-form:edit:<id>:<p>:<e>:<d>:<c>`, each choice the
    /// index of its value: at most 13 + 5 + 64 + 8 characters of Discord's 100.
    fn custom_id(&self) -> String {
        let c = &self.choices;
        let choices = format!(
            "{}:{}:{}:{}",
            index(c.position),
            index(c.equipment),
            index(c.difficulty),
            index(c.category)
        );
        match &self.editing {
            None => format!("{CATALOG_FORM}:add:{choices}"),
            Some(id) => format!("{CATALOG_FORM}:edit:{id}:{choices}"),
        }
    }

    /// The part of a custom id after `catalog-form:`.
    fn parse(rest: &str) -> Option<Purpose> {
        let mut parts = rest.split(':');
        let editing = match parts.next()? {
            "add" => None,
            "edit" => Some(StretchId::parse(parts.next()?).ok()?),
            _ => return None,
        };
        let choices = Choices {
            position: pick(parts.next()?)?,
            equipment: pick(parts.next()?)?,
            difficulty: pick(parts.next()?)?,
            category: pick(parts.next()?)?,
        };
        parts
            .next()
            .is_none()
            .then_some(Purpose { editing, choices })
    }
}

fn index<T: Vocabulary>(value: T) -> usize {
    T::ALL.iter().position(|v| *v == value).unwrap_or(0)
}

fn pick<T: Vocabulary>(text: &str) -> Option<T> {
    T::ALL.get(text.parse::<usize>().ok()?).copied()
}

/// The modal, filled in with `draft`.
pub(super) fn modal(purpose: &Purpose, draft: &Draft) -> serenity::CreateModal {
    let title = match &purpose.editing {
        None => "Add a stretch to this server",
        Some(_) => "Edit this server's stretch",
    };
    let typed = [
        &draft.name,
        &draft.why,
        &draft.steps,
        &draft.dose,
        &draft.caution,
    ];
    let rows = INPUTS
        .iter()
        .zip(typed)
        .map(|((id, label, style, most, placeholder), value)| {
            let mut input = serenity::CreateInputText::new(*style, *label, *id)
                .placeholder(*placeholder)
                .required(*id != "caution")
                .max_length(u16::try_from(*most).unwrap_or(4000));
            if !value.is_empty() {
                // What was typed, even when too long: the member shortens it rather than losing it.
                input = input.value(truncate(value, *most));
            }
            serenity::CreateActionRow::InputText(input)
        })
        .collect();
    serenity::CreateModal::new(purpose.custom_id(), title).components(rows)
}

/// Default choices for a new entry when the command leaves them out.
pub(super) fn choices(
    position: Position,
    equipment: Option<Equipment>,
    difficulty: Option<Difficulty>,
    category: Option<Category>,
) -> Choices {
    Choices {
        position,
        equipment: equipment.unwrap_or(Equipment::None),
        difficulty: difficulty.unwrap_or(Difficulty::Easy),
        category: category.unwrap_or(Category::Stretch),
    }
}

/// Forms that did not pass, kept for their retry buttons.
#[derive(Default)]
pub struct KeptForms {
    forms: Mutex<HashMap<u64, (Purpose, Draft, Instant)>>,
}

impl KeptForms {
    fn keep(&self, purpose: Purpose, draft: Draft, salt: u64) -> u64 {
        let key = RandomState::new().hash_one(salt);
        let mut forms = self
            .forms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        forms.retain(|_, (_, _, at)| now.duration_since(*at) < KEPT_FOR);
        while forms.len() >= MOST_KEPT {
            let Some(oldest) = forms
                .iter()
                .min_by_key(|(_, (_, _, at))| *at)
                .map(|(k, _)| *k)
            else {
                break;
            };
            forms.remove(&oldest);
        }
        forms.insert(key, (purpose, draft, now));
        key
    }

    /// The form kept under `key`, as often as the member opens it again, until it expires.
    fn kept(&self, key: u64) -> Option<(Purpose, Draft)> {
        let forms = self
            .forms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        forms
            .get(&key)
            .filter(|(_, _, at)| at.elapsed() < KEPT_FOR)
            .map(|(purpose, draft, _)| (purpose.clone(), draft.clone()))
    }
}

/// Whether the member behind an interaction has Manage Server there, from the interaction itself.
pub(super) fn may_manage(member: Option<&serenity::Member>) -> bool {
    member
        .and_then(|member| member.permissions)
        .is_some_and(|permissions| permissions.manage_guild())
}

pub(super) const NOT_AN_ADMIN: &str = "Only members with the **Manage Server** permission can change this server's stretches. Ask a server admin.";

/// A submitted form: checked, then stored, or answered with what to fix.
pub async fn on_submit(
    ctx: &serenity::Context,
    submit: &serenity::ModalInteraction,
    data: &Data,
) -> Result<(), Error> {
    let (Some(guild), true) = (submit.guild_id, may_manage(submit.member.as_ref())) else {
        return answer(ctx, data, submit, text_reply(NOT_AN_ADMIN.to_owned())).await;
    };
    let guild = GuildId(guild.get());
    let purpose = submit
        .data
        .custom_id
        .strip_prefix(CATALOG_FORM)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(Purpose::parse)
        .ok_or_else(|| {
            Error::user("This form is from an older version of the bot; run `/catalog add` again.")
        })?;
    let draft = typed(submit);
    let own = data.store.own_entries(guild).await?;
    let checked = draft.check(
        &purpose.choices,
        &data.catalog,
        &own,
        purpose.editing.as_ref(),
    );
    let entry = match checked {
        // An edit changes the words; the picture stays (`/catalog picture` changes it).
        Ok(entry) => OwnEntry {
            picture: own
                .iter()
                .find(|old| Some(&old.id) == purpose.editing.as_ref())
                .and_then(|old| old.picture.clone()),
            ..entry
        },
        Err(problems) => {
            let key = data.forms.keep(purpose, draft, submit.id.get());
            return answer(ctx, data, submit, problems_reply(&problems, key)).await;
        }
    };
    let saved = save(data, guild, &purpose, entry.clone()).await?;
    let message = super::super::stretch::card_message(data, &entry.to_entry(&data.catalog))
        .await
        .content(saved)
        .ephemeral(true);
    answer(ctx, data, submit, message).await
}

/// Stores a checked entry; what to tell the admin.
async fn save(
    data: &Data,
    guild: GuildId,
    purpose: &Purpose,
    entry: OwnEntry,
) -> Result<String, Error> {
    let name = crate::discord::card::escape_markdown(&entry.name);
    let id = entry.id.clone();
    if purpose.editing.is_some() {
        if !data.store.replace_own_entry(guild, entry).await? {
            return Err(Error::user(format!(
                "This server has no stretch `{id}` any more; add it again with `/catalog add`."
            )));
        }
        return Ok(format!("Saved **{name}** (`{id}`)."));
    }
    data.store.add_own_entries(guild, vec![entry]).await?;
    Ok(format!(
        "Added **{name}** (`{id}`) to this server's stretches: `/stretch` finds it and schedules' rotations include it. `/catalog edit name:{id}` changes it."
    ))
}

/// What the member typed, by input; an input missing from the submit counts as empty.
fn typed(submit: &serenity::ModalInteraction) -> Draft {
    let mut values: HashMap<&str, String> = HashMap::new();
    for row in &submit.data.components {
        for component in &row.components {
            if let serenity::ActionRowComponent::InputText(input) = component {
                values.insert(
                    input.custom_id.as_str(),
                    input.value.clone().unwrap_or_default(),
                );
            }
        }
    }
    let mut value = |id: &str| values.remove(id).unwrap_or_default();
    Draft {
        name: value("name"),
        why: value("why"),
        steps: value("steps"),
        dose: value("dose"),
        caution: value("caution"),
    }
}

/// Every problem by its field, with a button that opens the form again as it was typed.
fn problems_reply(
    problems: &[FieldProblem],
    key: u64,
) -> serenity::CreateInteractionResponseMessage {
    let lines: Vec<String> = problems
        .iter()
        .map(|problem| format!("• **{}**: {}", problem.field, problem.message))
        .collect();
    serenity::CreateInteractionResponseMessage::new()
        .content(truncate(
            &format!(
                "Nothing was saved yet. Fix {} and try again; the form keeps what you typed.\n{}",
                if problems.len() == 1 { "this" } else { "these" },
                lines.join("\n")
            ),
            2000,
        ))
        .components(vec![serenity::CreateActionRow::Buttons(vec![
            serenity::CreateButton::new(format!("{CATALOG_RETRY}:{key}"))
                .label("Fix and try again")
                .emoji('✏')
                .style(serenity::ButtonStyle::Primary),
        ])])
        .ephemeral(true)
}

fn text_reply(text: String) -> serenity::CreateInteractionResponseMessage {
    serenity::CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
}

async fn answer(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
    message: serenity::CreateInteractionResponseMessage,
) -> Result<(), Error> {
    let response =
        serenity::CreateInteractionResponse::Message(message.allowed_mentions(no_pings()));
    data.limiter
        .send(Route::InteractionCallback, || {
            submit.create_response(ctx, response.clone())
        })
        .await?;
    Ok(())
}

/// "Fix and try again": the form again, as it was typed.
pub async fn on_retry(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    key: &str,
) -> Result<(), Error> {
    if !may_manage(click.member.as_ref()) {
        return Err(Error::user(NOT_AN_ADMIN));
    }
    let (purpose, draft) = key
        .parse()
        .ok()
        .and_then(|key| data.forms.kept(key))
        .ok_or_else(|| {
            Error::user("This form has expired. Run `/catalog add` (or `/catalog edit`) again.")
        })?;
    let response = serenity::CreateInteractionResponse::Modal(modal(&purpose, &draft));
    data.limiter
        .send(Route::InteractionCallback, || {
            click.create_response(ctx, response.clone())
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_purpose_travels_in_its_custom_id() {
        let choices = Choices {
            position: Position::HandsAndKnees,
            equipment: Equipment::ResistanceBand,
            difficulty: Difficulty::Advanced,
            category: Category::Posture,
        };
        for editing in [None, Some(StretchId::parse(&"a".repeat(64)).unwrap())] {
            let purpose = Purpose {
                editing,
                choices: choices.clone(),
            };
            let id = purpose.custom_id();
            assert!(id.len() <= 100, "{id}");
            let rest = id.strip_prefix("catalog-form:").unwrap();
            assert_eq!(Purpose::parse(rest), Some(purpose));
        }
        for bad in [
            "add:0:0:0",
            "add:0:0:0:0:0",
            "edit:Bad:0:0:0:0",
            "add:9:0:0:0",
            "nope",
        ] {
            assert_eq!(Purpose::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_kept_form_opens_again_as_often_as_asked() {
        let forms = KeptForms::default();
        let purpose = Purpose {
            editing: None,
            choices: choices(Position::Seated, None, None, None),
        };
        let key = forms.keep(purpose.clone(), Draft::default(), 1);
        for _ in 0..2 {
            assert_eq!(forms.kept(key), Some((purpose.clone(), Draft::default())));
        }
        assert_eq!(forms.kept(key.wrapping_add(1)), None);
    }
}
