//! ARCHITECTURE.md's walk-through of adding a kind of device is true, and short: it names at most
//! seven places in at most six folders, none in the relay; each place exists for every kind there
//! is; and no product code outside those places names a kind — everything else reads the kind's
//! profile or iterates `DeviceKind::ALL` (tests may name kinds; they are not product code).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use e2e::source::{strip, without_inline_modules};
use shared::kind::DeviceKind;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example kind the walk-through adds.
const EXAMPLE: &str = "panos";

/// The places the walk-through's numbered steps name (the first code span of each step).
fn places() -> Vec<String> {
    let architecture = std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).unwrap();
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Adding a kind"))
        .expect("ARCHITECTURE.md has an `## Adding a kind` section");
    section
        .lines()
        .filter(|line| {
            line.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|line| line.split('`').nth(1).map(str::to_owned))
        .collect()
}

/// The folder a place is in: a folder itself, or a file's folder.
fn folder(place: &str) -> &str {
    if place.ends_with('/') {
        place.trim_end_matches('/')
    } else {
        place.rsplit_once('/').map_or("", |(folder, _)| folder)
    }
}

#[test]
fn the_walk_through_is_short_and_leaves_the_relay_alone() {
    let places = places();
    assert!(
        places.len() >= 5,
        "the walk-through names too few places: {places:?}"
    );
    assert!(places.len() <= 7, "{} places: {places:?}", places.len());
    let folders: BTreeSet<&str> = places.iter().map(|p| folder(p)).collect();
    assert!(folders.len() <= 6, "{} folders: {folders:?}", folders.len());
    assert!(
        places.iter().all(|p| !p.starts_with("relay/")),
        "the relay must not need a change for a new kind: {places:?}"
    );
}

#[test]
fn every_place_it_names_exists_for_every_kind() {
    for kind in DeviceKind::ALL {
        for place in places() {
            let path = workspace().join(place.replace(EXAMPLE, kind.name()));
            assert!(path.exists(), "{kind}: {} does not exist", path.display());
            assert_eq!(path.is_dir(), place.ends_with('/'), "{}", path.display());
        }
    }
}

/// Product sources of a crate, as (path from the workspace, source without comments, strings
/// and unit tests).
fn product_sources(krate: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![workspace().join(krate).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" && name != "properties.rs" {
                let source = std::fs::read_to_string(&path).unwrap();
                let relative = path
                    .strip_prefix(workspace())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.push((relative, without_inline_modules(&strip(&source))));
            }
        }
    }
    found
}

#[test]
fn only_the_places_it_names_name_a_kind() {
    let places = places();
    let allowed = |file: &str, kind: DeviceKind| {
        places.iter().any(|place| {
            let place = place.replace(EXAMPLE, kind.name());
            if place.ends_with('/') {
                file.starts_with(&place)
            } else {
                file == place
            }
        })
    };
    let mut named = Vec::new();
    for krate in ["shared", "relay", "simulator", "frontend"] {
        for (file, source) in product_sources(krate) {
            // The relay's demo starts one simulated device of every kind: the one exception.
            if file == "relay/src/demo.rs" {
                continue;
            }
            for kind in DeviceKind::ALL {
                let variant = format!("DeviceKind::{kind:?}");
                if source.contains(&variant) && !allowed(&file, kind) {
                    named.push(format!("{file} names {variant}"));
                }
            }
        }
    }
    assert!(
        named.is_empty(),
        "kinds named outside the walk-through's places:\n{}",
        named.join("\n")
    );
}
