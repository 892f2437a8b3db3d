//! "Copy as curl" over any call: the password never shows, wherever it travels (a JSON body
//! at any depth, a form body, Basic credentials), revealed or not; a token never shows whole
//! unless revealed; and a POSIX shell reads the line back as the call's own words.
//!
//! The caller describes a call in parts ([`CurlInput`]); the password and the token are put
//! where the parts say, each starting with a marker that nothing else in the input contains,
//! so any appearance of a marker in the line is a leak.

use base64::Engine;
use serde_json::{Map, Value};

use crate::curl::{HttpCall, to_curl};
use crate::devices::headers::is_secret_header;

/// Every password starts with this.
pub const PASSWORD_MARKER: &str = "pw8MARKERq";
/// Every token starts with this.
pub const TOKEN_MARKER: &str = "tk3MARKERz";

/// JSON keys that hold a password (any depth).
pub const PASSWORD_KEYS: [&str; 7] = [
    "password",
    "Password",
    "newPassword",
    "oldPassword",
    "PASSWORD",
    "passphrase",
    "secret",
];
/// JSON keys that hold a token (any depth).
pub const TOKEN_KEYS: [&str; 4] = ["token", "refreshToken", "accessToken", "TOKEN"];
/// Headers that carry the token, written as the app or a user might.
pub const TOKEN_HEADERS: [&str; 5] = [
    "X-F5-Auth-Token",
    "x-f5-auth-token",
    "X-auth-access-token",
    "X-AUTH-REFRESH-TOKEN",
    "Authorization",
];
/// How `Basic` is spelled.
pub const BASIC_SCHEMES: [&str; 3] = ["Basic", "basic", "BASIC"];
/// What separates the scheme from the credentials.
pub const SEPARATORS: [&str; 4] = [" ", "  ", "\t", ""];

/// A JSON value with the places a password or the token can sit.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum JsonShape {
    Null,
    Bool(bool),
    Number(i64),
    Text(String),
    List(Vec<JsonShape>),
    Object(Vec<Field>),
}

/// One member of a JSON object.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Field {
    Plain(String, JsonShape),
    /// `PASSWORD_KEYS[i % len]`: the password.
    Password(usize),
    /// `TOKEN_KEYS[i % len]`: the token.
    Token(usize),
}

/// What the call sends as its body.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum BodyShape {
    None,
    Text(String),
    Json(JsonShape),
    /// `username=<user>&password=<password>`.
    Form {
        user: String,
    },
}

/// A call in parts.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct CurlInput {
    pub method: String,
    pub url: String,
    /// Headers with plain values, in order, before the credentials.
    pub headers: Vec<(String, String)>,
    /// `Authorization: <BASIC_SCHEMES[scheme]><SEPARATORS[sep]><base64(user:password)>`.
    pub basic: Option<BasicShape>,
    /// The token in `TOKEN_HEADERS[i % len]` (`Bearer` for `Authorization`).
    pub token_header: Option<usize>,
    pub body: BodyShape,
    /// What follows the marker in the password and in the token.
    pub password_tail: String,
    pub token_tail: String,
    pub reveal: bool,
}

#[derive(Debug, Clone)]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct BasicShape {
    pub scheme: usize,
    pub separator: usize,
    pub user: String,
}

impl CurlInput {
    fn password(&self) -> String {
        format!("{PASSWORD_MARKER}{}", self.password_tail)
    }

    fn token(&self) -> String {
        format!("{TOKEN_MARKER}{}", self.token_tail)
    }

