//! The URL grammar: what a path names ([`Route`]) and how to write one ([`page_href`]). A leaf
//! every layer may use — the router shows routes, pages and components write links — so no page
//! needs the router to link to another.

/// Pages every kind has, after the kind's own.
pub const COMMON_PAGES: [(&str, &str); 2] = [("explorer", "Explorer"), ("activity", "Activity")];

/// `/devices/<id>/<page>`.
pub fn page_href(device_id: &str, page: &str) -> String {
    format!("/devices/{device_id}/{page}")
}

/// What a path names.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// `/`.
    Home,
    /// `/devices/<id>` (`page: None`: the kind's landing page) or `/devices/<id>/<page>`.
    Device { id: String, page: Option<String> },
    /// Anything else.
    Unknown,
}

impl Route {
    /// The route of a path as the address bar shows it (segments percent-decoded).
    pub fn of(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments[..] {
            [] => Self::Home,
            ["devices", id] => Self::Device {
                id: decode(id),
                page: None,
            },
            ["devices", id, page] => Self::Device {
                id: decode(id),
                page: Some(decode(page)),
            },
            _ => Self::Unknown,
        }
    }

    /// The device this route shows, if any.
    pub fn device(&self) -> Option<&str> {
        match self {
            Self::Device { id, .. } => Some(id),
            _ => None,
        }
    }

    /// This route without its page: what decides whether a device's view is rebuilt.
    pub fn without_page(&self) -> Self {
        match self {
            Self::Device { id, .. } => Self::Device {
                id: id.clone(),
                page: None,
            },
            other => other.clone(),
        }
    }

    /// The device's page this route names, if any.
    pub fn page(&self) -> Option<&str> {
        match self {
            Self::Device { page, .. } => page.as_deref(),
            _ => None,
        }
    }
}

/// A path segment with its `%XX` escapes decoded; as it came if they do not make UTF-8.
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_or_else(|_| segment.to_owned(), |text| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, page: Option<&str>) -> Route {
        Route::Device {
            id: id.into(),
            page: page.map(str::to_owned),
        }
    }

    #[test]
    fn paths_name_home_a_device_its_page_or_nothing() {
        assert_eq!(Route::of("/"), Route::Home);
        assert_eq!(Route::of(""), Route::Home);
        assert_eq!(Route::of("/devices/lab"), device("lab", None));
        assert_eq!(Route::of("/devices/lab/"), device("lab", None));
        assert_eq!(
            Route::of("/devices/lab/tokens"),
            device("lab", Some("tokens"))
        );
        assert_eq!(
            Route::of("/devices/adhoc~bigip~10.0.0.1~443/nodes"),
            device("adhoc~bigip~10.0.0.1~443", Some("nodes"))
        );
        for unknown in [
            "/devices",
            "/devices/lab/tokens/extra",
            "/activity",
            "/index.html",
        ] {
            assert_eq!(Route::of(unknown), Route::Unknown, "{unknown}");
        }
    }

    #[test]
    fn a_device_view_is_keyed_by_the_device_not_its_page() {
        let tokens = Route::of("/devices/lab/tokens").without_page();
        assert_eq!(tokens, Route::of("/devices/lab/nodes").without_page());
        assert_eq!(tokens, Route::of("/devices/lab").without_page());
        assert_ne!(tokens, Route::of("/devices/other/tokens").without_page());
        assert_eq!(Route::Home.without_page(), Route::Home);
        assert_eq!(Route::Unknown.without_page(), Route::Unknown);
    }

    #[test]
    fn segments_are_percent_decoded_when_they_make_text() {
        assert_eq!(
            Route::of("/devices/lab%20one/version"),
            device("lab one", Some("version"))
        );
        assert_eq!(
            Route::of("/devices/%E2%80%9Clab%E2%80%9D"),
            device("\u{201c}lab\u{201d}", None)
        );
        // Not an escape, or not UTF-8: kept as it came.
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%FF"), "%FF");
        assert_eq!(page_href("lab", "tokens"), "/devices/lab/tokens");
        assert_eq!(
            Route::of(&page_href("lab", "tokens")),
            device("lab", Some("tokens"))
        );
    }
}
