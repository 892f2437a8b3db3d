//! The built console: from a `dist/` folder, or embedded in the binary (feature `embed-app`).
//! Hashed assets (`frontend-<16 hex>.js`) are cached forever; `index.html` is revalidated on
//! every load and carries the app's Content-Security-Policy. Files come precompressed when the
//! build left `.br`/`.gz` variants beside them ([`precompressed`]); others are compressed by
//! the router (see [`crate::app`]).

use std::borrow::Cow;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::security_headers::app_csp;

#[path = "precompressed.rs"]
pub mod precompressed;

#[cfg(feature = "embed-app")]
static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../dist");

/// Where the app's files come from.
#[derive(Clone, Debug)]
pub enum AppFiles {
    /// A folder on disk (Trunk's `dist/`), read on each request so a rebuild shows at once.
    Dir(PathBuf),
    /// The `dist/` that was present when the relay was compiled.
    #[cfg(feature = "embed-app")]
    Embedded,
}

impl AppFiles {
    /// The embedded app, if this binary was built with `--features embed-app`.
    pub fn embedded() -> Option<Self> {
        #[cfg(feature = "embed-app")]
        {
            EMBEDDED
                .get_file("index.html")
                .is_some()
                .then_some(AppFiles::Embedded)
        }
        #[cfg(not(feature = "embed-app"))]
        {
            None
        }
    }

    /// A short description for the start-up log.
    pub fn describe(&self) -> String {
        match self {
            AppFiles::Dir(dir) => dir.display().to_string(),
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => "embedded in the binary".into(),
        }
    }

    /// Whether the source has an `index.html`.
    pub fn has_index(&self) -> bool {
        match self {
            AppFiles::Dir(dir) => dir.join("index.html").is_file(),
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => true,
        }
    }

    async fn read(&self, relative: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            AppFiles::Dir(dir) => {
                let path = dir.join(relative);
                let meta = tokio::fs::metadata(&path).await.ok()?;
                if !meta.is_file() {
                    return None;
                }
                tokio::fs::read(path).await.ok().map(Cow::Owned)
            }
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => EMBEDDED
                .get_file(relative)
                .map(|f| Cow::Borrowed(f.contents())),
        }
    }
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

/// Trunk names hashed assets `name-<16 hex>.ext` or `name-<16 hex>_bg.wasm`.
pub fn is_hashed_asset(file_name: &str) -> bool {
    let bytes = file_name.as_bytes();
    file_name.char_indices().any(|(i, c)| {
        c == '-'
            && bytes.len() > i + 17
            && bytes[i + 1..i + 17].iter().all(|b| b.is_ascii_hexdigit())
            && matches!(bytes[i + 17], b'.' | b'_')
    })
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

async fn index(files: &AppFiles) -> Response {
    let Some(bytes) = files.read("index.html").await else {
        return (
            StatusCode::NOT_FOUND,
            "The console is not built. Build it with `cargo xtask build` (or run `cargo xtask demo`).\n",
        )
            .into_response();
    };
    let html = String::from_utf8_lossy(&bytes).into_owned();
    let csp = HeaderValue::from_str(&app_csp(&html))
        .unwrap_or_else(|_| HeaderValue::from_static(crate::security_headers::LOCKED_DOWN_CSP));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_SECURITY_POLICY, csp)
        .body(Body::from(html))
        .unwrap_or_else(|_| not_found())
}

/// Fallback handler for `GET`/`HEAD` of anything that is not an API route.
pub async fn serve_app(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    request: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let Some(files) = &state.app_files else {
        return not_found();
    };
    let Some(rel) = relative_path(uri.path()) else {
        return not_found();
    };
    if rel.is_empty() || rel == "index.html" {
        return precompressed::prefer(files, "index.html", &request, index(files).await).await;
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
        // A path without an extension is a route of the app itself.
        None if !rel.rsplit('/').next().unwrap_or(rel).contains('.') => {
            precompressed::prefer(files, "index.html", &request, index(files).await).await
        }
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
        assert!(!is_hashed_asset("index.html"));
        assert!(!is_hashed_asset("favicon.ico"));
        assert!(!is_hashed_asset("my-file.js"));
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