    /// `base64(user:password)`, when the call sends Basic credentials.
    fn basic_credentials(&self) -> Option<String> {
        let basic = self.basic.as_ref()?;
        Some(base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            basic.user,
            self.password()
        )))
    }

    /// Everything the input says besides the markers, to rule out markers hidden there (in a
    /// token's tail, the password's marker would show whenever the token is revealed).
    fn plain_text(&self) -> String {
        let mut text = vec![
            self.method.clone(),
            self.url.clone(),
            self.password_tail.clone(),
            self.token_tail.clone(),
        ];
        for (name, value) in &self.headers {
            text.extend([name.clone(), value.clone()]);
        }
        if let Some(basic) = &self.basic {
            text.push(basic.user.clone());
        }
        match &self.body {
            BodyShape::None => {}
            BodyShape::Text(t) => text.push(t.clone()),
            BodyShape::Json(shape) => text.push(format!("{shape:?}")),
            BodyShape::Form { user } => text.push(user.clone()),
        }
        text.join("\n")
    }

    /// The call the app would log.
    pub fn call(&self) -> HttpCall {
        let mut headers = self.headers.clone();
        if let (Some(basic), Some(credentials)) = (&self.basic, self.basic_credentials()) {
            headers.push((
                "Authorization".into(),
                format!(
                    "{}{}{credentials}",
                    BASIC_SCHEMES[basic.scheme % BASIC_SCHEMES.len()],
                    SEPARATORS[basic.separator % SEPARATORS.len()]
                ),
            ));
        }
        if let Some(i) = self.token_header {
            let name = TOKEN_HEADERS[i % TOKEN_HEADERS.len()];
            let value = if name == "Authorization" {
                format!("Bearer {}", self.token())
            } else {
                self.token()
            };
            headers.push((name.into(), value));
        }
        let body = match &self.body {
            BodyShape::None => None,
            BodyShape::Text(text) => Some(text.clone()),
            BodyShape::Json(shape) => Some(self.json(shape).to_string()),
            BodyShape::Form { user } => {
                Some(format!("username={user}&password={}", self.password()))
            }
        };
        HttpCall {
            method: self.method.clone(),
            url: self.url.clone(),
            headers,
            body,
        }
    }

    fn json(&self, shape: &JsonShape) -> Value {
        match shape {
            JsonShape::Null => Value::Null,
            JsonShape::Bool(b) => Value::Bool(*b),
            JsonShape::Number(n) => Value::from(*n),
            JsonShape::Text(t) => Value::String(t.clone()),
            JsonShape::List(items) => Value::Array(items.iter().map(|i| self.json(i)).collect()),
            JsonShape::Object(fields) => {
                let mut map = Map::new();
                for field in fields {
                    let (key, value) = match field {
                        Field::Plain(key, shape) => (key.clone(), self.json(shape)),
                        Field::Password(i) => (
                            PASSWORD_KEYS[i % PASSWORD_KEYS.len()].to_owned(),
                            Value::String(self.password()),
                        ),
                        Field::Token(i) => (
                            TOKEN_KEYS[i % TOKEN_KEYS.len()].to_owned(),
                            Value::String(self.token()),
                        ),
                    };
                    map.insert(key, value);
                }
                Value::Object(map)
            }
        }
    }
}

/// Render the call and check the line: the first rule broken, with the call and the line.
pub fn check_curl_line(input: &CurlInput) -> Result<(), String> {
    let plain = input.plain_text();
    let credentials = input.basic_credentials();
    if plain.contains(PASSWORD_MARKER)
        || plain.contains(TOKEN_MARKER)
        || credentials
            .as_ref()
            .is_some_and(|c| plain.contains(c.as_str()))
    {
        return Ok(()); // a secret outside its places would prove nothing
    }
    let call = input.call();
    let line = to_curl(&call, input.reveal);
    let fail = |why: &str| Err(format!("{why}\n  call: {call:?}\n  line: {line}"));
    if line.contains(PASSWORD_MARKER) {
        return fail("the password shows");
    }
    if let Some(credentials) = credentials
        && line.contains(&credentials)
    {
        return fail("the Basic credentials show");
    }
    if !input.reveal && line.contains(TOKEN_MARKER) {
        return fail("the token shows whole without being revealed");
    }
    let Some(words) = shlex::split(&line) else {
        return fail("a POSIX shell cannot read the line");
    };
    match same_words(&call, input.reveal, &words) {
        Ok(()) => Ok(()),
        Err(why) => fail(&format!(
            "the shell reads other words: {why}\n  words: {words:?}"
        )),
    }
}

