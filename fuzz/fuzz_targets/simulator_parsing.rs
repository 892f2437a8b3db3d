//! The simulated devices' request parsing over any input
//! (`simulator::parsing::properties`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use simulator::parsing::properties::{
    check_basic_credentials, check_declared_length, check_json_body, check_login_provider,
    check_node, check_page_query, check_trailing_slash,
};

#[derive(Debug, Arbitrary)]
enum Input {
    Json {
        content_type: Option<Vec<u8>>,
        body: Vec<u8>,
    },
    Basic {
        user: String,
        password: String,
        other: Vec<u8>,
    },
    TrailingSlash(String),
    Node {
        segment: String,
        body: Vec<u8>,
    },
    Page(String),
    Login {
        link: String,
        name: String,
    },
    ContentLength(Vec<u8>),
}

fuzz_target!(|input: Input| {
    let result = match &input {
        Input::Json { content_type, body } => check_json_body(content_type.as_deref(), body),
        Input::Basic {
            user,
            password,
            other,
        } => check_basic_credentials(user, password, other),
        Input::TrailingSlash(path) => check_trailing_slash(path),
        Input::Node { segment, body } => check_node(segment, body),
        Input::Page(query) => check_page_query(query),
        Input::Login { link, name } => check_login_provider(link, name),
        Input::ContentLength(value) => check_declared_length(value),
    };
    if let Err(broken) = result {
        panic!("{broken}");
    }
});
