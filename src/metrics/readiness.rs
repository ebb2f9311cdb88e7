//! Whether the bot is ready to serve (`/readyz`): every shard connected, the store answering, the
//! commands registered. Kept apart from the listener and from serenity so that the rule is tested alone.

/// A shard as the readiness check sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardState {
    pub id: u32,
    pub connected: bool,
}

/// What readiness is decided from, gathered at each request.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// The shards this process runs; none yet means still starting.
    pub shards: Vec<ShardState>,
    /// `Err` with why when the store did not answer a small read.
    pub store: Result<(), String>,
    pub commands_registered: bool,
}

impl Readiness {
    /// `Ok` when ready, else a short reason for the operator reading `/readyz`.
    pub fn verdict(&self) -> Result<(), String> {
        let mut reasons = Vec::new();
        if self.shards.is_empty() {
            reasons.push("no gateway shard has started yet".to_owned());
        }
        let down: Vec<String> = self
            .shards
            .iter()
            .filter(|shard| !shard.connected)
            .map(|shard| shard.id.to_string())
            .collect();
        if !down.is_empty() {
            reasons.push(format!("shard(s) {} not connected", down.join(", ")));
        }
        if let Err(why) = &self.store {
            reasons.push(format!("the store does not answer: {why}"));
        }
        if !self.commands_registered {
            reasons.push("slash commands not registered yet".to_owned());
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Readiness {
        Readiness {
            shards: vec![
                ShardState {
                    id: 0,
                    connected: true,
                },
                ShardState {
                    id: 1,
                    connected: true,
                },
            ],
            store: Ok(()),
            commands_registered: true,
        }
    }

    #[test]
    fn ready_when_every_shard_is_connected_the_store_answers_and_commands_are_registered() {
        assert_eq!(ready().verdict(), Ok(()));
    }

    #[test]
    fn one_shard_down_is_not_ready_and_is_named() {
        let mut state = ready();
        state.shards[1].connected = false;
        assert_eq!(state.verdict(), Err("shard(s) 1 not connected".to_owned()));
    }

    #[test]
    fn no_shard_yet_is_not_ready() {
        let state = Readiness {
            shards: Vec::new(),
            ..ready()
        };
        assert!(state.verdict().unwrap_err().contains("no gateway shard"));
    }

    #[test]
    fn every_reason_is_told_at_once() {
        let state = Readiness {
            store: Err("timed out".to_owned()),
            commands_registered: false,
            ..ready()
        };
        assert_eq!(
            state.verdict(),
            Err(
                "the store does not answer: timed out; slash commands not registered yet"
                    .to_owned()
            )
        );
    }
}
