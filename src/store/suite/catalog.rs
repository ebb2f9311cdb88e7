//! The store suite's catalog tests: a server's own stretches and the built-in ones it hid, on every
//! backend.

use std::collections::HashSet;

use crate::domain::catalog::{
    Category, Difficulty, Equipment, MAX_OWN_ENTRIES, OwnEntry, PoseRef, Position, parse_dose,
};
use crate::domain::posting::Pause;
use crate::domain::store::{CatalogStore, StoreError};

use super::{GUILD, OTHER_GUILD, stretch};

fn own(id: &str) -> OwnEntry {
    OwnEntry {
        id: stretch(id),
        name: format!("Own {id}"),
        why: "Loosens a stiff neck.".to_owned(),
        steps: vec!["Sit tall.".to_owned(), "Roll your head slowly.".to_owned()],
        dose: parse_dose("hold 20-30 s, 2 reps, per side").unwrap(),
        caution: Some("Go gently.".to_owned()),
        category: Category::Stretch,
        position: Position::Seated,
        equipment: vec![Equipment::Chair],
        difficulty: Difficulty::Easy,
        picture: Some(PoseRef::try_from("cat-cow/cow".to_owned()).unwrap()),
    }
}

pub(crate) async fn own_stretches_are_added_all_or_nothing_replaced_and_removed(
    store: impl CatalogStore,
) {
    store
        .add_own_entries(GUILD, vec![own("neck-roll"), own("desk-twist")])
        .await
        .unwrap();
    let taken = store
        .add_own_entries(GUILD, vec![own("wrist-circle"), own("neck-roll")])
        .await;
    assert!(
        matches!(taken, Err(StoreError::OwnEntryExists(ref id)) if id.as_str() == "neck-roll"),
        "{taken:?}"
    );
    let ids = |entries: Vec<OwnEntry>| {
        entries
            .into_iter()
            .map(|entry| entry.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.own_entries(GUILD).await.unwrap()),
        ["desk-twist", "neck-roll"],
        "nothing of a refused batch is stored"
    );
    assert_eq!(store.own_entries(GUILD).await.unwrap()[1], own("neck-roll"));
    assert!(store.own_entries(OTHER_GUILD).await.unwrap().is_empty());
    store
        .add_own_entries(OTHER_GUILD, vec![own("neck-roll")])
        .await
        .unwrap();

    let mut changed = own("neck-roll");
    changed.why = "Better words.".to_owned();
    changed.dose = parse_dose("5 breaths").unwrap();
    assert!(
        store
            .replace_own_entry(GUILD, changed.clone())
            .await
            .unwrap()
    );
    assert!(
        !store
            .replace_own_entry(GUILD, own("nothing-here"))
            .await
            .unwrap()
    );
    assert_eq!(store.own_entries(GUILD).await.unwrap()[1], changed);
    assert_eq!(
        store.own_entries(OTHER_GUILD).await.unwrap()[0],
        own("neck-roll")
    );
    // The bot leaving the server pauses its schedules and keeps its stretches.
    store.pause_guild(GUILD, Pause::LeftGuild).await.unwrap();
    assert_eq!(store.own_entries(GUILD).await.unwrap().len(), 2);

    assert!(
        store
            .remove_own_entry(GUILD, stretch("desk-twist"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_own_entry(GUILD, stretch("desk-twist"))
            .await
            .unwrap()
    );
    assert_eq!(ids(store.own_entries(GUILD).await.unwrap()), ["neck-roll"]);
}

pub(crate) async fn a_guild_has_at_most_its_limit_of_own_stretches(store: impl CatalogStore) {
    let most: Vec<OwnEntry> = (1..MAX_OWN_ENTRIES)
        .map(|n| own(&format!("own-{n}")))
        .collect();
    store.add_own_entries(GUILD, most).await.unwrap();
    let over = store
        .add_own_entries(GUILD, vec![own("one-more"), own("two-more")])
        .await;
    assert!(
        matches!(
            over,
            Err(StoreError::TooManyOwnEntries {
                limit: MAX_OWN_ENTRIES
            })
        ),
        "{over:?}"
    );
    store
        .add_own_entries(GUILD, vec![own("the-last")])
        .await
        .unwrap();
    assert_eq!(
        store.own_entries(GUILD).await.unwrap().len(),
        MAX_OWN_ENTRIES
    );
    assert!(matches!(
        store.add_own_entries(GUILD, vec![own("one-more")]).await,
        Err(StoreError::TooManyOwnEntries { .. })
    ));
}

pub(crate) async fn hidden_built_in_stretches_round_trip_per_guild(store: impl CatalogStore) {
    assert!(store.hidden_stretches(GUILD).await.unwrap().is_empty());
    for id in ["cat-cow", "wheel-pose", "cat-cow"] {
        store
            .set_stretch_hidden(GUILD, stretch(id), true)
            .await
            .unwrap();
    }
    assert_eq!(
        store.hidden_stretches(GUILD).await.unwrap(),
        HashSet::from([stretch("cat-cow"), stretch("wheel-pose")])
    );
    assert!(
        store
            .hidden_stretches(OTHER_GUILD)
            .await
            .unwrap()
            .is_empty()
    );
    for _ in 0..2 {
        store
            .set_stretch_hidden(GUILD, stretch("cat-cow"), false)
            .await
            .unwrap();
    }
    assert_eq!(
        store.hidden_stretches(GUILD).await.unwrap(),
        HashSet::from([stretch("wheel-pose")])
    );
}
