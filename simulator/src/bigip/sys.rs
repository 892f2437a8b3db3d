//! `/mgmt/tm/sys/...`: software version.

use axum::Json;
use serde_json::{Value, json};

use super::auth::Caller;

/// The version the simulated device runs.
pub const VERSION: &str = "17.1.3";

fn stat(description: &str) -> Value {
    json!({"description": description})
}

/// `GET /mgmt/tm/sys/version`: entry 0 is the main package, entry 1 an installed hotfix.
pub async fn version(_caller: Caller) -> Json<Value> {
    Json(json!({
        "kind": "tm:sys:version:versionstats",
        "selfLink": format!("https://localhost/mgmt/tm/sys/version?ver={VERSION}"),
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