/// The words of `curl -sk URL [-X METHOD] [-H header]… [-d body]`, as the call gives them.
/// Where the renderer may mask (secret headers, a body with secrets) only the word's place
/// and its header name are checked.
fn same_words(call: &HttpCall, reveal: bool, words: &[String]) -> Result<(), String> {
    let mut words = words.iter().map(String::as_str);
    let mut next = |what: &str| words.next().ok_or_else(|| format!("no word for {what}"));
    let same = |read: &str, want: &str, what: &str| {
        if read == want {
            Ok(())
        } else {
            Err(format!("{what}: wanted {want:?}, read {read:?}"))
        }
    };
    same(next("the command")?, "curl", "the command")?;
    same(next("the flags")?, "-sk", "the flags")?;
    same(next("the URL")?, &call.url, "the URL")?;
    let method = call.method.trim().to_ascii_uppercase();
    if !method.is_empty() && method != "GET" {
        same(next("-X")?, "-X", "the method flag")?;
        same(next("the method")?, &method, "the method")?;
    }
    let body = call.body.as_deref().filter(|b| !b.is_empty());
    let json = body.is_some_and(|b| serde_json::from_str::<Value>(b).is_ok());
    let typed = call
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if json && !typed {
        same(next("-H")?, "-H", "the content type flag")?;
        same(
            next("the content type")?,
            "Content-Type: application/json",
            "the content type",
        )?;
    }
    for (name, value) in &call.headers {
        same(next("-H")?, "-H", "a header flag")?;
        let read = next("a header")?;
        let masked = is_secret_header(name) || name.eq_ignore_ascii_case("proxy-authorization");
        if masked {
            if !read.starts_with(&format!("{name}: ")) {
                return Err(format!("header {name}: read {read:?}"));
            }
        } else {
            same(read, &format!("{name}: {value}"), "a header")?;
        }
    }
    if let Some(body) = body {
        same(next("-d")?, "-d", "the body flag")?;
        let read = next("the body")?;
        let lower = body.to_ascii_lowercase();
        let withheld = ["password", "passphrase", "secret"]
            .iter()
            .any(|w| lower.contains(w))
            || (!reveal && lower.contains("token"));
        if !json && !withheld {
            same(read, body, "the body")?;
        }
    }
    match next("nothing") {
        Err(_) => Ok(()),
        Ok(extra) => Err(format!("an extra word {extra:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9/_.:-]{0,12}",
            "\\PC{0,12}",
            prop::sample::select(vec![
                "'", "''", "'\\''", "\"", "$HOME", "`id`", "\\", "a b", "\n", "\t", "#x", "~", "*",
                "!", "-", "",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn json() -> impl Strategy<Value = JsonShape> {
        let leaf = prop_oneof![
            Just(JsonShape::Null),
            any::<bool>().prop_map(JsonShape::Bool),
            any::<i64>().prop_map(JsonShape::Number),
            text().prop_map(JsonShape::Text),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            let field = prop_oneof![
                (text(), inner.clone()).prop_map(|(k, v)| Field::Plain(k, v)),
                any::<usize>().prop_map(Field::Password),
                any::<usize>().prop_map(Field::Token),
            ];
            prop_oneof![
                prop::collection::vec(inner, 0..4).prop_map(JsonShape::List),
                prop::collection::vec(field, 0..4).prop_map(JsonShape::Object),
            ]
        })
    }

    fn input() -> impl Strategy<Value = CurlInput> {
        let header_name = prop_oneof![
            prop::sample::select(vec![
                "Content-Type",
                "content-type",
                "Accept",
                "X-F5-REST-Coordination-Id",
                "Cookie",
                "Proxy-Authorization",
            ])
            .prop_map(str::to_owned),
            "[A-Za-z-]{1,12}",
        ];
        let body = prop_oneof![
            Just(BodyShape::None),
            text().prop_map(BodyShape::Text),
            json().prop_map(BodyShape::Json),
            text().prop_map(|user| BodyShape::Form { user }),
        ];
        let basic = prop::option::of((any::<usize>(), any::<usize>(), text()).prop_map(
            |(scheme, separator, user)| BasicShape {
                scheme,
                separator,
                user,
            },
        ));
        (
            prop::sample::select(vec!["GET", "post", " Patch ", "DELETE", "", "BREW it"]),
            text(),
            prop::collection::vec((header_name, text()), 0..3),
            basic,
            prop::option::of(any::<usize>()),
            body,
            (text(), text(), any::<bool>()),
        )
            .prop_map(
                |(method, path, headers, basic, token_header, body, (pw, tk, reveal))| CurlInput {
                    method: method.into(),
                    url: format!("https://10.1.1.245/{path}"),
                    headers,
                    basic,
                    token_header,
                    body,
                    password_tail: pw,
                    token_tail: tk,
                    reveal,
                },
            )
    }

    /// Inputs the `curl_render` fuzz target or the property test stopped at, kept passing:
    /// Basic credentials after a tab (a real leak, fixed in `curl.rs`), and a token whose
    /// tail held the password's marker, and a body holding the Basic credentials (inputs that
    /// prove nothing, now set aside).
    #[test]
    fn findings_stay_fixed() {
        let found = [
            CurlInput {
                method: "GET".into(),
                url: "https://10.1.1.245/".into(),
                headers: vec![],
                basic: Some(BasicShape {
                    scheme: 0,
                    separator: 2,
                    user: String::new(),
                }),
                token_header: None,
                body: BodyShape::None,
                password_tail: String::new(),
                token_tail: String::new(),
                reveal: false,
            },
            CurlInput {
                method: String::new(),
                url: String::new(),
                headers: vec![],
                basic: Some(BasicShape {
                    scheme: 1,
                    separator: 2,
                    user: "*=\r\0==".into(),
                }),
                token_header: Some(4),
                body: BodyShape::None,
                password_tail: "\u{f}\r\r;\r".into(),
                token_tail: "pw8MARKERq\r\r\r".into(),
                reveal: true,
            },
            CurlInput {
                method: "=".into(),
                url: String::new(),
                headers: vec![],
                basic: Some(BasicShape {
                    scheme: 1,
                    separator: 1,
                    user: String::new(),
                }),
                token_header: None,
                body: BodyShape::Text("R0dHR0dHR0dHR0OnB3OE1BUktFUnE=".into()),
                password_tail: String::new(),
                token_tail: String::new(),
                reveal: true,
            },
        ];
        for input in found {
            check_curl_line(&input).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn no_password_shows_and_the_shell_reads_the_words_back(input in input()) {
            check_curl_line(&input).map_err(TestCaseError::fail)?;
        }
    }
}
