//! The console's wasm in parts: Trunk builds and names it, then this cuts cargo's wasm along its
//! `wasm_split` functions (`frontend/src/routes.rs`) with `wasm-split-cli` — the main module
//! (frame, device list, login form, session shell) and one part per group of pages, each fetched
//! the first time one of its pages is shown — and redoes the two steps Trunk did after cargo:
//! wasm-bindgen (keeping the exports the parts link against) and wasm-opt, on every module.
//! Trunk cannot split (it runs wasm-bindgen on cargo's output directly), so its main js and wasm
//! are replaced under the names Trunk gave them and `index.html` stays as it wrote it. Each part
//! is then named after its bytes (`split_explorer-<16 hex>.wasm`), so the relay serves it as
//! immutable and a browser keeps it across loads; the split loader keeps its name (the main js
//! imports it, and the main wasm's imports are keyed by that same string) and, at 0.6 KB on the
//! wire, is fetched again on every load.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::content_hash::content_hash;
use crate::process::run;
use crate::tools::BuildTools;

/// The features the shipped wasm uses (Rust's wasm32 defaults), for wasm-opt.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// Trunk's name for the console's js, without `.js` (`frontend-<hash>`).
fn trunk_stem(dist: &Path) -> Result<String> {
    let mut stems = Vec::new();
    for entry in std::fs::read_dir(dist).with_context(|| format!("listing {}", dist.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".js")
            && stem.starts_with("frontend-")
        {
            stems.push(stem.to_owned());
        }
    }
    match stems.as_slice() {
        [one] => Ok(one.clone()),
        other => bail!("expected one frontend-<hash>.js from Trunk in dist/, found {other:?}"),
    }
}

/// wasm-opt at `-Oz`, also dropping the `producers` and `target_features` sections (which
/// toolchains built the module, what features it was built for: nothing a browser reads, ~200
/// bytes per module).
fn wasm_opt(tools: &BuildTools, input: &Path, output: &Path) -> Result<()> {
    run(Command::new("wasm-opt")
        .env("PATH", &tools.path)
        .arg("-Oz")
        .args(WASM_FEATURES)
        .args(["--strip-producers", "--strip-target-features"])
        .arg(input)
        .arg("-o")
        .arg(output))
}

/// Replace Trunk's single wasm in `dist/` with the split one; `cargo_wasm` is cargo's output
/// (linked with `--emit-relocs`, see `.cargo/config.toml`).
pub fn split(cargo_wasm: &Path, dist: &Path, work: &Path, tools: &BuildTools) -> Result<()> {
    let stem = trunk_stem(dist)?;
    if work.exists() {
        std::fs::remove_dir_all(work).with_context(|| format!("removing {}", work.display()))?;
    }
    let parts = work.join("parts");
    let bound = work.join("bound");
    run(Command::new(&tools.wasm_split)
        .arg(cargo_wasm)
        .arg(&parts)
        .args(["--out-name", &stem]))?;
    run(Command::new("wasm-bindgen")
        .env("PATH", &tools.path)
        .args([
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-typescript",
            "--out-dir",
        ])
        .arg(&bound)
        .args(["--out-name", &stem])
        .arg(parts.join(format!("{stem}.wasm"))))?;
    std::fs::copy(
        bound.join(format!("{stem}.js")),
        dist.join(format!("{stem}.js")),
    )
    .context("copying the main js into dist/")?;
    wasm_opt(
        tools,
        &bound.join(format!("{stem}_bg.wasm")),
        &dist.join(format!("{stem}_bg.wasm")),
    )?;
    let mut later = 0;
    for entry in std::fs::read_dir(&parts)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name == format!("{stem}.wasm") {
            continue;
        }
        let target = dist.join(&name);
        if name.ends_with(".wasm") {
            drop_name_section(&path)?;
            wasm_opt(tools, &path, &target)?;
            later += 1;
        } else if name.ends_with(".js") {
            std::fs::copy(&path, &target).with_context(|| format!("copying {name}"))?;
        }
    }
    if later == 0 {
        bail!(
            "wasm-split-cli found no split points in {}",
            cargo_wasm.display()
        );
    }
    fingerprint_parts(dist, &stem)?;
    preload_loader(&dist.join("index.html"))
}

