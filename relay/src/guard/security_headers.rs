//! Security headers: the served app's Content-Security-Policy (with hashes of the inline
//! scripts Trunk writes into `index.html`, computed from the file actually served), and the
//! headers every response carries.

use axum::http::{HeaderName, header};
use base64::Engine;
use sha2::{Digest, Sha256};

/// CSP for everything that is not the app's page (API replies, device replies, assets): such
/// a response can never run script in the relay's origin, even if a device sends HTML.
pub const LOCKED_DOWN_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// `'sha256-…'` source expressions for each inline `<script>` (one without `src`) in `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| i + at) {
        let Some(open_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| i + open_end) else {
            break;
        };
        let tag = &lower[start..open_end];
        if !tag.contains(" src=") && !tag.contains("\tsrc=") && !tag.contains("\nsrc=") {
            let body = &html[open_end + 1..close];
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close;
    }
    hashes
}

/// The Content-Security-Policy for the app's `index.html`.
pub fn app_csp(index_html: &str) -> String {
    let mut script_src = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
    script_src.extend(inline_script_hashes(index_html));
    format!(
        "default-src 'none'; script-src {}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        script_src.join(" ")
    )
}

/// The headers every response carries (unless its handler set them already: the app's page
/// has its own CSP).
pub const EVERY_RESPONSE: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (header::CONTENT_SECURITY_POLICY, LOCKED_DOWN_CSP),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts_exactly_as_written() {
        let html = "<head><script type=\"module\">\nimport init from '/a.js';\n</script>\
                    <script src=\"/b.js\"></script><SCRIPT>x()</SCRIPT></head>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"\nimport init from '/a.js';\n"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
        let csp = app_csp(html);
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("connect-src 'self'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
