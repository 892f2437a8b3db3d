//! `/mgmt/tm`, `/mgmt/tm/ltm`, `/mgmt/tm/sys`: the collection lists an explorer browses, and
//! the software version.

use axum::Json;
use axum::extract::RawQuery;
use serde_json::{Value, json};

use super::auth::Caller;
use super::links::{VERSION, tm_self_link};

/// Sub-collections listed by `GET /mgmt/tm/sys` (a representative subset of a 17.1 system).
const SYS_CHILDREN: &[&str] = &[
    "application",
    "crypto",
    "daemon-log-settings",
    "db",
    "diags",
    "disk",
    "dns",
    "failover",
    "global-settings",
    "hardware",
    "httpd",
    "management-ip",
    "ntp",
    "performance",
    "provision",
    "software",
    "version",
];

fn stat(description: &str) -> Value {
    json!({"description": description})
}

/// A collection of references, in the shape of `GET /mgmt/tm/sys`.
fn references(path: &str, kind: &str, children: &[&str], query: Option<&str>) -> Json<Value> {
    let items: Vec<Value> = children
        .iter()
        .map(|child| json!({"reference": {"link": tm_self_link(&format!("{path}/{child}"), None)}}))
        .collect();
    Json(json!({
        "kind": kind,
        "selfLink": tm_self_link(path, query),
        "items": items,
    }))
}

/// `GET /mgmt/tm/sys`: references carry `?ver=`, and so does `selfLink` (f5-sdk reads the
/// version from it and refuses anything below 11.5.0).
pub async fn collection(_caller: Caller, RawQuery(query): RawQuery) -> Json<Value> {
    references(
        "/mgmt/tm/sys",
        "tm:sys:syscollectionstate",
        SYS_CHILDREN,
        query.as_deref(),
    )
}

/// `GET /mgmt/tm`: the modules this simulator serves (a real device lists every provisioned
/// module; the kind string is unverified).
pub async fn modules(_caller: Caller, RawQuery(query): RawQuery) -> Json<Value> {
    references(
        "/mgmt/tm",
        "tm:tmcollectionstate",
        &["ltm", "sys"],
        query.as_deref(),
    )
}

/// `GET /mgmt/tm/ltm`: the LTM collections this simulator serves (nodes).
pub async fn ltm(_caller: Caller, RawQuery(query): RawQuery) -> Json<Value> {
    references(
        "/mgmt/tm/ltm",
        "tm:ltm:ltmcollectionstate",
        &["node"],
        query.as_deref(),
    )
}

/// `GET /mgmt/tm/sys/version`: entry 0 is the main package, entry 1 the installed hotfixes.
pub async fn version(_caller: Caller, RawQuery(query): RawQuery) -> Json<Value> {
    Json(json!({
        "kind": "tm:sys:version:versionstats",
        "selfLink": tm_self_link("/mgmt/tm/sys/version", query.as_deref()),
        "entries": {
            "https://localhost/mgmt/tm/sys/version/0": {"nestedStats": {"entries": {
                "Build": stat("0.20.11"),
                "Date": stat("Sun Oct 12 12:43:02 PDT 2025"),
                "Edition": stat("Engineering Hotfix"),
                "Product": stat("BIG-IP"),
                "Title": stat("Main Package"),
                "Version": stat(VERSION),
            }}},
            "https://localhost/mgmt/tm/sys/version/1": {"nestedStats": {"entries": {
                "ID1009161_3": stat("ID1009161-3"),
                "ID1012009_4": stat("ID1012009-4"),
            }}},
        }
    }))
}
