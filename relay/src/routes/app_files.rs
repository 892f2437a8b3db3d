//! The console's files (`GET`/`HEAD` of anything that is not another route). Hashed assets
//! (`frontend-<hex hash>.js`) are cached forever; `index.html` is never stored when it carries the
//! inventory (below), else revalidated on every load, and carries the app's
//! Content-Security-Policy. Files come precompressed when the build left
//! `.br`/`.gz` variants beside them ([`precompressed`]); others are compressed (gzip) by the
//! router this returns. Any path under `/devices/` is a page of the app (the URL owns the page).
//!
//! Unless an access key guards the API, `index.html` goes out with the inventory in it
//! (`shared::wire::PageInventory`: what `/api/devices` and `/api/info` answer), so the app's first
//! render needs no round trip. Measured in cold loads of `/` in headless Chromium: the login form
//! is usable ~80 ms (about 30 %) sooner.

pub mod precompressed;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use shared::wire::PageInventory;
use tower_http::compression::CompressionLayer;

use super::devices::relay_info;
use crate::console::AppFiles;
use crate::error::RelayError;
use crate::guard::security_headers::{LOCKED_DOWN_CSP, app_csp};
use crate::inventory::Inventory;
use crate::state::AppState;

/// What the console's routes serve from.
#[derive(Clone)]
struct Console {
    /// The built app; `None` serves the API only.
    files: Option<AppFiles>,
    /// The inventory to write into `index.html`: `None` when an access key guards it (the page
    /// itself is served to anyone who reaches the relay; the key is the app's to send).
    inventory: Option<Arc<Inventory>>,
}

/// The console's files as the fallback of the whole relay.
pub fn router<S: Clone + Send + Sync + 'static>(state: &AppState) -> Router<S> {
    let console = Console {
        files: state.app_files.clone(),
        inventory: (!state.access.requires_key()).then(|| state.inventory.clone()),
    };
    Router::new()
        .fallback(any(serve_app).layer(CompressionLayer::new()))
        .with_state(console)
}

/// A safe relative file name from the request path, or `None` if it could escape the folder.
fn relative_path(path: &str) -> Option<&str> {
    let rel = path.strip_prefix('/').unwrap_or(path);
    let safe = !rel.contains(['\\', '\0', '%', ':'])
        && rel
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    (rel.is_empty() || safe).then_some(rel)
}

/// Trunk names hashed assets `name-<hash>.ext` or `name-<hash>_bg.wasm`, the hash a 64-bit
/// number in hex without leading zeros: 16 digits, and now and then fewer (one build in 16 has
/// 15). Twelve to sixteen hex digits count as a hash.
pub fn is_hashed_asset(file_name: &str) -> bool {
    file_name.match_indices('-').any(|(i, _)| {
        let rest = &file_name.as_bytes()[i + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        (12..=16).contains(&digits) && matches!(rest.get(digits), Some(b'.' | b'_'))
    })
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// `index.html` with its Content-Security-Policy (hashes of its own inline scripts, computed
/// before the inventory goes in: that element is data, never run) and, if the console has one
/// to give, the inventory — then compressed per request, since no variant built ahead has it,
/// and never stored: Back to a stored copy would show the inventory as it was (an old pin, a
/// device since removed). Without it, `no-cache`: revalidated on every load.
async fn index(console: &Console, files: &AppFiles, request: &HeaderMap) -> Response {
    let Some(bytes) = files.read("index.html").await else {
        return (
            StatusCode::NOT_FOUND,
            "The console is not built. Build it with `cargo xtask build` (or run `cargo xtask demo`).\n",
        )
            .into_response();
    };
    let html = String::from_utf8_lossy(&bytes).into_owned();
    let csp = HeaderValue::from_str(&app_csp(&html))
        .unwrap_or_else(|_| HeaderValue::from_static(LOCKED_DOWN_CSP));
    let page = |html: String, cache: &'static str| {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, cache)
            .header(header::CONTENT_SECURITY_POLICY, csp)
            .body(Body::from(html))
            .unwrap_or_else(|_| not_found())
    };
    match &console.inventory {
        Some(inventory) => {
            let carried = PageInventory {
                devices: inventory.summaries(),
                info: relay_info(inventory),
            };
            // At the very end, so no `</head>` inside a comment or script can mislead where it
            // goes (the app's module script runs after the whole page is parsed).
            page(html + &carried.script_element(), "no-store")
        }
        None => precompressed::prefer(files, "index.html", request, page(html, "no-cache")).await,
    }
}

/// Whether a request path is one of the app's own pages (served `index.html`): `/devices/…`,
/// whatever the device id holds, or any path whose last segment has no file extension.
fn is_app_route(rel: &str) -> bool {
    rel.starts_with("devices/") || !rel.rsplit('/').next().unwrap_or(rel).contains('.')
}

/// Fallback handler for `GET`/`HEAD` of anything that is not an API route.
async fn serve_app(
    State(console): State<Console>,
    method: Method,
    uri: Uri,
    request: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return RelayError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, HEAD",
        }
        .into_response();
    }
    let Some(files) = &console.files else {
        return not_found();
    };
    let Some(rel) = relative_path(uri.path()) else {
        return not_found();
    };
    if rel.is_empty() || rel == "index.html" {
        return index(&console, files, &request).await;
    }
    match files.read(rel).await {
        Some(bytes) => {
            let mime = mime_guess::from_path(rel).first_or_octet_stream();
            let file_name = rel.rsplit('/').next().unwrap_or(rel);
            let cache = if is_hashed_asset(file_name) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let plain = Response::builder()
                .header(header::CONTENT_TYPE, mime.as_ref())
                .header(header::CACHE_CONTROL, cache)
                .body(Body::from(bytes.into_owned()))
                .unwrap_or_else(|_| not_found());
            precompressed::prefer(files, rel, &request, plain).await
        }
        None if is_app_route(rel) => index(&console, files, &request).await,
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed_asset("frontend-6f5e2501b135377d.js"));
        assert!(is_hashed_asset("frontend-6f5e2501b135377d_bg.wasm"));
        assert!(is_hashed_asset("style-d41e80af1e23afaa.css"));
        // A hash with a leading zero is written with fewer digits.
        assert!(is_hashed_asset("frontend-f03a070bbb85ce4.js"));
        assert!(is_hashed_asset("frontend-f03a070bbb85ce4_bg.wasm"));
        assert!(!is_hashed_asset("frontend-deadbeef.js"));
        assert!(!is_hashed_asset("frontend-6f5e2501b135377d0.js"));
        assert!(!is_hashed_asset("index.html"));
        assert!(!is_hashed_asset("favicon.ico"));
        assert!(!is_hashed_asset("my-file.js"));
    }

    #[test]
    fn device_pages_are_the_app_whatever_the_id() {
        assert!(is_app_route("devices/bigip1.lab/tokens"));
        assert!(is_app_route("devices/lab.example.com"));
        assert!(is_app_route("activity"));
        assert!(!is_app_route("frontend-0123456789abcdef.js"));
    }

    #[test]
    fn refuses_paths_that_could_leave_the_folder() {
        assert_eq!(relative_path("/"), Some(""));
        assert_eq!(relative_path("/a/b.js"), Some("a/b.js"));
        for bad in [
            "/../x",
            "/a/../../x",
            "/%2e%2e/x",
            "/a\\b",
            "//etc/passwd",
            "/c:/x",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }
}
