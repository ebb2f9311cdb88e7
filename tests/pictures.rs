//! The catalog's pictures: every entry draws every pose and its animation, within the size limit, the
//! same bytes each time; no two entries open on the same picture; a committed hash per entry makes any
//! change to a picture a visible diff; the contact sheet renders.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use stretchbot::domain::catalog::Catalog;
use stretchbot::render;

const MAX_BYTES: usize = 150 * 1024;
const GOLDEN: &str = "tests/pictures.golden";
const UPDATE: &str = "UPDATE_PICTURES";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn catalog() -> Catalog {
    Catalog::load_dir(Path::new("content")).expect("content/ is valid")
}

/// FNV-1a: stable across platforms and releases, which is all a change detector needs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn every_entry_draws_every_pose_and_its_animation_within_the_size_limit() {
    let catalog = catalog();
    for entry in catalog.entries() {
        let pictures = render::pictures(entry).expect("renders");
        let stills: Vec<_> = pictures
            .iter()
            .filter(|p| p.file_name.ends_with(".png"))
            .collect();
        assert_eq!(stills.len(), entry.illustration.poses.len(), "{}", entry.id);
        assert!(!stills.is_empty(), "{} has no pose", entry.id);
        for still in &stills {
            assert!(
                still.bytes.starts_with(PNG_SIGNATURE),
                "{}",
                still.file_name
            );
        }
        let animations: Vec<_> = pictures
            .iter()
            .filter(|p| p.file_name.ends_with(".gif"))
            .collect();
        let moves = !entry.illustration.motion.is_empty();
        assert_eq!(animations.len(), usize::from(moves), "{}", entry.id);
        for animation in &animations {
            assert!(
                animation.bytes.starts_with(b"GIF89a"),
                "{}",
                animation.file_name
            );
        }
        for picture in &pictures {
            assert!(
                picture.bytes.len() <= MAX_BYTES,
                "{} is {} bytes, over {MAX_BYTES}",
                picture.file_name,
                picture.bytes.len()
            );
        }
        assert_eq!(
            entry.illustration.step_poses.len(),
            entry.steps.len(),
            "{}",
            entry.id
        );
    }
}

#[test]
fn the_same_content_draws_the_same_bytes() {
    let catalog = catalog();
    let entry = catalog.get("cat-cow").expect("cat-cow is in the catalog");
    assert_eq!(
        render::pictures(entry).unwrap(),
        render::pictures(entry).unwrap()
    );
}

#[test]
fn no_two_entries_open_on_the_same_picture() {
    let catalog = catalog();
    let mut seen: HashMap<Vec<u8>, String> = HashMap::new();
    for entry in catalog.entries() {
        let first = &entry.illustration.poses[0];
        let bytes = render::still(entry, first).unwrap();
        if let Some(other) = seen.insert(bytes, entry.id.to_string()) {
            panic!("{} and {other} draw the same first picture", entry.id);
        }
    }
}

#[test]
fn pictures_match_their_committed_hashes() {
    let catalog = catalog();
    let mut hashes = BTreeMap::new();
    for entry in catalog.entries() {
        let mut all = Vec::new();
        for picture in render::pictures(entry).unwrap() {
            all.extend(picture.file_name.bytes());
            all.extend(picture.bytes);
        }
        hashes.insert(entry.id.to_string(), format!("{:016x}", fnv1a(&all)));
    }
    let current: String = hashes
        .iter()
        .map(|(id, hash)| format!("{id} {hash}\n"))
        .collect();
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(GOLDEN, &current).expect("writes the golden file");
        return;
    }
    let committed = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    let changed: Vec<_> = current
        .lines()
        .filter(|line| !committed.lines().any(|known| known == *line))
        .chain(
            committed
                .lines()
                .filter(|line| !current.lines().any(|now| now == *line)),
        )
        .filter_map(|line| line.split(' ').next())
        .collect();
    assert!(
        changed.is_empty(),
        "the pictures of {} changed. Look at them (`stretchbot render {} --out pictures`); if the change \
         is meant, run `{UPDATE}=1 cargo test --test pictures` and commit {GOLDEN}",
        changed.join(", "),
        changed.join(" ")
    );
}

#[test]
fn the_contact_sheet_renders_every_pose() {
    let catalog = catalog();
    let sheet = render::contact_sheet(&catalog).unwrap();
    assert!(sheet.starts_with(PNG_SIGNATURE));
    // The IHDR chunk holds the height; a sheet with every pose is many rows tall.
    let height = u32::from_be_bytes(sheet[20..24].try_into().unwrap());
    let poses: usize = catalog
        .entries()
        .iter()
        .map(|entry| entry.illustration.poses.len())
        .sum();
    assert!(
        height as usize >= poses / 6 * 150,
        "{height} px for {poses} poses"
    );
}

#[test]
fn a_card_shows_the_movement_or_else_the_first_pose() {
    let catalog = catalog();
    let moving = catalog.get("cat-cow").unwrap();
    assert_eq!(
        render::card_picture(moving).unwrap().file_name,
        "cat-cow.gif"
    );
    let still = catalog.get("mountain-pose").unwrap();
    let picture = render::card_picture(still).unwrap();
    assert_eq!(picture.file_name, "mountain-pose-stand.png");
    assert_eq!(
        picture.bytes,
        render::still(still, &still.illustration.poses[0]).unwrap()
    );
}
