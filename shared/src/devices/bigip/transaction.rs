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

/// Committing changes all-or-nothing, one call at a time: the shell sends each [`Step::Send`]
/// and reports its outcome to [`TransactionRun::next`] until the run is [`Step::Finished`] —
/// with the transaction's id, or why nothing changed, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRun {
    /// Each change's call and how the user knows it ("Disable /Common/web1").
    changes: Vec<(Call, String)>,
    at: Stage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Begin,
    /// Change `next` of `id` was sent.
    Queue {
        id: String,
        next: usize,
    },
    Commit {
        id: String,
    },
    /// Dropping `id` after a change could not be queued; `reason` is what the user is told.
    Discard {
        reason: String,
    },
    Done,
}

/// What the shell does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Send(Call),
    /// The transaction's id, or why nothing changed.
    Finished(Result<String, String>),
}

impl TransactionRun {
    /// A run of `changes` (each call with how the user knows it), and the first call to send.
    pub fn start(changes: Vec<(Call, String)>) -> (Self, Call) {
        let run = Self {
            changes,
            at: Stage::Begin,
        };
        (run, begin())
    }

    /// The last call's outcome (its reply's body, or the error as the user reads it); what to
    /// send next, or how it ended.
    pub fn next(&mut self, outcome: Result<&str, String>) -> Step {
        let n = self.changes.len();
        let (at, step) = match (std::mem::replace(&mut self.at, Stage::Done), outcome) {
            (Stage::Begin, Err(err)) => (
                Stage::Done,
                Step::Finished(Err(format!(
                    "Could not start a transaction, so nothing was changed. {err}"
                ))),
            ),
            (Stage::Begin, Ok(body)) => match transaction_id(body) {
                None => (
                    Stage::Done,
                    Step::Finished(Err("The device's reply to starting a transaction had no \
                        transId, so nothing was changed."
                        .into())),
                ),
                Some(id) => self.queue(id, 0),
            },
            (Stage::Queue { id, next }, Ok(_)) => self.queue(id, next + 1),
            (Stage::Queue { id, next }, Err(err)) => {
                let reason = format!(
                    "The device would not queue \u{201c}{}\u{201d}, so transaction {id} was discarded and nothing was changed. {err}",
                    self.changes[next].1
                );
                // Best effort: an unfinished transaction is dropped by the device after its
                // timeout anyway.
                (Stage::Discard { reason }, Step::Send(discard(&id)))
            }
            (Stage::Discard { reason }, _) => (Stage::Done, Step::Finished(Err(reason))),
            (Stage::Commit { id }, Ok(_)) => (Stage::Done, Step::Finished(Ok(id))),
            (Stage::Commit { id }, Err(err)) => (
                Stage::Done,
                Step::Finished(Err(format!(
                    "The device rejected transaction {id} as a whole, so none of its {} were applied. {err}",
                    count_changes(n)
                ))),
            ),
            (Stage::Done, _) => (
                Stage::Done,
                Step::Finished(Err("The transaction already ended.".into())),
            ),
        };
        self.at = at;
        step
    }

    /// Send change `next` of transaction `id` under its coordination id, or commit when all
    /// are queued.
    fn queue(&self, id: String, next: usize) -> (Stage, Step) {
        match self.changes.get(next) {
            Some((call, _)) => {
                let call = call.clone().header(TRANSACTION_HEADER, id.clone());
                (Stage::Queue { id, next }, Step::Send(call))
            }
            None => {
                let call = commit(&id);
                (Stage::Commit { id }, Step::Send(call))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes() -> Vec<(Call, String)> {
        vec![
            (
                Call::new("PATCH", "/mgmt/tm/ltm/node/~Common~a"),
                "Disable /Common/a".into(),
            ),
            (
                Call::new("DELETE", "/mgmt/tm/ltm/node/~Common~b"),
                "Delete /Common/b".into(),
            ),
        ]
    }

    fn sent(step: Step) -> Call {
        match step {
            Step::Send(call) => call,
            other => panic!("expected a call, got {other:?}"),
        }
    }

    #[test]
    fn a_run_begins_queues_each_change_under_its_id_then_commits() {
        let (mut run, first) = TransactionRun::start(changes());
        assert_eq!(first, begin());
        let a = sent(run.next(Ok(r#"{"transId":42,"state":"STARTED"}"#)));
        assert_eq!(a.path, "/mgmt/tm/ltm/node/~Common~a");
        assert_eq!(
            a.headers,
            vec![(TRANSACTION_HEADER.to_string(), "42".to_string())]
        );
        let b = sent(run.next(Ok("{}")));
        assert_eq!((b.method, b.headers.len()), ("DELETE", 1));
        assert_eq!(sent(run.next(Ok("{}"))), commit("42"));
        assert_eq!(run.next(Ok("{}")), Step::Finished(Ok("42".into())));
    }

    #[test]
    fn a_change_that_cannot_be_queued_discards_the_transaction() {
        let (mut run, _) = TransactionRun::start(changes());
        sent(run.next(Ok(r#"{"transId":"7"}"#)));
        let discarding = sent(run.next(Err("The device answered 404.".into())));
        assert_eq!(discarding, discard("7"));
        // Whatever the discard answers, the user hears why nothing changed.
        let Step::Finished(Err(reason)) = run.next(Err("gone".into())) else {
            panic!("the run should end")
        };
        assert!(
            reason.contains("Disable /Common/a") && reason.contains("transaction 7 was discarded"),
            "{reason}"
        );
        assert!(reason.ends_with("The device answered 404."), "{reason}");
    }

    #[test]
    fn failures_to_begin_or_commit_say_nothing_changed() {
        let (mut run, _) = TransactionRun::start(changes());
        let Step::Finished(Err(reason)) = run.next(Err("no relay".into())) else {
            panic!()
        };
        assert!(
            reason.starts_with("Could not start a transaction"),
            "{reason}"
        );
        let (mut run, _) = TransactionRun::start(changes());
        let Step::Finished(Err(reason)) = run.next(Ok(r#"{"state":"STARTED"}"#)) else {
            panic!()
        };
        assert!(reason.contains("no transId"), "{reason}");
        let (mut run, _) = TransactionRun::start(changes());
        for body in [r#"{"transId":9}"#, "{}", "{}"] {
            sent(run.next(Ok(body)));
        }
        let Step::Finished(Err(reason)) = run.next(Err("400 invalid".into())) else {
            panic!()
        };
        assert!(
            reason.contains("rejected transaction 9 as a whole, so none of its 2 changes"),
            "{reason}"
        );
        assert_eq!(
            run.next(Ok("{}")),
            Step::Finished(Err("The transaction already ended.".into()))
        );
    }

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
