//! The stretch of the day: which entry a schedule posts next.
//!
//! A rotation walks the eligible entries (those matching the schedule's filters) in a shuffled order and
//! repeats none until all have been posted; then it starts a new cycle with a new order. Everything it
//! needs to continue is the small [`RotationState`] the caller stores after each post, so picks replay
//! identically after a restart.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::catalog::{Entry, Filters, StretchId};

/// Where a schedule's rotation stands. Start one with [`RotationState::new`] and a random seed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationState {
    /// Chooses the orders; fixed for the life of the schedule.
    pub seed: u64,
    /// Counts completed cycles; each cycle has its own order.
    pub cycle: u32,
    /// Posted in this cycle. May name entries that are no longer eligible: they are ignored, and kept so
    /// that a filter changed back and forth does not bring them round twice.
    pub used: Vec<StretchId>,
    /// The last one posted, so a new cycle does not open with it.
    pub last: Option<StretchId>,
}

impl RotationState {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }
}

/// The stretch to post and the state to store once it has been posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub id: StretchId,
    pub state: RotationState,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RotationError {
    /// `filters` is the filters' [`Filters::summary`].
    #[error("No stretch matches {filters}; loosen a filter")]
    NothingEligible { filters: String },
}

/// Picks the next stretch among the `entries` that match `filters`. Pure: the same inputs give the same pick.
///
/// The entries or filters may differ from the previous call: entries that became eligible join the
/// current cycle, and those that stopped being eligible are skipped.
pub fn next(
    entries: &[Entry],
    filters: &Filters,
    state: &RotationState,
) -> Result<Pick, RotationError> {
    let mut eligible: Vec<&StretchId> = entries
        .iter()
        .filter(|entry| filters.matches(entry))
        .map(|entry| &entry.id)
        .collect();
    if eligible.is_empty() {
        return Err(RotationError::NothingEligible {
            filters: filters.summary(),
        });
    }
    // Sorted first so the order depends only on which ids are eligible, not on how the catalog was listed.
    eligible.sort();
    eligible.dedup();

    let cycle_is_over = eligible.iter().all(|id| state.used.contains(id));
    let (cycle, mut used) = if cycle_is_over {
        // Wrapping: a daily post would need millions of years to get here, and a schedule must never panic.
        (state.cycle.wrapping_add(1), Vec::new())
    } else {
        (state.cycle, state.used.clone())
    };

    let order = cycle_order(state.seed, cycle, eligible);
    let unused = || order.iter().copied().filter(|id| !used.contains(id));
    // Only at the start of a cycle can `last` be unused; stepping over it keeps it from being posted on
    // two days running, and the next pick comes back for it.
    let id = unused()
        .find(|id| Some(*id) != state.last.as_ref())
        .or_else(|| unused().next())
        .expect("a cycle in progress has an unused eligible id")
        .clone();

    used.push(id.clone());
    Ok(Pick {
        state: RotationState {
            seed: state.seed,
            cycle,
            used,
            last: Some(id.clone()),
        },
        id,
    })
}

/// The order of one cycle: a Fisher–Yates shuffle of the sorted eligible ids.
fn cycle_order(seed: u64, cycle: u32, mut ids: Vec<&StretchId>) -> Vec<&StretchId> {
    let mut rng = SplitMix64::for_cycle(seed, cycle);
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.below(i + 1));
    }
    ids
}

