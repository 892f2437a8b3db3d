//! No import cycles in the product code (issue 9): for each product crate, checked over its own
//! sources.
//!
//! Edges come from `use` trees and inline `crate::` / `super::` / `self::` paths, followed
//! through `pub use` re-exports to the module that defines the item. Edges between a module
//! and its own ancestors are not counted: a parent owns its children (routes them, re-exports
//! them) and children read their parent's state type. Every other pair of modules must not
//! depend on each other, directly or around a longer loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn modules(root: &Path) -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().with_extension("");
                let mut module: Module = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                found.insert(module, strip(&std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found
}

/// The source without comments and string literals.
fn strip(source: &str) -> String {
    let (mut out, mut chars) = (String::new(), source.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let (prefix, inner) = (&tree[..open], &tree[open + 1..tree.rfind('}').unwrap()]);
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

fn absolute(from: &Module, path: &str, all: &BTreeMap<Module, String>) -> Option<Module> {
    let segments: Vec<String> = path
        .split("::")
        .map(|s| s.split(" as ").next().unwrap().trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let (mut base, rest) = match segments.first()?.as_str() {
        "crate" => (Vec::new(), &segments[1..]),
        "self" => (from.clone(), &segments[1..]),
        "super" => {
            let mut base = from.clone();
            let ups = segments.iter().take_while(|s| *s == "super").count();
            base.truncate(base.len().saturating_sub(ups));
            (base, &segments[ups..])
        }
        first => {
            let mut child = from.clone();
            child.push(first.to_owned());
            if !all.contains_key(&child) {
                return None;
            }
            (from.clone(), &segments[..])
        }
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

fn uses(source: &str, public_only: bool) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in source.match_indices("use ") {
        let before = source[..i].trim_end();
        let is_pub = before.ends_with("pub") || before.ends_with(')');
        let word_start =
            i == 0 || !source[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if !word_start || (public_only && !is_pub) {
            continue;
        }
        if let Some(end) = source[i..].find(';') {
            found.extend(expand(&source[i + 4..i + end]));
        }
    }
    found
}

fn inline_paths(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (i, _) in source.match_indices(start) {
            if source[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let end = source[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(source.len(), |e| i + e);
            found.push(source[i..end].trim_end_matches(':').to_owned());
        }
    }
    found
}

/// The modules of the crate at `crate_dir` that sit on an import cycle.
fn modules_on_cycles(crate_dir: &str, at_least: usize) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("src");
    let all = modules(&root);
    // (module, name) → where a `pub use` points.
    let mut reexports = BTreeMap::new();
    for (module, source) in &all {
        for path in uses(source, true) {
            if let Some(target) = absolute(module, &path, &all) {
                let mut key = module.clone();
                key.push(target.last().unwrap().clone());
                reexports.insert(key, target);
            }
        }
    }
    let resolve = |mut path: Module| -> Module {
        for _ in 0..10 {
            let mut known = path.len();
            while known > 0 && !all.contains_key(&path[..known]) {
                known -= 1;
            }
            let module = path[..known].to_vec();
            match path.get(known) {
                Some(item) => {
                    let mut key = module.clone();
                    key.push(item.clone());
                    match reexports.get(&key) {
                        Some(target) if *target != path => path = target.clone(),
                        _ => return module,
                    }
                }
                None => return module,
            }
        }
        path
    };
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, source) in &all {
        let targets = edges.entry(module.clone()).or_default();
        for path in uses(source, false).into_iter().chain(inline_paths(source)) {
            let Some(target) = absolute(module, &path, &all).map(&resolve) else {
                continue;
            };
            if !(target.starts_with(module) || module.starts_with(&target)) {
                targets.insert(target);
            }
        }
    }
    assert!(
        edges.len() >= at_least,
        "{crate_dir}: only {} modules were found",
        edges.len()
    );
    // A module is on a cycle when it can reach itself.
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let (mut seen, mut stack) = (BTreeSet::new(), vec![start.clone()]);
        while let Some(module) = stack.pop() {
            for next in edges.get(&module).into_iter().flatten() {
                if next == start {
                    cycles.push(start.join("::"));
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
    }
    cycles.dedup();
    cycles
}

#[test]
fn no_product_module_depends_on_another_that_depends_back() {
    for (crate_dir, at_least) in [
        ("shared", 25),
        ("relay", 40),
        ("simulator", 40),
        ("frontend", 25),
        ("xtask", 4),
    ] {
        let cycles = modules_on_cycles(crate_dir, at_least);
        assert!(
            cycles.is_empty(),
            "{crate_dir}: modules on an import cycle: {cycles:?}"
        );
    }
}

#[test]
fn the_check_finds_a_cycle() {
    // Two modules that import each other, as files on disk, must be reported.
    let dir = std::env::temp_dir().join(format!("tokendeck-cycle-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::B;\npub struct A;\n").unwrap();
    std::fs::write(src.join("b.rs"), "use crate::a::A;\npub struct B;\n").unwrap();
    let relative = pathdiff(&dir);
    let cycles = modules_on_cycles(&relative, 2);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(cycles, vec!["a".to_string(), "b".to_string()]);
}

/// `dir` relative to this crate's parent (the workspace root).
fn pathdiff(dir: &Path) -> String {
    let ups = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .components()
        .count();
    let mut relative = "../".repeat(ups);
    relative.push_str(dir.to_str().unwrap().trim_start_matches('/'));
    relative
}
