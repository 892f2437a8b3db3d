//! The console's weight as a browser downloads it: the wasm, js and css that the page loads,
//! fetched over HTTP from a running relay with `Accept-Encoding: br, gzip`, counting the body
//! bytes on the wire (after content coding, before decompression; headers left out).
//! `cargo xtask test` asserts [`BUDGET_BYTES`] on it after its Trunk build and `cargo xtask
//! bench` reports it against [`TARGET_BYTES`]: one function, [`served_weight`], for both.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::running_relay::RunningRelay;

/// The product owner's target for wasm + js + css on the wire (issue 11), in bytes.
pub const TARGET_BYTES: u64 = 200_000;

/// What `cargo xtask test` allows today for a load of the page, in bytes on the wire. History:
/// 268,065 B when the precompressed build landed (BIG-IP pages only); 331.8 KB once issue 9 gave
/// every device its session and a URL per page (`leptos_router`: about 32.6 KB of the 1,155 KB
/// of code before wasm-opt, so roughly 8 KB on the wire) and issue 10 added the BIG-IQ and FMC
/// pages; then 291,485 B with all three kinds in (wasm 280,697 B brotli, js 7,682 B, css
/// 3,106 B) after Leptos's erased views (−39.5 KB) paid for the router many times over; then
/// 255.5 KB (wasm 245.3 KB brotli, js 7.1 KB, css 3.1 KB) once the console followed the address
/// bar itself (`platform/location.rs`) instead of through `leptos_router` (−37 KB); then 247.3 KB
/// with the JS glue minified by terser, one web-sys `fetch` instead of gloo-net, no serde
/// buffering for the trust policy and no general sort; then 183.4 KB (main wasm 174.5 KB, js
/// 5.3 KB, split loader 0.5 KB, css 3.1 KB) once the pages' code moved into parts fetched when
/// a page first opens (`xtask/src/split.rs`); then 176.8 KB (main wasm 168.0 KB, js 5.2 KB,
/// split loader 0.7 KB, css 3.1 KB) when issue 24 brought back gloo-net, gave every kind's facts
/// to its profile and the relay's budget to the console (about +2.9 KB together), and moved the
/// trust panel, which only a device the relay does not trust yet shows, into a part (−9.4 KB).
/// The margin is room for small fixes, not for a page: a change that needs more must shrink the
/// console or raise this number on purpose. Lower it as the console moves further below
/// [`TARGET_BYTES`].
pub const BUDGET_BYTES: u64 = 184_000;

/// What `cargo xtask test` allows for the parts fetched later, all together (96.5 KB when they
/// were split off: all kinds' pages 61.1 KB, explorer 15.6 KB, activity 13.6 KB, shared code
/// 6.2 KB; 114.6 KB once the trust panel became a part of its own, 10.2 KB and 4.2 KB of code
/// only it uses), so a page that grows shows here instead of hiding behind the first load's
/// budget.
pub const PARTS_BUDGET_BYTES: u64 = 120_000;

/// The encodings a browser offers for these files.
const BROWSER_ACCEPT_ENCODING: &str = "br, gzip";

/// One file of the console as served.
pub struct ServedFile {
    /// The path the page asks for.
    pub path: String,
    /// `Content-Encoding` of the reply (`identity` when none).
    pub encoding: String,
    /// Body bytes on the wire.
    pub wire: u64,
    /// Body bytes without content coding.
    pub plain: u64,
    /// Its `Cache-Control`.
    pub cache: String,
}

/// The wasm, js and css the console's page loads, and the parts of the wasm it fetches later.
pub struct ServedWeight {
    /// What a load of the page downloads: its wasm, js (with the modules they import) and css.
    pub files: Vec<ServedFile>,
    /// Parts of the wasm fetched the first time one of their pages is shown (not in the total).
    pub later: Vec<ServedFile>,
}

impl ServedWeight {
    /// Bytes on the wire of a load of the page.
    pub fn total(&self) -> u64 {
        self.files.iter().map(|f| f.wire).sum()
    }

    /// Bytes on the wire of the parts fetched later.
    pub fn later_total(&self) -> u64 {
        self.later.iter().map(|f| f.wire).sum()
    }

