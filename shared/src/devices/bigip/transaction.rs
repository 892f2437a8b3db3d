//! iControl REST transactions (seed 003, "References"): `POST /mgmt/tm/transaction` starts one
//! and answers its `transId`; calls carrying `X-F5-REST-Coordination-Id: <transId>` are queued;
//! `PATCH /mgmt/tm/transaction/<id>` `{"state":"VALIDATING"}` commits all of them or none.

use serde_json::Value;

use crate::devices::call::Call;

/// Transactions: `POST` starts one, `PATCH …/<id>` with [`commit_body`] commits.
pub const TRANSACTION_PATH: &str = "/mgmt/tm/transaction";
/// Header that queues a call into a transaction.
pub const TRANSACTION_HEADER: &str = "X-F5-REST-Coordination-Id";

/// Start a transaction.
pub fn begin() -> Call {
    Call::new("POST", TRANSACTION_PATH).json(&serde_json::json!({}))
}

/// PATCH body that commits a transaction (all changes or none).
pub fn commit_body() -> Value {
    serde_json::json!({ "state": "VALIDATING" })
}

/// Commit transaction `id`.
pub fn commit(id: &str) -> Call {
    Call::new("PATCH", format!("{TRANSACTION_PATH}/{id}")).json(&commit_body())
}

/// Drop transaction `id` (best effort after a failed queue).
pub fn discard(id: &str) -> Call {
    Call::new("DELETE", format!("{TRANSACTION_PATH}/{id}"))
}

/// The `transId` of a `POST /mgmt/tm/transaction` reply (a number on the device, kept as text).
pub fn transaction_id(body: &str) -> Option<String> {
    match serde_json::from_str::<Value>(body).ok()?.get("transId")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// "1 change", "3 changes".
pub fn count_changes(n: usize) -> String {
    match n {
        1 => "1 change".to_string(),
        n => format!("{n} changes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_transaction_id_the_device_sends() {
        assert_eq!(
            transaction_id(r#"{"transId":1700000000123,"state":"STARTED"}"#).as_deref(),
            Some("1700000000123")
        );
        assert_eq!(transaction_id(r#"{"transId":"42"}"#).as_deref(), Some("42"));
        assert_eq!(transaction_id(r#"{"state":"STARTED"}"#), None);
        assert_eq!(count_changes(1), "1 change");
        assert_eq!(count_changes(2), "2 changes");
    }
}
