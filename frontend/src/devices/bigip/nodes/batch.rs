//! Staged changes, committed all-or-nothing as one iControl REST transaction: `POST` the
//! transaction, queue each change under its coordination id, then `PATCH` it to `VALIDATING`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::bigip::changes::PendingChange;
use shared::devices::bigip::transaction::{Step, TransactionRun, count_changes};

use crate::components::say::Notice;
use crate::session::{DeviceSession, use_session};

/// Run `changes` as one transaction (`TransactionRun` decides each step); the transaction id
/// on success, the reason (worded for the user, saying that nothing changed) on failure.
async fn commit_transaction(
    session: DeviceSession,
    changes: &[PendingChange],
) -> Result<String, String> {
    let (mut run, mut call) =
        TransactionRun::start(changes.iter().map(|c| (c.call(), c.describe())).collect());
    loop {
        let outcome = session.call(call).await;
        match run.next(
            outcome
                .as_ref()
                .map(|r| r.body.as_str())
                .map_err(|e| e.to_string()),
        ) {
            Step::Send(next) => call = next,
            Step::Finished(result) => return result,
        }
    }
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