    /// One line per file and a total, for the terminal.
    pub fn describe(&self) -> String {
        let lines = |files: &[ServedFile]| -> String {
            files
                .iter()
                .map(|f| {
                    format!(
                        "  {:<44} {:>9} B as {:<8} ({} B plain)\n",
                        f.path, f.wire, f.encoding, f.plain
                    )
                })
                .collect()
        };
        let mut out = lines(&self.files);
        out.push_str(&format!(
            "  total on the wire: {} B ({:.1} KB)",
            self.total(),
            self.total() as f64 / 1000.0
        ));
        if !self.later.is_empty() {
            out.push_str("\n  fetched when their pages first open (not in the total):\n");
            out.push_str(&lines(&self.later));
            out.push_str(&format!("  those parts: {} B", self.later_total()));
        }
        out
    }

    /// A Markdown table of the files, then one of the parts fetched later.
    pub fn markdown(&self) -> String {
        let mut out = table("file", &self.files, "total");
        if !self.later.is_empty() {
            out.push_str(
                "\nFetched the first time one of their pages is shown (not in the total above):\n\n",
            );
            out.push_str(&table("part", &self.later, "all parts"));
        }
        out
    }
}

/// A Markdown table of `files` with a total row.
fn table(heading: &str, files: &[ServedFile], total_label: &str) -> String {
    let mut out = format!(
        "| {heading} | served as | bytes on the wire | bytes plain |\n|---|---|---:|---:|\n"
    );
    for f in files {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.path, f.encoding, f.wire, f.plain
        ));
    }
    let wire: u64 = files.iter().map(|f| f.wire).sum();
    out.push_str(&format!(
        "| **{total_label}** | | **{wire}** ({:.1} KB) | {} |\n",
        wire as f64 / 1000.0,
        files.iter().map(|f| f.plain).sum::<u64>()
    ));
    out
}

/// An HTTP client for a relay on loopback: keep-alive, any status an answer, 30 s at most.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A reply: the body as sent, its `Content-Encoding` and its `Cache-Control`.
struct Fetched {
    body: Vec<u8>,
    encoding: String,
    cache: String,
}

/// GET `url` with `accept_encoding`.
fn fetch(agent: &ureq::Agent, url: &str, accept_encoding: &str) -> Result<Fetched> {
    let mut response = agent
        .get(url)
        .header("accept-encoding", accept_encoding)
        .call()
        .with_context(|| format!("GET {url}"))?;
    if response.status() != 200 {
        bail!("GET {url} answered {}", response.status());
    }
    let header = |name: &str, otherwise: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(otherwise)
            .to_owned()
    };
    let (encoding, cache) = (
        header("content-encoding", "identity"),
        header("cache-control", ""),
    );
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .with_context(|| format!("reading {url}"))?;
    Ok(Fetched {
        body,
        encoding,
        cache,
    })
}

/// The wasm, js and css paths a page refers to (in `href`s, quoted or not — a minified page
/// drops the quotes — and in Trunk's loader script).
pub fn page_assets(html: &str) -> Vec<String> {
    let mut assets: Vec<String> = Vec::new();
    for word in html.split(|c: char| c.is_whitespace() || "\"'=<>".contains(c)) {
        let is_asset =
            !word.is_empty() && [".wasm", ".js", ".css"].iter().any(|e| word.ends_with(e));
        if is_asset && !assets.iter().any(|a| a == word) {
            assets.push(word.to_owned());
        }
    }
    assets
}

/// The `"./…"` strings of a js module, split into the modules it imports statically
/// (`import … from "./x.js"`, `import "./x.js"`) and the wasm files it names (the split loader's
/// `new URL("./part.wasm", import.meta.url)`). A dynamic `import("./x.js")` is neither.
pub fn module_references(js: &str) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut wasm) = (Vec::new(), Vec::new());
    for (at, _) in js.match_indices("\"./") {
        let Some(len) = js[at + 1..].find('"') else {
            continue;
        };
        let path = &js[at + 1..at + 1 + len];
        let before = js[..at].trim_end();
        if path.ends_with(".js") && (before.ends_with("from") || before.ends_with("import")) {
            if !imports.iter().any(|p| p == path) {
                imports.push(path.to_owned());
            }
        } else if path.ends_with(".wasm") && !wasm.iter().any(|p| p == path) {
            wasm.push(path.to_owned());
        }
    }
    (imports, wasm)
}

