//! Precompressed variants of the console's files: `cargo xtask build` writes `<file>.br`
//! (brotli, best quality) and `<file>.gz` (gzip -9) beside each compressible file once, and the
//! relay sends the best one the request's `Accept-Encoding` allows instead of compressing per
//! request. Brotli is preferred to gzip at equal weight; a coding the client ranks below
//! `identity` is not sent. Files without variants are left to the router's `CompressionLayer`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::console::AppFiles;

/// A content coding the build precompresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// Best first, for equal q-values.
    const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// What the build appends to a file name for this variant.
    pub fn file_suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }

    fn matches(self, coding: &str) -> bool {
        match self {
            Encoding::Brotli => coding.eq_ignore_ascii_case("br"),
            Encoding::Gzip => {
                coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip")
            }
        }
    }
}

/// A q-value in thousandths (RFC 9110 §12.4.2); anything unreadable counts as 0, "not
/// acceptable", so a garbled header falls back to the uncompressed file.
fn q_value(params: &str) -> u16 {
    let mut q = 1000;
    for param in params.split(';') {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_q(value.trim()).unwrap_or(0);
        }
    }
    q
}

fn parse_q(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The precompressed codings `accept_encoding` allows, best first: highest q-value first,
/// brotli before gzip on a tie, none with q=0 (explicitly or through `*;q=0`), and none the
/// client ranks below an explicit `identity`. Empty: send the file as it is.
pub fn preferred(accept_encoding: &str) -> Vec<Encoding> {
    let mut star = None;
    let mut identity = None;
    let mut explicit: [Option<u16>; 2] = [None; 2];
    for element in accept_encoding.split(',') {
        let (coding, params) = element.split_once(';').unwrap_or((element, ""));
        let coding = coding.trim();
        let q = q_value(params);
        if coding == "*" {
            star = Some(q);
        } else if coding.eq_ignore_ascii_case("identity") {
            identity = Some(q);
        } else if let Some(i) = Encoding::ALL.iter().position(|e| e.matches(coding)) {
            explicit[i] = Some(q);
        }
    }
    let mut ranked: Vec<(Encoding, u16)> = Encoding::ALL
        .iter()
        .zip(explicit)
        .map(|(&e, q)| (e, q.or(star).unwrap_or(0)))
        .filter(|&(_, q)| q > 0 && identity.is_none_or(|iq| q >= iq))
        .collect();
    // Stable: ties keep brotli first.
    ranked.sort_by_key(|&(_, q)| std::cmp::Reverse(q));
    ranked.into_iter().map(|(e, _)| e).collect()
}

/// All `Accept-Encoding` headers of a request as one list.
fn accept_encoding(request: &HeaderMap) -> String {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// Swap the body of `response` (the plain `file`, 200) for the best precompressed variant of
/// it that exists and the request accepts, with its `Content-Encoding`. Every such response
/// says `Vary: Accept-Encoding`, so a cache never hands brotli to a client that did not ask.
pub async fn prefer(
    files: &AppFiles,
    file: &str,
    request: &HeaderMap,
    response: Response,
) -> Response {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.append(
        header::VARY,
        HeaderValue::from_static(header::ACCEPT_ENCODING.as_str()),
    );
    for encoding in preferred(&accept_encoding(request)) {
        if let Some(bytes) = files
            .read(&format!("{file}{}", encoding.file_suffix()))
            .await
        {
            parts.headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.token()),
            );
            return Response::from_parts(parts, Body::from(bytes));
        }
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::Encoding::{Brotli, Gzip};
    use super::*;

    #[test]
    fn brotli_is_preferred_then_gzip() {
        assert_eq!(preferred("br, gzip"), [Brotli, Gzip]);
        assert_eq!(preferred("gzip, deflate, br, zstd"), [Brotli, Gzip]);
        assert_eq!(preferred("gzip"), [Gzip]);
        assert_eq!(preferred("x-gzip"), [Gzip]);
        assert_eq!(preferred("BR"), [Brotli]);
    }

    #[test]
    fn q_values_rank_and_q0_refuses() {
        assert_eq!(preferred("br;q=0.5, gzip;q=0.8"), [Gzip, Brotli]);
        assert_eq!(preferred("br;q=0.5, gzip"), [Gzip, Brotli]);
        assert_eq!(preferred("br;q=0, gzip"), [Gzip]);
        assert_eq!(preferred("br ; q=0.000 , gzip;q=1.0"), [Gzip]);
        assert_eq!(preferred("gzip;Q=0.001"), [Gzip]);
        // Unreadable q-values count as "not acceptable".
        assert_eq!(preferred("br;q=2, gzip;q=0.5555"), Vec::<Encoding>::new());
        assert_eq!(preferred("br;q=abc"), Vec::<Encoding>::new());
    }

    #[test]
    fn identity_ranked_higher_wins() {
        assert_eq!(preferred("gzip;q=0.5, identity"), Vec::<Encoding>::new());
        assert_eq!(preferred("br;q=0.9, gzip;q=0.3, identity;q=0.5"), [Brotli]);
        // A tie goes to the compressed variant; identity;q=0 changes nothing for it.
        assert_eq!(preferred("br, identity"), [Brotli]);
        assert_eq!(preferred("identity;q=0, gzip"), [Gzip]);
        assert_eq!(preferred("identity"), Vec::<Encoding>::new());
        assert_eq!(preferred(""), Vec::<Encoding>::new());
    }

    #[test]
    fn star_stands_for_codings_not_named() {
        assert_eq!(preferred("*"), [Brotli, Gzip]);
        assert_eq!(preferred("*;q=0"), Vec::<Encoding>::new());
        assert_eq!(preferred("*, br;q=0"), [Gzip]);
        assert_eq!(preferred("gzip, *;q=0"), [Gzip]);
        assert_eq!(preferred("gzip;q=0.4, *;q=0.6"), [Brotli, Gzip]);
    }

    fn app_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tokendeck-precompressed-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in [
            ("index.html", &b"<!doctype html><title>t</title>"[..]),
            ("index.html.gz", b"html-gz"),
            ("app-0123456789abcdef.js", b"plain js"),
            ("app-0123456789abcdef.js.br", b"js-br"),
            ("app-0123456789abcdef.js.gz", b"js-gz"),
            ("app-0123456789abcdef_bg.wasm", b"plain wasm"),
            ("app-0123456789abcdef_bg.wasm.gz", b"wasm-gz"),
        ] {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }

    /// Through the whole router (and its on-the-fly `CompressionLayer`), as a browser sees it.
    async fn get(app: &axum::Router, path: &str, accept: Option<&str>) -> (HeaderMap, Vec<u8>) {
        use tower::ServiceExt;
        let mut request = axum::http::Request::get(path).header(header::HOST, "localhost");
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (headers, body.to_vec())
    }

    #[tokio::test]
    async fn the_relay_serves_the_variant_the_browser_accepts() {
        let dir = app_dir();
        let inventory =
            crate::inventory::Inventory::new(vec![], crate::inventory::Timeouts::default())
                .unwrap();
        let app = crate::app(crate::AppState::new(inventory, Some(dir.clone())));
        let encoding = |h: &HeaderMap| {
            h.get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let varies = |h: &HeaderMap| {
            h.get_all(header::VARY)
                .iter()
                .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding"))
        };

        let js = "/app-0123456789abcdef.js";
        let (h, body) = get(&app, js, Some("br, gzip")).await;
        assert_eq!(
            (encoding(&h).as_deref(), &body[..]),
            (Some("br"), &b"js-br"[..])
        );
        assert!(varies(&h), "{h:?}");
        assert_eq!(h[header::CONTENT_TYPE], "text/javascript");
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let (h, body) = get(&app, js, Some("gzip, deflate")).await;
        assert_eq!(
            (encoding(&h).as_deref(), &body[..]),
            (Some("gzip"), &b"js-gz"[..])
        );
        let (h, body) = get(&app, js, None).await;
        assert_eq!((encoding(&h), &body[..]), (None, &b"plain js"[..]));
        assert!(varies(&h), "{h:?}");

        // A missing variant: no brotli for the wasm, so gzip; and nothing if only br is accepted.
        let wasm = "/app-0123456789abcdef_bg.wasm";
        let (h, body) = get(&app, wasm, Some("br, gzip")).await;
        assert_eq!(
            (encoding(&h).as_deref(), &body[..]),
            (Some("gzip"), &b"wasm-gz"[..])
        );
        let (h, body) = get(&app, wasm, Some("br")).await;
        assert_eq!((encoding(&h), &body[..]), (None, &b"plain wasm"[..]));

        // The page, also under an app route, keeps its CSP. No access key guards this relay, so
        // the page carries the inventory: compressed per request, never the variant built ahead
        // (`relay/tests/operate.rs` reads the inventory in it, and sees the variant behind a key).
        for path in ["/", "/devices/x/tokens"] {
            let (h, body) = get(&app, path, Some("gzip")).await;
            assert_eq!(encoding(&h).as_deref(), Some("gzip"), "{path}");
            assert_ne!(&body[..], &b"html-gz"[..], "{path}");
            assert!(h.contains_key(header::CONTENT_SECURITY_POLICY), "{h:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
