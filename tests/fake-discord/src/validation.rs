//! Where the OpenAPI spec comes from (loaded once per process and shared by every fake), and the
//! findings the fake records: bodies the bot sent that Discord would refuse, responses of the fake that
//! break the spec (fake bugs), and routes of the spec the fake does not serve.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;
use serde_json::Value;

use crate::openapi::{Spec, Violation};

/// The spec file: `$DISCORD_OPENAPI`, else `<workspace>/../shared/discord-api/openapi.json` (CI clones
/// the repository with `shared/` beside it), else Discord's published copy, downloaded once into
/// `target/` (see `spec_file`). The error names all three ways.
pub fn default_spec_path() -> Result<PathBuf, String> {
    crate::spec_file::located()
}

/// The parsed spec at `path`; parsed at most once per process (it is 1.2 MB), then shared.
pub(crate) fn load_spec(path: &Path) -> Result<Arc<Spec>, String> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Spec>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(spec) = cache.get(path) {
        return Ok(Arc::clone(spec));
    }
    let spec = Arc::new(
        Spec::load(path)
            .map_err(|e| format!("loading the OpenAPI spec {}: {e}", path.display()))?,
    );
    cache.insert(path.to_owned(), Arc::clone(&spec));
    Ok(spec)
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The bot sent a request Discord refuses (invalid body, bad path parameter, misuse such as an empty
    /// message or a wrong interaction callback type). The bot's bug.
    Request,
    /// A response of the fake breaks the spec. The fake's bug.
    Response,
    /// The bot called a route of Discord's API that the fake does not serve. A gap in the fake.
    Unimplemented,
}

/// One problem inside a body: a JSON pointer, a machine code and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub pointer: String,
    pub code: String,
    pub message: String,
}

impl From<&Violation> for Problem {
    fn from(v: &Violation) -> Self {
        Problem {
            pointer: v.pointer.clone(),
            code: v.code.to_owned(),
            message: v.message.clone(),
        }
    }
}

/// A recorded finding; any finding fails [`FakeDiscord::assert_no_violations`](crate::FakeDiscord::assert_no_violations).
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub method: String,
    /// The concrete path, without `/api/v10`.
    pub path: String,
    /// The spec's route template, when the spec has one.
    pub route: Option<String>,
    pub problems: Vec<Problem>,
    /// The offending body (the request's or the fake's response), if any.
    pub body: Option<Value>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            FindingKind::Request => "the bot sent an invalid request",
            FindingKind::Response => "FAKE BUG: the fake sent a response that breaks the spec",
            FindingKind::Unimplemented => "the fake does not serve this Discord route",
        };
        write!(f, "{what}: {} {}", self.method, self.path)?;
        if let Some(route) = &self.route {
            write!(f, " ({route})")?;
        }
        for p in &self.problems {
            write!(f, "\n    at {:?}: {} [{}]", p.pointer, p.message, p.code)?;
        }
        if let Some(body) = &self.body {
            let text = body.to_string();
            let shown: String = text.chars().take(600).collect();
            write!(
                f,
                "\n    body: {shown}{}",
                if shown.len() < text.len() { "…" } else { "" }
            )?;
        }
        Ok(())
    }
}