/// GET one file as a browser would and as plain bytes.
fn served_file(agent: &ureq::Agent, base: &str, path: String) -> Result<(ServedFile, Vec<u8>)> {
    let url = match path.strip_prefix("./") {
        Some(rest) => format!("{base}/{rest}"),
        None if path.starts_with('/') => format!("{base}{path}"),
        None => format!("{base}/{path}"),
    };
    let wire = fetch(agent, &url, BROWSER_ACCEPT_ENCODING)?;
    let plain = fetch(agent, &url, "identity")?.body;
    let file = ServedFile {
        path,
        encoding: wire.encoding,
        wire: wire.body.len() as u64,
        plain: plain.len() as u64,
        cache: wire.cache,
    };
    Ok((file, plain))
}

/// What a browser downloads for the console from the relay at `base_url` (`http://host:port/`):
/// the page's wasm, js and css and the modules its js imports; the parts of the wasm the split
/// loader fetches later are listed apart.
pub fn served_weight(base_url: &str) -> Result<ServedWeight> {
    let agent = agent();
    let base = base_url.trim_end_matches('/');
    let page = fetch(&agent, &format!("{base}/"), "identity")?.body;
    let page = String::from_utf8(page).context("the console's page is not UTF-8")?;
    let assets = page_assets(&page);
    if [".wasm", ".js", ".css"]
        .iter()
        .any(|kind| !assets.iter().any(|a| a.ends_with(kind)))
    {
        bail!("the console's page names no wasm, js or css: {assets:?}\n{page}");
    }
    let mut queue = assets;
    let mut parts: Vec<String> = Vec::new();
    let mut files = Vec::new();
    let mut next = 0;
    while next < queue.len() {
        let path = queue[next].clone();
        next += 1;
        let (file, plain) = served_file(&agent, base, path)?;
        if file.path.ends_with(".js") {
            let (imports, wasm) = module_references(&String::from_utf8_lossy(&plain));
            // The page's modules are siblings at the root: `./x.js` is `/x.js`.
            for import in imports.into_iter().map(|p| format!("/{}", &p[2..])) {
                if !queue.contains(&import) {
                    queue.push(import);
                }
            }
            for part in wasm.into_iter().map(|p| format!("/{}", &p[2..])) {
                if !parts.contains(&part) && !queue.contains(&part) {
                    parts.push(part);
                }
            }
        }
        files.push(file);
    }
    let mut later = Vec::new();
    for path in parts {
        later.push(served_file(&agent, base, path)?.0);
    }
    Ok(ServedWeight { files, later })
}

