//! Staged changes, committed all-or-nothing as one iControl REST transaction: `POST` the
//! transaction, queue each change under its coordination id, then `PATCH` it to `VALIDATING`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::bigip::changes::PendingChange;
use shared::devices::bigip::transaction::{
    TRANSACTION_HEADER, begin, commit, count_changes, discard, transaction_id,
};

use super::{Notice, change_call};
use crate::session::{DeviceSession, use_session};

/// Run `changes` as one transaction; the transaction id on success, the reason (worded for
/// the user, saying that nothing changed) on failure.
async fn commit_transaction(
    session: DeviceSession,
    changes: &[PendingChange],
) -> Result<String, String> {
    let started = session
        .call(begin())
        .await
        .map_err(|e| format!("Could not start a transaction, so nothing was changed. {e}"))?;
    let id = transaction_id(&started.body).ok_or_else(|| {
        "The device's reply to starting a transaction had no transId, so nothing was changed."
            .to_string()
    })?;
    for change in changes {
        let queued = session
            .call(change_call(change).header(TRANSACTION_HEADER, id.clone()))
            .await;
        if let Err(err) = queued {
            // Best effort: an unfinished transaction is dropped by the device after its timeout.
            let _ = session.call(discard(&id)).await;
            return Err(format!(
                "The device would not queue \u{201c}{}\u{201d}, so transaction {id} was discarded and nothing was changed. {err}",
                change.describe()
            ));
        }
    }
    session
        .call(commit(&id))
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
    let session = use_session();
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
            let result = commit_transaction(session, &changes).await;
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
