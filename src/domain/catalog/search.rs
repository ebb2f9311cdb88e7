//! Finding entries from what a member types: exact names first, then prefixes, words, body areas and,
//! last, near-misses, so that `thred needle`, `upper back` and `cobar` all find something useful.

use super::entry::Entry;
use super::load::{Catalog, normalize_name};

/// How closely a typo must resemble a name to count (Jaro–Winkler similarity, 1.0 = identical).
const TYPO_SIMILARITY: f64 = 0.84;

impl Catalog {
    /// Up to `limit` entries matching `query`, best first. An empty query lists the catalog by name.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Entry> {
        let query = normalize_name(query);
        let mut ranked: Vec<(u32, &Entry)> = self
            .entries()
            .iter()
            .filter_map(|entry| relevance(entry, &query).map(|score| (score, entry)))
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, entry)| entry)
            .collect()
    }

    /// The entries that target the body area `typed` names (`shoulders`, `Upper back`, `shoulder`), by
    /// name; empty when no entry targets it. Only whole area names count, singular or plural, so that a
    /// misspelt stretch name is not mistaken for an area.
    pub fn for_area(&self, typed: &str) -> Vec<&Entry> {
        let query = normalize_name(typed);
        if query.is_empty() {
            return Vec::new();
        }
        let same = |area: &str| {
            let area = normalize_name(area);
            area == query
                || area.strip_suffix('s') == Some(query.as_str())
                || query.strip_suffix('s') == Some(area.as_str())
        };
        let mut found: Vec<&Entry> = self
            .entries()
            .iter()
            .filter(|entry| entry.areas.iter().any(|area| same(area)))
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }
}

/// A score out of 1000 for how well `entry` answers `query` (already normalised), or `None`.
fn relevance(entry: &Entry, query: &str) -> Option<u32> {
    if query.is_empty() {
        return Some(0);
    }
    let names: Vec<String> = std::iter::once(entry.name.as_str())
        .chain(entry.aliases.iter().map(String::as_str))
        .chain(std::iter::once(entry.id.as_str()))
        .map(normalize_name)
        .collect();
    let by_name = names
        .iter()
        .filter_map(|name| {
            if name == query {
                Some(1000)
            } else if name.starts_with(query) {
                Some(900)
            } else if name.split(' ').any(|word| word.starts_with(query)) {
                Some(800)
            } else if name.contains(query) {
                Some(700)
            } else {
                None
            }
        })
        .max();
    let by_area = entry
        .areas
        .iter()
        .map(|area| normalize_name(area))
        .any(|area| area.contains(query) || query.contains(&area))
        .then_some(600);
    let by_typo = names
        .iter()
        .map(|name| typo_similarity(query, name))
        .fold(0.0, f64::max);
    let by_typo = (by_typo >= TYPO_SIMILARITY).then_some((by_typo * 500.0) as u32);
    [by_name, by_area, by_typo].into_iter().flatten().max()
}

/// Similarity of `query` to `name`, or to the start of `name` when the member is still typing.
fn typo_similarity(query: &str, name: &str) -> f64 {
    let typed_so_far: String = name.chars().take(query.chars().count()).collect();
    strsim::jaro_winkler(query, name).max(strsim::jaro_winkler(query, &typed_so_far))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
            .expect("the shipped catalog loads")
    }

    fn first(query: &str) -> String {
        catalog()
            .search(query, 25)
            .first()
            .map(|entry| entry.id.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn exact_names_and_aliases_come_first() {
        assert_eq!(first("Cat-Cow"), "cat-cow");
        assert_eq!(first("child's pose"), "childs-pose");
        assert_eq!(first("passive back bend"), "towel-back-bend");
    }

    #[test]
    fn prefixes_and_words_match_while_typing() {
        assert_eq!(first("thre"), "thread-the-needle");
        assert_eq!(first("needle"), "thread-the-needle");
    }

    #[test]
    fn typos_still_find_the_stretch() {
        assert_eq!(first("thred the neede"), "thread-the-needle");
        assert_eq!(first("cobar"), "cobra-pose");
        assert_eq!(first("supermn"), "superman");
    }

    #[test]
    fn body_areas_match() {
        let catalog = catalog();
        let chest: Vec<&str> = catalog
            .search("chest", 25)
            .iter()
            .map(|entry| entry.id.as_str())
            .collect();
        assert!(chest.contains(&"doorway-stretch"), "{chest:?}");
    }

    #[test]
    fn an_area_lists_the_entries_that_target_it() {
        let catalog = catalog();
        let shoulders = catalog.for_area("Shoulders");
        assert!(!shoulders.is_empty());
        assert!(
            shoulders
                .iter()
                .all(|entry| entry.areas.iter().any(|area| area == "shoulders"))
        );
        let ids = |entries: Vec<&Entry>| -> Vec<String> {
            entries.iter().map(|entry| entry.id.to_string()).collect()
        };
        assert_eq!(ids(catalog.for_area("shoulder")), ids(shoulders));
        assert!(catalog.for_area("should").is_empty(), "whole names only");
        assert!(catalog.for_area("cat-cow").is_empty());
        assert!(catalog.for_area("  ").is_empty());
    }

    #[test]
    fn results_are_capped_and_an_empty_query_lists_by_name() {
        let catalog = catalog();
        assert_eq!(catalog.search("", 25).len(), catalog.len().min(25));
        assert_eq!(catalog.search("", 5).len(), 5);
        let names: Vec<&str> = catalog
            .search("", 25)
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn nonsense_finds_nothing_and_odd_input_is_safe() {
        let catalog = catalog();
        assert!(catalog.search("zzzzqqq", 25).is_empty());
        for odd in ["💥", "'''", &"a".repeat(10_000), "\u{0}"] {
            assert!(catalog.search(odd, 25).len() <= 25);
        }
    }
}
