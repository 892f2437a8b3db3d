//! No import cycles in the product code, and the layers ARCHITECTURE.md states hold.
//!
//! For each product crate, over its own sources: an edge goes from a module to every module it
//! *uses* — `use` trees and inline `crate::` / `super::` / `self::` / `<child>::` paths, followed
//! through `pub use` re-exports to the module that defines the item. Only `mod` declarations and
//! `pub use` lines are not uses (a parent names and re-exports its children; that is not
//! depending on them). Parent↔child uses count like any other: a parent that calls into a child
//! which reads the parent's types back is a circle, and is reported as one.
//!
//! The layer rules are read from ARCHITECTURE.md (its `## Layers` section, one line per crate:
//! `` - `crate`: `a` never uses `b`, `c`; … ``), so the map and the check cannot drift apart:
//! no module under `a` reaches a module under `b` through any chain of uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use e2e::source::{starts_word, strip, without_inline_modules};

type Module = Vec<String>;

/// Every module of a crate (`src/…`), with its source stripped of comments and strings. Where
/// the crate has a library, `main.rs` is a binary of its own that reaches the library only
/// through its public paths, so it is left out.
fn modules(root: &Path) -> BTreeMap<Module, String> {
    let has_lib = root.join("lib.rs").exists();
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !(has_lib && path == root.join("main.rs"))
            {
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
                let source = strip(&std::fs::read_to_string(&path).unwrap());
                found.insert(module, without_inline_modules(&source));
            }
        }
    }
    found
}