/// Remove the `name` section (function and local names, for debuggers) from the module at
/// `path`. The shipped wasm has none anyway (wasm-opt leaves names out unless asked), but
/// wasm-split-cli writes the parts' with a subsection binaryen does not know (id 3, labels), so
/// each wasm-opt run warned about it. The main module's names are rewritten by wasm-bindgen.
fn drop_name_section(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let kept = without_custom_section(&bytes, "name")
        .with_context(|| format!("reading the sections of {}", path.display()))?;
    std::fs::write(path, kept).with_context(|| format!("writing {}", path.display()))
}

/// `module` without its custom sections called `name`; every other byte as it was.
fn without_custom_section(module: &[u8], name: &str) -> Result<Vec<u8>> {
    const HEADER: usize = 8; // "\0asm" and the version
    if module.len() < HEADER || &module[..4] != b"\0asm" {
        bail!("not a wasm module");
    }
    let mut out = module[..HEADER].to_vec();
    let mut at = HEADER;
    while at < module.len() {
        let start = at;
        let id = module[at];
        let (size, body) = leb128(module, at + 1)?;
        let end = body
            .checked_add(size)
            .filter(|&end| end <= module.len())
            .context("a section runs past the end")?;
        let named = id == 0 && {
            let (len, text) = leb128(module, body)?;
            text.checked_add(len)
                .filter(|&to| to <= end)
                .map(|to| &module[text..to])
                == Some(name.as_bytes())
        };
        if !named {
            out.extend_from_slice(&module[start..end]);
        }
        at = end;
    }
    Ok(out)
}

/// The unsigned LEB128 number at `at` in `bytes`, and the index just past it.
fn leb128(bytes: &[u8], mut at: usize) -> Result<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at).context("a number runs past the end")?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
    bail!("a number longer than 5 bytes")
}

/// Rename every part in `dist/` (each `.wasm` but the main one) to `<name>-<hash>.wasm`, the
/// hash its [`content_hash`] (what the relay's `is_hashed_asset` serves as immutable), and point
/// the split loader at the new names.
fn fingerprint_parts(dist: &Path, stem: &str) -> Result<()> {
    let main = format!("{stem}_bg.wasm");
    // Listed before any is renamed: a directory read while its entries move may yield one twice.
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dist).with_context(|| format!("listing {}", dist.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".wasm") && name != main {
            parts.push(name);
        }
    }
    let mut renames = Vec::new();
    for name in parts {
        let path = dist.join(&name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {name}"))?;
        let renamed = format!(
            "{}-{}.wasm",
            name.trim_end_matches(".wasm"),
            content_hash(&bytes)
        );
        std::fs::rename(&path, dist.join(&renamed)).with_context(|| format!("renaming {name}"))?;
        renames.push((name, renamed));
    }
    let loader = dist.join(LOADER);
    let js = std::fs::read_to_string(&loader).with_context(|| format!("reading {LOADER}"))?;
    std::fs::write(&loader, with_part_names(&js, &renames)?)
        .with_context(|| format!("writing {LOADER}"))
}

/// The split loader `js` fetching each part by its new name: every `(old, new)` must be named
/// exactly once, as `"./old"`.
fn with_part_names(js: &str, renames: &[(String, String)]) -> Result<String> {
    let mut out = js.to_owned();
    for (old, new) in renames {
        let quoted = format!("\"./{old}\"");
        match out.matches(&quoted).count() {
            1 => out = out.replace(&quoted, &format!("\"./{new}\"")),
            n => bail!("the split loader names {quoted} {n} times, expected once"),
        }
    }
    Ok(out)
}

/// The split loader's file, which the main js imports.
const LOADER: &str = "__wasm_split.js";