/// `cargo xtask test`'s check: the weight served by `relay` (a built binary) for `dist`, within
/// [`BUDGET_BYTES`]; prints both the budget and the product target.
pub fn check_budget(relay: &Path, dist: &Path) -> Result<()> {
    let running = RunningRelay::start(relay, dist)?;
    let weight = served_weight(&running.url)?;
    println!(
        "console weight as served (wasm + js + css, Accept-Encoding: {BROWSER_ACCEPT_ENCODING}):\n{}",
        weight.describe()
    );
    println!(
        "  budget {BUDGET_BYTES} B for a load of the page and {PARTS_BUDGET_BYTES} B for the parts \
         (this test's limits), target {TARGET_BYTES} B (issue 11, reported by `cargo xtask bench`)"
    );
    if weight.total() > BUDGET_BYTES {
        bail!(
            "the console weighs {} B on the wire, over its {BUDGET_BYTES} B budget: a change made it heavier \
             (see the table above for which file grew)",
            weight.total()
        );
    }
    if weight.later.is_empty() {
        bail!("the console's js names no parts of the wasm to fetch later: was the wasm split?");
    }
    // Named after their bytes by the build (`split.rs`), so a browser keeps them across loads.
    if let Some(part) = weight.later.iter().find(|f| !f.cache.contains("immutable")) {
        bail!(
            "the part {} is served with Cache-Control {:?}, not immutable: every load would \
             fetch it again (is it named after its bytes, `<name>-<16 hex>.wasm`?)",
            part.path,
            part.cache
        );
    }
    if weight.later_total() > PARTS_BUDGET_BYTES {
        bail!(
            "the parts of the console fetched when their pages open weigh {} B, over their \
             {PARTS_BUDGET_BYTES} B budget: a page grew (see the table above)",
            weight.later_total()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trunks_assets_once_each() {
        let html = r#"<link rel="modulepreload" href="/frontend-1a2b.js" crossorigin="anonymous">
<link rel="preload" href="/frontend-1a2b_bg.wasm" as="fetch" type="application/wasm">
<link rel="stylesheet" href="/style-3c4d.css">
<script type="module">import init, * as bindings from '/frontend-1a2b.js';
const wasm = await init({ module_or_path: '/frontend-1a2b_bg.wasm' });</script>"#;
        assert_eq!(
            page_assets(html),
            [
                "/frontend-1a2b.js",
                "/frontend-1a2b_bg.wasm",
                "/style-3c4d.css"
            ]
        );
    }

    #[test]
    fn the_tables_list_the_first_load_and_the_parts_apart() {
        let file = |path: &str, wire, plain| ServedFile {
            cache: String::new(),
            path: path.into(),
            encoding: "br".into(),
            wire,
            plain,
        };
        let weight = ServedWeight {
            files: vec![file("/a.wasm", 1000, 3000), file("/a.js", 500, 900)],
            later: vec![file("/split_x.wasm", 200, 700)],
        };
        assert_eq!(weight.total(), 1500);
        assert_eq!(weight.later_total(), 200);
        assert_eq!(
            weight.markdown(),
            "| file | served as | bytes on the wire | bytes plain |\n|---|---|---:|---:|\n\
             | `/a.wasm` | br | 1000 | 3000 |\n| `/a.js` | br | 500 | 900 |\n\
             | **total** | | **1500** (1.5 KB) | 3900 |\n\
             \nFetched the first time one of their pages is shown (not in the total above):\n\n\
             | part | served as | bytes on the wire | bytes plain |\n|---|---|---:|---:|\n\
             | `/split_x.wasm` | br | 200 | 700 |\n\
             | **all parts** | | **200** (0.2 KB) | 700 |\n"
        );
        let terminal = weight.describe();
        assert!(
            terminal.contains("total on the wire: 1500 B (1.5 KB)"),
            "{terminal}"
        );
        assert!(terminal.ends_with("those parts: 200 B"), "{terminal}");
    }

    #[test]
    fn finds_the_modules_a_module_imports_and_the_parts_it_fetches() {
        let js = r#"import*as e from"./__wasm_split.js";import "./side.js";const a=import("./later.js");
            fetch(new URL("./split_tokens_1.wasm",import.meta.url));fetch(new URL("./chunk_2.wasm",import.meta.url));
            import { initSync } from "./frontend-0123456789abcdef.js";"#;
        let (imports, wasm) = module_references(js);
        assert_eq!(
            imports,
            [
                "./__wasm_split.js",
                "./side.js",
                "./frontend-0123456789abcdef.js"
            ]
        );
        assert_eq!(wasm, ["./split_tokens_1.wasm", "./chunk_2.wasm"]);
    }

    #[test]
    fn finds_the_assets_of_a_minified_page() {
        let html = "<title>Tokendeck</title><script type=module>import init, * as bindings \
            from '/frontend-1a2b.js';\nconst wasm = await init({ module_or_path: \
            '/frontend-1a2b_bg.wasm' });</script><link href=/style-3c4d.css \
            integrity=sha384-B89g rel=stylesheet><link crossorigin href=/frontend-1a2b.js \
            rel=modulepreload>";
        assert_eq!(
            page_assets(html),
            [
                "/frontend-1a2b.js",
                "/frontend-1a2b_bg.wasm",
                "/style-3c4d.css"
            ]
        );
    }
}
