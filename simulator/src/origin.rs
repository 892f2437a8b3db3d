//! The address a client called the device on (its `Host`), which FMC writes into `links` and
//! BIG-IQ into a token's `address`.

use axum::http::header::HOST;
use axum::http::request::Parts;

/// `https://<host[:port] the client used>`; `https://localhost` when the request names none.
pub fn origin(parts: &Parts) -> String {
    format!("https://{}", authority(parts))
}

/// The host the client called, without its port.
pub fn called_host(parts: &Parts) -> String {
    let authority = authority(parts);
    if let Some(v6) = authority.strip_prefix('[')
        && let Some((host, _)) = v6.split_once(']')
    {
        return host.to_owned();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_owned(),
        _ => authority,
    }
}

fn authority(parts: &Parts) -> String {
    parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(host: &str) -> Parts {
        Request::get("/x")
            .header(HOST, host)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn origin_and_host_follow_the_host_header() {
        assert_eq!(origin(&parts("127.0.0.1:8445")), "https://127.0.0.1:8445");
        assert_eq!(called_host(&parts("127.0.0.1:8445")), "127.0.0.1");
        assert_eq!(called_host(&parts("[::1]:8445")), "::1");
        assert_eq!(called_host(&parts("fmc.example.com")), "fmc.example.com");
        let none = Request::get("/x").body(()).unwrap().into_parts().0;
        assert_eq!(origin(&none), "https://localhost");
    }
}
