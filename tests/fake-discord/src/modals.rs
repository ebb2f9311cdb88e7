//! Modals (receiving-and-responding.mdx "Modal", components-reference.mdx "Text Input", "Label"): the
//! modal a bot opened with a MODAL callback (type 9), and the user submitting it, which Discord sends
//! as a MODAL_SUBMIT interaction (type 5) with the modal's `custom_id` and each text input's value, laid
//! out as the modal was (action rows or labels). A modal is submitted at most once; what the user does
//! not change keeps its pre-filled `value`; required inputs must be filled and every value must fit its
//! input's `min_length`/`max_length` (at most 4000 characters), as Discord's client enforces.

use serde_json::{Value, json};

use crate::ids::InteractionId;
use crate::interactions::{Dispatched, InvokeError, ResponseKind};
use crate::world::World;

/// Interaction type of a modal submit.
pub(crate) const MODAL_SUBMIT: u8 = 5;
/// The callback type that opens a modal.
const MODAL: u64 = 9;

const ACTION_ROW: u64 = 1;
const TEXT_INPUT: u64 = 4;
const LABEL: u64 = 18;
/// The longest text input value Discord accepts.
const MAX_TEXT: usize = 4000;

impl World {
    /// The user who got the modal opened by interaction `opener` submits it, with `values` by text
    /// input `custom_id`: INTERACTION_CREATE (type 5).
    pub fn modal_submit_interaction(
        &mut self,
        opener: InteractionId,
        values: &[(&str, &str)],
    ) -> Result<Dispatched, InvokeError> {
        let opened = self
            .interactions
            .get(&opener)
            .ok_or_else(|| InvokeError::NotFound(format!("interaction {opener}")))?;
        let modal = opened
            .responses
            .iter()
            .filter(|r| r.kind == ResponseKind::Callback)
            .filter_map(|r| r.body.as_ref())
            .find(|body| body["type"].as_u64() == Some(MODAL))
            .map(|body| body["data"].clone())
            .ok_or_else(|| {
                InvokeError::NotFound(format!("a modal opened in answer to interaction {opener}"))
            })?;
        if self.submitted_modals.contains(&opener) {
            return Err(InvokeError::NotAllowed(format!(
                "the modal of interaction {opener} was submitted already; a modal closes when submitted"
            )));
        }
        let (place, source) = (opened.place, opened.source_message);
        self.check_place(place, crate::permissions::Permissions::empty())?;
        for (custom_id, _) in values {
            if find_text_input(&modal["components"], custom_id).is_none() {
                return Err(InvokeError::NotFound(format!(
                    "text input {custom_id:?} in modal {}",
                    modal["custom_id"]
                )));
            }
        }
        let mut next_id = 0;
        let mut id = || {
            next_id += 1;
            next_id
        };
        let mut components = Vec::new();
        for top in modal["components"].as_array().into_iter().flatten() {
            let submitted = |input: &Value, id: u64| -> Result<Value, InvokeError> {
                let custom_id = input["custom_id"].as_str().unwrap_or_default();
                let value = values
                    .iter()
                    .find(|(name, _)| *name == custom_id)
                    .map(|(_, value)| (*value).to_owned())
                    .or_else(|| input["value"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                check_value(input, custom_id, &value)?;
                Ok(json!({"type": TEXT_INPUT, "id": id, "custom_id": custom_id, "value": value}))
            };
            match top["type"].as_u64() {
                Some(ACTION_ROW) => {
                    let row_id = id();
                    let inputs = top["components"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|c| c["type"].as_u64() == Some(TEXT_INPUT))
                        .map(|input| submitted(input, id()))
                        .collect::<Result<Vec<_>, _>>()?;
                    components
                        .push(json!({"type": ACTION_ROW, "id": row_id, "components": inputs}));
                }
                Some(LABEL) if top["component"]["type"].as_u64() == Some(TEXT_INPUT) => {
                    let label_id = id();
                    let input = submitted(&top["component"], id())?;
                    components.push(json!({"type": LABEL, "id": label_id, "component": input}));
                }
                _ => {}
            }
        }
        let data = json!({"custom_id": modal["custom_id"], "components": components});
        let message = source.and_then(|m| self.messages.get(&m).map(|s| (m, s.json.clone())));
        let dispatched = self.dispatch_interaction(place, MODAL_SUBMIT, data, message)?;
        self.submitted_modals.insert(opener);
        self.modal_openers.insert(dispatched.0, opener);
        Ok(dispatched)
    }
}

/// The text input `custom_id` anywhere in a modal's components.
fn find_text_input<'a>(components: &'a Value, custom_id: &str) -> Option<&'a Value> {
    components.as_array()?.iter().find_map(|top| {
        let inner: Vec<&Value> = match top["type"].as_u64() {
            Some(ACTION_ROW) => top["components"].as_array()?.iter().collect(),
            Some(LABEL) => vec![&top["component"]],
            _ => vec![],
        };
        inner.into_iter().find(|c| {
            c["type"].as_u64() == Some(TEXT_INPUT) && c["custom_id"].as_str() == Some(custom_id)
        })
    })
}

/// What Discord's client refuses to submit: a required input left empty, or a value outside the
/// input's lengths.
fn check_value(input: &Value, custom_id: &str, value: &str) -> Result<(), InvokeError> {
    let length = value.chars().count();
    let required = input["required"].as_bool().unwrap_or(true);
    if required && value.is_empty() {
        return Err(InvokeError::Invalid(format!(
            "text input {custom_id:?} is required"
        )));
    }
    let max = input["max_length"]
        .as_u64()
        .map_or(MAX_TEXT, |max| max as usize)
        .min(MAX_TEXT);
    let min = input["min_length"].as_u64().unwrap_or(0) as usize;
    if length > max || (!value.is_empty() && length < min) {
        return Err(InvokeError::Invalid(format!(
            "text input {custom_id:?} takes {min} to {max} characters, got {length}"
        )));
    }
    Ok(())
}