/// The source with its `use` statements blanked (they are read as trees, not inline paths).
fn without_uses(source: &str) -> String {
    let mut out = source.to_owned();
    for (i, _) in source.match_indices("use ") {
        if starts_word(source, i)
            && let Some(end) = source[i..].find(';')
        {
            out.replace_range(i..i + end, &" ".repeat(end));
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

/// The crate path a path written in `from` names, if it names one of this crate's modules.
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

/// The `use` trees of a source: `(is a re-export, path)`.
fn use_trees(source: &str) -> Vec<(bool, String)> {
    let mut found = Vec::new();
    for (i, _) in source.match_indices("use ") {
        if !starts_word(source, i) {
            continue;
        }
        let before = source[..i].trim_end();
        // `pub use`, `pub(crate) use`, `pub(super) use`: a re-export.
        let public = before.ends_with("pub") || (before.ends_with(')') && before.contains("pub("));
        if let Some(end) = source[i..].find(';') {
            found.extend(
                expand(&source[i + 4..i + end])
                    .into_iter()
                    .map(|p| (public, p)),
            );
        }
    }
    found
}

/// Paths written inline: `crate::…`, `super::…`, `self::…`, and `child::…` for the module's
/// own children.
fn inline_paths(source: &str, children: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let starts = [
        "crate::".to_owned(),
        "super::".to_owned(),
        "self::".to_owned(),
    ];
    let children = children.iter().map(|c| format!("{c}::"));
    for start in starts.into_iter().chain(children) {
        for (i, _) in source.match_indices(&start) {
            if !starts_word(source, i) || source[..i].ends_with("::") {
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

/// A crate's modules and who uses whom.
struct Graph {
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

impl Graph {
    fn of(src: &Path) -> Self {
        let all = modules(src);
        // (module, name) → where a `pub use` in that module points.
        let mut reexports = BTreeMap::new();
        for (module, source) in &all {
            for (public, path) in use_trees(source) {
                if !public {
                    continue;
                }
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
            let children: Vec<String> = all
                .keys()
                .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
                .map(|m| m.last().unwrap().clone())
                .collect();
            let written = use_trees(source)
                .into_iter()
                .filter(|(public, _)| !public)
                .map(|(_, path)| path)
                .chain(inline_paths(&without_uses(source), &children));
            let targets = edges.entry(module.clone()).or_default();
            for path in written {
                let Some(target) = absolute(module, &path, &all).map(&resolve) else {
                    continue;
                };
                if target != *module {
                    targets.insert(target);
                }
            }
        }
        Self { edges }
    }

    fn len(&self) -> usize {
        self.edges.len()
    }

    /// Every module `start` reaches through uses.
    fn reach(&self, start: &Module) -> BTreeSet<Module> {
        let (mut seen, mut stack) = (BTreeSet::new(), vec![start.clone()]);
        while let Some(module) = stack.pop() {
            for next in self.edges.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    }

    /// The modules on an import cycle, each cycle once, as `a → b → … → a`.
    fn cycles(&self) -> Vec<String> {
        let mut reported: BTreeSet<Module> = BTreeSet::new();
        let mut cycles = Vec::new();
        for start in self.edges.keys() {
            if reported.contains(start) || !self.reach(start).contains(start) {
                continue;
            }
            // The shortest way back to `start`, for the message.
            let mut back: BTreeMap<Module, Module> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start.clone()]);
            let mut last = None;
            'search: while let Some(module) = queue.pop_front() {
                for next in self.edges.get(&module).into_iter().flatten() {
                    if next == start {
                        last = Some(module.clone());
                        break 'search;
                    }
                    if !back.contains_key(next) {
                        back.insert(next.clone(), module.clone());
                        queue.push_back(next.clone());
                    }
                }
            }
            let mut path = vec![start.clone()];
            let mut at = last.unwrap();
            while at != *start {
                path.push(at.clone());
                at = back[&at].clone();
            }
            path[1..].reverse();
            path.push(start.clone());
            reported.extend(path.iter().cloned());
            let names: Vec<String> = path.iter().map(name).collect();
            cycles.push(names.join(" → "));
        }
        cycles
    }
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

/// `a::b` as a module path.
fn module_of(text: &str) -> Module {
    text.split("::").map(str::to_owned).collect()
}

/// One "never" rule: no module under `from` reaches a module under `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    krate: String,
    from: Module,
    to: Module,
}

/// The rules in a `## Layers` section: `` - `crate`: `a` never uses `b`, `c`; `d` never uses `e`. ``
fn rules(architecture: &str) -> Vec<Rule> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let ticked = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut rules = Vec::new();
    for line in section.lines() {
        let Some(line) = line.trim().strip_prefix("- `") else {
            continue;
        };
        let Some((krate, clauses)) = line.split_once("`:") else {
            continue;
        };
        for clause in clauses
            .split(';')
            .filter(|c| !c.trim().trim_end_matches('.').is_empty())
        {
            let Some((from, to)) = clause.split_once(" never uses ") else {
                panic!(
                    "ARCHITECTURE.md: a layer rule that does not read `a` never uses `b`: {clause}"
                );
            };
            for from in ticked(from) {
                for to in ticked(to) {
                    rules.push(Rule {
                        krate: krate.to_owned(),
                        from: module_of(&from),
                        to: module_of(&to),
                    });
                }
            }
        }
    }
    rules
}

/// Uses that break a rule: `from-module → to-module` for each module under `rule.from` that
/// reaches one under `rule.to`. Unit-test modules (`…::tests`) may reach across layers: a
/// neutral rule is best tested with every kind's real data.
fn broken(graph: &Graph, rule: &Rule) -> Vec<String> {
    let mut found = Vec::new();
    let product = |m: &&Module| !m.iter().any(|segment| segment == "tests");
    for module in graph
        .edges
        .keys()
        .filter(|m| m.starts_with(&rule.from))
        .filter(product)
    {
        for reached in graph.reach(module) {
            if reached.starts_with(&rule.to) {
                found.push(format!("{} reaches {}", name(module), name(&reached)));
            }
        }
    }
    found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The product crates and the fewest modules each must have (so a moved folder is noticed).
const CRATES: [(&str, usize); 5] = [
    ("shared", 30),
    ("relay", 50),
    ("simulator", 50),
    ("frontend", 30),
    ("xtask", 4),
];

#[test]
fn no_product_module_uses_one_that_uses_it_back() {
    let mut problems = Vec::new();
    for (krate, at_least) in CRATES {
        let graph = Graph::of(&workspace().join(krate).join("src"));
        assert!(
            graph.len() >= at_least,
            "{krate}: only {} modules were found",
            graph.len()
        );
        problems.extend(graph.cycles().into_iter().map(|c| format!("{krate}: {c}")));
    }
    assert!(
        problems.is_empty(),
        "modules on an import cycle:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_layers_architecture_md_states_hold() {
    let architecture = std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).unwrap();
    let rules = rules(&architecture);
    let mut problems = Vec::new();
    for (krate, _) in CRATES {
        let graph = Graph::of(&workspace().join(krate).join("src"));
        for rule in rules.iter().filter(|r| r.krate == krate) {
            assert!(
                graph.edges.keys().any(|m| m.starts_with(&rule.from))
                    && graph.edges.keys().any(|m| m.starts_with(&rule.to)),
                "{krate}: the rule {rule:?} names a module that does not exist"
            );
            problems.extend(
                broken(&graph, rule)
                    .into_iter()
                    .map(|b| format!("{krate}: {b}")),
            );
        }
    }
    let crates: BTreeSet<&str> = rules.iter().map(|r| r.krate.as_str()).collect();
    for krate in ["shared", "relay", "frontend"] {
        assert!(
            crates.contains(krate),
            "ARCHITECTURE.md states no layers for {krate}"
        );
    }
    assert!(
        problems.is_empty(),
        "uses across a layer ARCHITECTURE.md says never happens:\n{}",
        problems.join("\n")
    );
}

/// A crate written to a temporary folder, for the checks' own tests.
fn planted(files: &[(&str, &str)]) -> (tempfile::TempDir, Graph) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let graph = Graph::of(dir.path());
    (dir, graph)
}

#[test]
fn the_check_finds_a_cycle_between_siblings() {
    let (_dir, graph) = planted(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        ("a.rs", "use crate::b::B;\npub struct A;\n"),
        ("b.rs", "use crate::a::A;\npub struct B;\n"),
    ]);
    assert_eq!(graph.cycles(), ["a → b → a"]);
}

#[test]
fn the_check_finds_a_cycle_between_a_parent_and_its_child() {
    // The parent calls into its child by an inline path; the child reads the parent's type.
    let (_dir, graph) = planted(&[
        ("lib.rs", "mod kinds;\n"),
        (
            "kinds.rs",
            "mod one;\npub struct Profile;\npub fn profile() -> &'static Profile { &one::PROFILE }\n",
        ),
        (
            "kinds/one.rs",
            "use super::Profile;\npub static PROFILE: Profile = Profile;\n",
        ),
    ]);
    assert_eq!(graph.cycles(), ["kinds → kinds::one → kinds"]);
    // A parent that only declares and re-exports its child is not on a cycle.
    let (_dir, graph) = planted(&[
        ("lib.rs", "mod kinds;\n"),
        (
            "kinds.rs",
            "mod one;\nmod profile;\npub use one::PROFILE;\npub use profile::Profile;\n",
        ),
        ("kinds/profile.rs", "pub struct Profile;\n"),
        (
            "kinds/one.rs",
            "use super::Profile;\npub static PROFILE: Profile = Profile;\n",
        ),
    ]);
    assert_eq!(graph.cycles(), Vec::<String>::new());
}

#[test]
fn the_check_finds_the_circle_the_console_had_through_its_router() {
    // The console before issue 24: the router shows the kinds' pages, a kind's page is made of
    // the generic collection page, and that page wrote links with the router's `page_href`.
    let (_dir, graph) = planted(&[
        ("main.rs", "mod devices;\nmod pages;\nmod routes;\n"),
        (
            "routes.rs",
            "use crate::devices;\npub fn page_href() {}\nfn show() { devices::page(); }\n",
        ),
        ("devices.rs", "mod fmc;\npub fn page() { fmc::page() }\n"),
        (
            "devices/fmc.rs",
            "use crate::pages::collection::CollectionPage;\npub fn page() {}\n",
        ),
        ("pages.rs", "pub mod collection;\n"),
        (
            "pages/collection.rs",
            "use crate::routes::page_href;\npub struct CollectionPage;\n",
        ),
    ]);
    assert_eq!(
        graph.cycles(),
        ["devices → devices::fmc → pages::collection → routes → devices"]
    );
}

#[test]
fn layer_rules_are_read_from_the_map_and_checked_through_chains() {
    let map = "# Architecture\n\n## Layers\n\n- `app`: `low` never uses `high`, `top::x`; `mid` never uses `top`.\n\n## Other\n- `app`: `a` never uses `b`.\n";
    let rules = rules(map);
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert_eq!(rules[1].to, module_of("top::x"));
    let (_dir, graph) = planted(&[
        ("lib.rs", "mod high;\nmod low;\nmod mid;\nmod top;\n"),
        ("low.rs", "use crate::mid::M;\n#[cfg(test)]\nmod tests;\n"),
        ("low/tests.rs", "use crate::high::h;\n"),
        ("mid.rs", "pub struct M;\nfn f() { crate::high::h(); }\n"),
        ("high.rs", "pub fn h() {}\n"),
        ("top.rs", "pub mod x;\n"),
        ("top/x.rs", "use crate::low;\n"),
    ]);
    assert_eq!(broken(&graph, &rules[0]), ["low reaches high"]);
    assert!(broken(&graph, &rules[1]).is_empty());
    assert!(broken(&graph, &rules[2]).is_empty());
}