/// SplitMix64 (Steele, Lea & Flood, 2014), written out here rather than taken from `rand`: `rand` does not
/// promise the same numbers from the same seed across versions, and a stored rotation must replay the
/// same orders after any dependency upgrade.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn for_cycle(seed: u64, cycle: u32) -> Self {
        // The cycle is mixed before it meets the seed: SplitMix64 states step by a fixed constant, so
        // seeding with `seed + cycle * constant` would make each cycle's stream its predecessor's, one
        // draw later, and the orders would be related.
        let cycle_key = SplitMix64 {
            state: u64::from(cycle),
        }
        .next_u64();
        Self {
            state: seed ^ cycle_key,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`, by multiply-and-shift (Lemire), whose bias is negligible for catalog sizes.
    fn below(&mut self, bound: usize) -> usize {
        let wide = u128::from(self.next_u64()) * bound as u128;
        (wide >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::catalog::{Difficulty, Position};

    fn entry(id: &str, position: Position, difficulty: Difficulty) -> Entry {
        Entry {
            position,
            difficulty,
            ..Entry::example(id)
        }
    }

    fn catalog(size: usize) -> Vec<Entry> {
        (0..size)
            .map(|n| {
                entry(
                    &format!("stretch-{n:02}"),
                    Position::Standing,
                    Difficulty::Easy,
                )
            })
            .collect()
    }

    fn id(raw: &str) -> StretchId {
        StretchId::parse(raw).unwrap()
    }

    /// Picks `count` times in a row, storing each new state as the caller would.
    fn picks(
        entries: &[Entry],
        filters: &Filters,
        state: &mut RotationState,
        count: usize,
    ) -> Vec<StretchId> {
        (0..count)
            .map(|_| {
                let pick = next(entries, filters, state).unwrap();
                *state = pick.state;
                pick.id
            })
            .collect()
    }

    fn as_set(ids: &[StretchId]) -> BTreeSet<StretchId> {
        ids.iter().cloned().collect()
    }

    #[test]
    fn a_cycle_uses_every_eligible_id_exactly_once() {
        let entries = catalog(7);
        let mut state = RotationState::new(7);
        let cycle = picks(&entries, &Filters::default(), &mut state, 7);

        assert_eq!(as_set(&cycle).len(), 7, "no repeats in {cycle:?}");
        assert_eq!(
            as_set(&cycle),
            entries.iter().map(|e| e.id.clone()).collect()
        );
        assert_eq!(
            state.cycle, 0,
            "the cycle ends only when the next pick needs a new one"
        );
        assert_eq!(state.used, cycle);
        assert_eq!(state.last.as_ref(), cycle.last());
    }

    #[test]
    fn consecutive_cycles_differ_and_never_repeat_across_the_boundary() {
        for seed in [0, 1, 42, u64::MAX] {
            let entries = catalog(6);
            let mut state = RotationState::new(seed);
            let sequence = picks(&entries, &Filters::default(), &mut state, 6 * 20);
            assert_eq!(state.cycle, 19);

            let cycles: Vec<&[StretchId]> = sequence.chunks(6).collect();
            for cycle in &cycles {
                assert_eq!(
                    as_set(cycle).len(),
                    6,
                    "seed {seed}: a repeat within {cycle:?}"
                );
            }
            for pair in cycles.windows(2) {
                assert_ne!(
                    pair[0], pair[1],
                    "seed {seed}: two cycles in the same order"
                );
            }
            for pair in sequence.windows(2) {
                assert_ne!(
                    pair[0], pair[1],
                    "seed {seed}: the same stretch two days running"
                );
            }
        }
    }

    #[test]
    fn a_single_eligible_stretch_repeats_rather_than_failing() {
        let entries = catalog(1);
        let mut state = RotationState::new(3);
        let sequence = picks(&entries, &Filters::default(), &mut state, 3);
        assert_eq!(sequence, vec![id("stretch-00"); 3]);
        assert_eq!(state.cycle, 2);
    }

    #[test]
    fn filters_restrict_the_rotation() {
        let entries = vec![
            entry("seated-easy-a", Position::Seated, Difficulty::Easy),
            entry("seated-easy-b", Position::Seated, Difficulty::Easy),
            entry("seated-hard", Position::Seated, Difficulty::Advanced),
            entry("standing-easy", Position::Standing, Difficulty::Easy),
        ];
        let filters = Filters {
            position: Some(Position::Seated),
            difficulty: Some(Difficulty::Easy),
            ..Filters::default()
        };
        let mut state = RotationState::new(11);
        let sequence = picks(&entries, &filters, &mut state, 6);
        assert_eq!(
            as_set(&sequence),
            as_set(&[id("seated-easy-a"), id("seated-easy-b")])
        );
    }

    #[test]
    fn new_entries_join_the_current_cycle() {
        let mut entries = catalog(5);
        let mut state = RotationState::new(5);
        let before = picks(&entries, &Filters::default(), &mut state, 3);

        entries.push(entry("newcomer", Position::Standing, Difficulty::Easy));
        let after = picks(&entries, &Filters::default(), &mut state, 3);

        let cycle = [before, after].concat();
        assert_eq!(as_set(&cycle).len(), 6, "no repeats in {cycle:?}");
        assert!(cycle.contains(&id("newcomer")));
        assert_eq!(state.cycle, 0);
    }

    #[test]
    fn removed_entries_are_skipped_and_the_cycle_ends_sooner() {
        let mut entries = catalog(6);
        let mut state = RotationState::new(9);
        let before = picks(&entries, &Filters::default(), &mut state, 3);

        // Remove one already posted and one not yet posted.
        let unposted = entries
            .iter()
            .map(|e| e.id.clone())
            .find(|id| !before.contains(id))
            .unwrap();
        entries.retain(|e| e.id != before[0] && e.id != unposted);
        let rest = picks(&entries, &Filters::default(), &mut state, 2);

        assert!(!rest.contains(&unposted));
        assert_eq!(as_set(&[before.clone(), rest].concat()).len(), 5);
        assert_eq!(state.cycle, 0);

        let next_cycle = picks(&entries, &Filters::default(), &mut state, 1);
        assert_eq!(state.cycle, 1);
        assert_eq!(state.used, next_cycle, "the new cycle forgets the old ids");
    }

    #[test]
    fn used_ids_that_are_no_longer_eligible_are_ignored() {
        let entries = catalog(4);
        let state = RotationState {
            seed: 1,
            cycle: 3,
            used: vec![id("retired-stretch"), id("stretch-02")],
            last: Some(id("stretch-02")),
        };
        let pick = next(&entries, &Filters::default(), &state).unwrap();
        assert_ne!(pick.id, id("stretch-02"));
        assert_eq!(pick.state.cycle, 3, "unknown ids do not end the cycle");
    }

    #[test]
    fn the_default_never_picks_an_advanced_entry_and_an_old_cycle_goes_on_without_repeats() {
        let mut entries = catalog(5);
        entries.push(entry("wheel", Position::Lying, Difficulty::Advanced));
        // A schedule from before the safe default, which had posted the advanced entry mid-cycle.
        let mut state = RotationState {
            seed: 17,
            cycle: 2,
            used: vec![id("stretch-00"), id("wheel")],
            last: Some(id("wheel")),
        };
        let after = picks(&entries, &Filters::default(), &mut state, 4);
        assert!(!after.contains(&id("wheel")), "{after:?}");
        assert!(!after.contains(&id("stretch-00")), "{after:?}");
        assert_eq!(as_set(&after).len(), 4);
        assert_eq!(state.cycle, 2, "the old cycle is finished, not restarted");

        let later = picks(&entries, &Filters::default(), &mut state, 5 * 40);
        assert!(!later.contains(&id("wheel")));
        for cycle in later.chunks(5) {
            assert_eq!(as_set(cycle).len(), 5, "a repeat within {cycle:?}");
        }
    }

    #[test]
    fn picks_are_deterministic_and_survive_a_json_round_trip() {
        let entries = catalog(8);
        let filters = Filters::default();
        let mut state = RotationState::new(0x00DE_C0DE);
        picks(&entries, &filters, &mut state, 11);

        assert_eq!(
            next(&entries, &filters, &state),
            next(&entries, &filters, &state)
        );

        let stored = serde_json::to_string(&state).unwrap();
        let mut restored: RotationState = serde_json::from_str(&stored).unwrap();
        assert_eq!(restored, state);

        let continued = picks(&entries, &filters, &mut state, 10);
        let replayed = picks(&entries, &filters, &mut restored, 10);
        assert_eq!(continued, replayed);
    }

    #[test]
    fn the_listing_order_of_the_catalog_does_not_matter() {
        let entries = catalog(8);
        let mut reversed = entries.clone();
        reversed.reverse();
        let mut state = RotationState::new(21);
        let mut same_state = state.clone();
        assert_eq!(
            picks(&entries, &Filters::default(), &mut state, 12),
            picks(&reversed, &Filters::default(), &mut same_state, 12)
        );
    }

    #[test]
    fn stored_state_rejects_malformed_ids() {
        let stored = r#"{"seed":1,"cycle":0,"used":["Not An Id"],"last":null}"#;
        let error = serde_json::from_str::<RotationState>(stored).unwrap_err();
        assert!(error.to_string().contains("is not a valid id"), "{error}");
    }

    #[test]
    fn nothing_eligible_explains_which_filters_to_loosen() {
        let entries = catalog(3);
        let filters = Filters {
            position: Some(Position::Seated),
            difficulty: Some(Difficulty::Advanced),
            ..Filters::default()
        };
        let error = next(&entries, &filters, &RotationState::new(1)).unwrap_err();
        assert_eq!(
            error,
            RotationError::NothingEligible {
                filters: "seated, advanced".to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            "No stretch matches seated, advanced; loosen a filter"
        );
    }
}
