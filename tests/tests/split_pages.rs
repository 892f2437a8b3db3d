//! The pages' parts of the wasm are fetched the first time one of their pages is shown
//! (`xtask/src/split.rs`): a part the relay cannot give is an error on that page, in words, and
//! the rest of the console goes on working; a part fetched once is kept by the browser.

use e2e::{Browser, Stack, StackOptions, dist_dir};
use shared::wire::DeviceKind;

/// A copy of the built console without the files whose names start with `missing` (a part and
/// its compressed variants: the build names each part `<name>-<hash>.wasm`).
fn console_without(missing: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    let mut left_out = 0;
    for entry in std::fs::read_dir(dist_dir()).expect("the built console") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(missing) {
            left_out += 1;
        } else if path.is_file() {
            std::fs::copy(&path, copy.path().join(&name)).unwrap();
        }
    }
    assert!(
        left_out > 0,
        "the built console has no {missing}* to leave out"
    );
    copy
}

/// A browser signed in to the simulated BIG-IP, showing its tokens page (so the part with the
/// kinds' pages has been fetched).
async fn on_the_tokens_page(stack: &Stack) -> Browser {
    let browser = Browser::start_signed_in(
        &stack.page_of(DeviceKind::Bigip, "tokens"),
        "admin",
        "admin",
    )
    .await
    .unwrap();
    browser.text_of("#token-table").await.unwrap();
    browser
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_part_cannot_be_fetched_says_so_and_the_rest_goes_on() {
    let console = console_without("split_explorer-");
    let stack = Stack::start_with_options(StackOptions {
        dist: Some(console.path().to_path_buf()),
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    // The kinds' pages come in their own part: fetched, shown.
    let browser = on_the_tokens_page(&stack).await;

    browser.click("#tab-explorer").await.unwrap();
    let said = browser
        .wait_text("#page-not-fetched", |t| !t.is_empty())
        .await
        .unwrap();
    assert!(said.contains("could not be fetched"), "{said}");
    assert!(said.contains("reload"), "{said}");
    // The line that said the page was being fetched is gone.
    assert!(!browser.exists("#page-fetching").await.unwrap());

    // Still signed in; the other pages work.
    browser.click("#tab-version").await.unwrap();
    browser.text_of("#version-table").await.unwrap();
    assert!(browser.exists("#session-token").await.unwrap());
    browser.close().await.unwrap();
}

/// The bytes each of the page's resources whose name holds `needle` took from the network
/// (`transferSize`: 0 when the browser's cache answered).
async fn transferred(browser: &Browser, needle: &str) -> Vec<f64> {
    let sizes = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
               .filter(r => r.name.includes(arguments[0]))
               .map(r => r.transferSize);",
            vec![needle.into()],
        )
        .await
        .unwrap();
    sizes
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_fetched_once_comes_from_the_browsers_cache_after_a_reload() {
    let stack = Stack::start().await.expect("stack");
    let browser = on_the_tokens_page(&stack).await;
    let first = transferred(&browser, "/split_kind_pages-").await;
    assert!(
        first.len() == 1 && first[0] > 0.0,
        "the first load fetches the kinds' pages once, from the relay: {first:?}"
    );

    // The tab keeps its session across the reload, so the same page opens again.
    browser.client.refresh().await.unwrap();
    browser.text_of("#token-table").await.unwrap();
    let again = transferred(&browser, "/split_kind_pages-").await;
    assert_eq!(
        again,
        [0.0],
        "after a reload the part must come from the browser's cache (served immutable under a \
         name made from its bytes), not from the relay"
    );
    browser.close().await.unwrap();
}
