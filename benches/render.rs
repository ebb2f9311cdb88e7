//! Render benchmark: the time to draw and encode one still (PNG) and one animation (GIF), over every
//! pose of the catalog.
//!
//! Run: `cargo bench --bench render` (add `-- --rounds N` for more rounds). Target: ≤ 5 ms per still.
//! Loading the catalog is not timed.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use stretchbot::domain::catalog::Catalog;
use stretchbot::render;

fn main() {
    let rounds = std::env::args()
        .skip_while(|arg| arg != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    let catalog = match Catalog::load_dir(Path::new("content")) {
        Ok(catalog) => catalog,
        Err(errors) => {
            eprintln!("{errors}");
            std::process::exit(1);
        }
    };
    let poses: Vec<_> = catalog
        .entries()
        .iter()
        .flat_map(|entry| {
            entry
                .illustration
                .poses
                .iter()
                .map(move |pose| (entry, pose))
        })
        .collect();

    let started = Instant::now();
    let mut bytes = 0;
    let mut slowest = 0.0f64;
    for _ in 0..rounds {
        for (entry, pose) in &poses {
            let one = Instant::now();
            bytes += black_box(render::still(entry, pose).expect("renders")).len();
            slowest = slowest.max(one.elapsed().as_secs_f64());
        }
    }
    let stills = rounds * poses.len();
    let per_still = started.elapsed().as_secs_f64() / stills as f64;
    println!(
        "stills: {stills} ({} poses × {rounds} rounds), mean {:.2} ms, slowest {:.2} ms, mean size {:.1} KB (target ≤ 5 ms)",
        poses.len(),
        per_still * 1e3,
        slowest * 1e3,
        bytes as f64 / stills as f64 / 1024.0
    );

    let moving: Vec<_> = catalog
        .entries()
        .iter()
        .filter(|entry| !entry.illustration.motion.is_empty())
        .collect();
    let started = Instant::now();
    let mut largest = 0;
    for entry in &moving {
        let gif = render::animation(entry).expect("renders").expect("moves");
        largest = largest.max(black_box(gif).len());
    }
    println!(
        "animations: {}, mean {:.1} ms each, largest {:.1} KB",
        moving.len(),
        started.elapsed().as_secs_f64() / moving.len().max(1) as f64 * 1e3,
        largest as f64 / 1024.0
    );
}
