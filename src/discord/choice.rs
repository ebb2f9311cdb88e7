//! Slash-command choices for the catalog's vocabularies (position, equipment, difficulty, category).
//!
//! The domain's vocabularies know nothing of poise; this wrapper offers any of them as a fixed choice list
//! so that Discord shows exactly the values the catalog uses.

use std::borrow::Cow;

use crate::domain::catalog::Vocabulary;

/// One value of a vocabulary, as a slash-command choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<T>(pub T);

impl<T: Vocabulary> poise::ChoiceParameter for Choice<T> {
    fn list() -> Cow<'static, [poise::CommandParameterChoice]> {
        T::ALL
            .iter()
            .map(|value| poise::CommandParameterChoice {
                name: Cow::Borrowed(value.label()),
                localizations: Cow::Borrowed(&[]),
                __non_exhaustive: (),
            })
            .collect()
    }

    fn from_index(index: usize) -> Option<Self> {
        T::ALL.get(index).copied().map(Choice)
    }

    fn from_name(name: &str) -> Option<Self> {
        T::ALL
            .iter()
            .copied()
            .find(|value| value.label() == name || value.as_str() == name)
            .map(Choice)
    }

    fn name(&self) -> &'static str {
        self.0.label()
    }

    fn localized_name(&self, _locale: &str) -> Option<&'static str> {
        None
    }
}
