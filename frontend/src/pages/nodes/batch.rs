//! Staged changes, committed all-or-nothing as one iControl REST transaction: `POST` the
//! transaction, queue each change under its coordination id, then `PATCH` it to `VALIDATING`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use shared::nodes::{TRANSACTION_HEADER, TRANSACTION_PATH, transaction_commit_body};

use super::Notice;
use super::changes::PendingChange;
use crate::console::{Console, use_console};

/// "1 change", "3 changes".
pub fn count_changes(n: usize) -> String {
    match n {
        1 => "1 change".to_string(),
        n => format!("{n} changes"),
    }
}

/// The `transId` of a `POST /mgmt/tm/transaction` reply (a number on the device, kept as text).
fn transaction_id(body: &str) -> Option<String> {
    match serde_json::from_str::<Value>(body).ok()?.get("transId")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Run `changes` as one transaction; the transaction id on success, the reason (worded for
/// the user, saying that nothing changed) on failure.
async fn commit_transaction(console: Console, changes: &[PendingChange]) -> Result<String, String> {
    let begin = console
        .call("POST", TRANSACTION_PATH, Some("{}".to_string()))
        .await
        .map_err(|e| format!("Could not start a transaction, so nothing was changed. {e}"))?;
    let id = transaction_id(&begin.body).ok_or_else(|| {
        "The device's reply to starting a transaction had no transId, so nothing was changed."
            .to_string()
    })?;
    let this = format!("{TRANSACTION_PATH}/{id}");
    let header = [(TRANSACTION_HEADER, id.clone())];
    for change in changes {
        let queued = console
            .call_with(change.method(), &change.path(), change.body(), &header)
            .await;
        if let Err(err) = queued {
            // Best effort: an unfinished transaction is dropped by the device after its timeout.
            let _ = console.call("DELETE", &this, None).await;
            return Err(format!(
                "The device would not queue \u{201c}{}\u{201d}, so transaction {id} was discarded and nothing was changed. {err}",
                change.describe()
            ));
        }
    }
    console
        .call("PATCH", &this, Some(transaction_commit_body().to_string()))
        .await
        .map_err(|err| {
            format!(
                "The device rejected transaction {id} as a whole, so none of its {} were applied. {err}",
                count_changes(changes.len())
            )
        })?;
    Ok(id)
}

/// The staged changes with undo, and the commit button.
#[component]
pub fn PendingPanel(
    pending: RwSignal<Vec<PendingChange>>,
    notice: RwSignal<Option<Notice>>,
    on_committed: Callback<()>,
) -> impl IntoView {
    let console = use_console();
    let busy = RwSignal::new(false);
    let count = Memo::new(move |_| pending.with(Vec::len));
    let commit = move |_| {
        let changes = pending.get_untracked();
        if changes.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        notice.set(None);
        spawn_local(async move {
            let result = commit_transaction(console, &changes).await;
            busy.set(false);
            match result {
                Ok(id) => {
                    pending.set(Vec::new());
                    notice.set(Some(Ok(format!(
                        "Committed {} as transaction {id}.",
                        count_changes(changes.len())
                    ))));
                }
                Err(reason) => notice.set(Some(Err(reason))),
            }
            // Either way the list shows what the device now has.
            on_committed.run(());
        });
    };

    view! {
        <div class="pending" id="pending-panel">
            <h3>"Staged changes"</h3>
            {move || if count.get() == 0 {
                view! {
                    <p class="muted" id="pending-empty">
                        "Nothing staged yet. While staging is on, the row buttons add changes here instead of applying them."
                    </p>
                }.into_any()
            } else {
                view! {
                    <ol id="pending-changes">
                        {pending.get().into_iter().enumerate().map(|(index, change)| view! {
                            <li>
                                <span class="change">{change.describe()}</span>
                                <button type="button" class="link undo"
                                    aria-label=format!("Undo: {}", change.describe())
                                    on:click=move |_| pending.update(|p| { if index < p.len() { p.remove(index); } })>
                                    "undo"
                                </button>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <div class="pending-actions">
                <button type="button" class="primary" id="commit-transaction"
                    disabled=move || count.get() == 0 || busy.get() on:click=commit>
                    {move || if busy.get() {
                        "Committing…".to_string()
                    } else {
                        format!("Commit {} as one transaction", count_changes(count.get()))
                    }}
                </button>
                <button type="button" class="secondary" id="discard-staged"
                    disabled=move || count.get() == 0 || busy.get()
                    on:click=move |_| pending.set(Vec::new())>
                    "Discard all"
                </button>
            </div>
        </div>
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