/// Let the page fetch the split loader alongside the main js: the main js imports it, so
/// without this the browser learns of it only after the main js arrived, one more round trip
/// before the app can start.
fn preload_loader(index: &Path) -> Result<()> {
    let page = std::fs::read_to_string(index).context("reading dist/index.html")?;
    std::fs::write(index, with_loader_preload(&page)?).context("writing dist/index.html")
}

/// `page` with a `modulepreload` of the split loader at the end of its head (once).
fn with_loader_preload(page: &str) -> Result<String> {
    let link = format!("<link crossorigin href=/{LOADER} rel=modulepreload>");
    if page.contains(&link) {
        return Ok(page.to_owned());
    }
    let Some(at) = page.find("</head>") else {
        bail!("dist/index.html has no </head> to put the split loader's preload before");
    };
    Ok(format!("{}{link}{}", &page[..at], &page[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_fetches_each_part_by_its_new_name() {
        let js = r#"fetch(new URL("./chunk_4.wasm", import.meta.url));
fetch(new URL("./split_explorer.wasm", import.meta.url));"#;
        let renames = [
            (
                "chunk_4.wasm".to_owned(),
                "chunk_4-0123456789abcdef.wasm".to_owned(),
            ),
            (
                "split_explorer.wasm".to_owned(),
                "split_explorer-fedcba9876543210.wasm".to_owned(),
            ),
        ];
        assert_eq!(
            with_part_names(js, &renames).unwrap(),
            r#"fetch(new URL("./chunk_4-0123456789abcdef.wasm", import.meta.url));
fetch(new URL("./split_explorer-fedcba9876543210.wasm", import.meta.url));"#
        );
        // A part the loader does not name (or names twice) is a build that went wrong.
        let missing = [(
            "chunk_9.wasm".to_owned(),
            "chunk_9-0123456789abcdef.wasm".to_owned(),
        )];
        assert!(with_part_names(js, &missing).is_err());
        let twice = format!("{js}{js}");
        assert!(with_part_names(&twice, &renames).is_err());
    }

    #[test]
    fn a_custom_section_is_dropped_by_name_and_nothing_else_changes() {
        // Header; a type section (id 1, 4 bytes); custom "name" (5 bytes: len 4, "name");
        // custom "names" (6 bytes), which is not it; a custom "name" of 130 bytes, whose size
        // takes two LEB128 bytes.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let types = [1, 4, 1, 0x60, 0, 0];
        module.extend(types);
        module.extend([0, 5, 4]);
        module.extend(b"name");
        let names = [0, 6, 5, b'n', b'a', b'm', b'e', b's'];
        module.extend(names);
        module.extend([0, 0x82, 0x01, 4]);
        module.extend(b"name");
        module.extend([0xaa; 125]);
        let mut expected = b"\0asm\x01\0\0\0".to_vec();
        expected.extend(types);
        expected.extend(names);
        assert_eq!(without_custom_section(&module, "name").unwrap(), expected);
        // A module without one comes back as it was.
        assert_eq!(without_custom_section(&expected, "name").unwrap(), expected);
        // A section longer than the file, or no wasm header, is an error, not a guess.
        assert!(without_custom_section(&module[..module.len() - 1], "name").is_err());
        assert!(without_custom_section(b"\0asn\x01\0\0\0", "name").is_err());
    }

    #[test]
    fn the_page_preloads_the_split_loader_once() {
        let page = "<link crossorigin href=/frontend-0123456789abcdef.js rel=modulepreload></head><body></body>";
        let once = with_loader_preload(page).unwrap();
        assert_eq!(
            once,
            "<link crossorigin href=/frontend-0123456789abcdef.js rel=modulepreload>\
             <link crossorigin href=/__wasm_split.js rel=modulepreload></head><body></body>"
        );
        assert_eq!(with_loader_preload(&once).unwrap(), once);
        assert!(with_loader_preload("<body></body>").is_err());
    }
}
