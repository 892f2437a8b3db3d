//! Strategies for the property test: requests with any verb, path, headers and body.

use axum::http::Method;
use proptest::prelude::*;
use serde_json::Value;
use shared::devices::profile;
use shared::wire::DeviceKind;

/// One generated request.
#[derive(Debug, Clone)]
pub struct Input {
    pub device: usize,
    pub method: Method,
    pub path: String,
    pub content_type: Option<String>,
    pub auth: Auth,
    pub coordination: Option<String>,
    pub body: BodyKind,
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// The device's own valid access token, in its kind's token header.
    Valid,
    Token(String),
    RawAuthorization(String),
}

#[derive(Debug, Clone)]
pub enum BodyKind {
    Empty,
    Json(Value),
    Text(String),
    Bytes(Vec<u8>),
    /// Bigger than every device's limit.
    Huge,
}

/// Paths picked by hand, regression inputs among them; [`prefixes`] adds every kind's own.
const PREFIXES: &[&str] = &[
    "/mgmt/shared/authn/login",
    "/mgmt/shared/authn/exchange",
    "/mgmt/shared/authz/tokens",
    "/mgmt/tm/sys",
    "/mgmt/tm/sys/version",
    "/mgmt/tm/ltm/node",
    "/mgmt/tm/transaction",
    "/mgmt/cm/system/authn/providers/tmos",
    "/mgmt/shared/diagnostics/device-stats",
    "/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices",
    "/api/fmc_platform/v1/auth/generatetoken",
    "/api/fmc_platform/v1/auth/refreshtoken",
    "/api/fmc_platform/v1/auth/revokeaccess",
    "/api/fmc_platform/v1/info/serverversion",
    "/api/fmc_config/v1/domain/e276abec-e0f2-11e3-8169-6d9ed49b625f/object/hosts",
    "/",
    "",
];

/// Where generated paths start: [`PREFIXES`], and every kind's token calls and Explorer roots
/// (those without a scope to fill in), so a kind's device is probed without being listed here.
fn prefixes() -> Vec<String> {
    let mut prefixes: Vec<String> = PREFIXES.iter().map(|p| (*p).to_owned()).collect();
    for kind in DeviceKind::ALL {
        let p = profile(kind);
        let own = p
            .token_calls
            .iter()
            .map(|call| call.path)
            .chain(p.explorer.roots.iter().copied())
            .filter(|path| !path.contains('{'));
        for path in own {
            if !prefixes.iter().any(|known| known == path) {
                prefixes.push(path.to_owned());
            }
        }
    }
    prefixes
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 ~/%.:-]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "admin",
            "foo",
            "fooPass",
            "tmos",
            "VALIDATING",
            "user-disabled",
            "10.0.0.1",
            "Common"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "address",
                    "username",
                    "password",
                    "timeout",
                    "state",
                    "session",
                    "partition",
                    "value",
                    "type",
                    "refreshToken",
                    "token",
                    "loginReference",
                    "link",
                    "fqdn",
                    "ratio",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body_kind() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        2 => Just(BodyKind::Empty),
        4 => json_value().prop_map(BodyKind::Json),
        2 => json_value().prop_map(|v| {
            let text = v.to_string();
            BodyKind::Text(text[..text.len() / 2].to_owned())
        }),
        1 => "\\PC{0,40}".prop_map(BodyKind::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(BodyKind::Bytes),
        1 => Just(BodyKind::Huge),
    ]
}

pub fn input() -> impl Strategy<Value = Input> {
    let method = prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::HEAD,
    ]);
    let path = (
        prop::sample::select(prefixes()),
        prop::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9~%._:-]{0,14}",
                1 => prop::sample::select(vec!["%FF", "%C3%28", "%", "~Common~x", "%7ECommon%7Ey", "1", ".."])
                    .prop_map(str::to_owned),
            ],
            0..3,
        ),
        any::<bool>(),
        prop::option::of("[a-zA-Z0-9$=&,%.-]{0,24}"),
    )
        .prop_map(|(prefix, segments, slash, query)| {
            let mut path = prefix;
            for s in segments {
                path.push('/');
                path.push_str(&s);
            }
            if slash {
                path.push('/');
            }
            if let Some(q) = query {
                path.push('?');
                path.push_str(&q);
            }
            path
        });
    let content_type = prop::option::of(prop::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "garbage",
    ]))
    .prop_map(|c| c.map(str::to_owned));
    let auth = prop_oneof![
        1 => Just(Auth::None),
        3 => Just(Auth::Valid),
        1 => "[A-Z2-7]{0,30}".prop_map(Auth::Token),
        1 => "(Basic|Bearer) [a-zA-Z0-9+/=:]{0,20}".prop_map(Auth::RawAuthorization),
    ];
    (
        0..DeviceKind::ALL.len(),
        method,
        path,
        content_type,
        auth,
        prop::option::of("[0-9a-z]{0,12}"),
        body_kind(),
    )
        .prop_map(
            |(device, method, path, content_type, auth, coordination, body)| Input {
                device,
                method,
                path,
                content_type,
                auth,
                coordination,
                body,
            },
        )
}
