//! iControl REST transactions: commands queued under a `transId` and applied all-or-nothing
//! when the client sets the transaction's state to `VALIDATING`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::links::tm_self_link;
use super::node_table::{NodeCommand, NodeTable};
use super::token_store::Asker;

/// Seconds a transaction may stay open before the device drops it (the device's default).
pub const TRANSACTION_TIMEOUT_SECS: i64 = 120;
/// Finished transactions stay visible this long (unverified).
const KEEP_FINISHED_MICROS: i64 = 3600 * 1_000_000;

/// Why a transaction call failed (wording unverified except the "transaction failed:" prefix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// Unknown, someone else's, or dropped after its timeout.
    #[error("Transaction {0} does not exist.")]
    NotFound(String),
    #[error("Transaction {id} is {state}; only a STARTED transaction takes commands or commits.")]
    NotStarted { id: u64, state: TxState },
    #[error("Invalid transaction state \"{0}\": set \"VALIDATING\" to commit.")]
    BadState(String),
    /// A command failed at commit; nothing was applied.
    #[error("transaction failed:{0}")]
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    Started,
    Completed,
    Failed,
}

impl std::fmt::Display for TxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TxState::Started => "STARTED",
            TxState::Completed => "COMPLETED",
            TxState::Failed => "FAILED",
        })
    }
}

/// A command waiting in a transaction.
#[derive(Debug, Clone)]
pub struct Queued {
    pub command_id: u64,
    pub method: String,
    pub path: String,
    pub body: Value,
    pub command: NodeCommand,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: u64,
    pub owner: String,
    pub state: TxState,
    pub created_micros: i64,
    pub last_update_micros: i64,
    pub failure_reason: String,
    pub commands: Vec<Queued>,
}

impl Transaction {
    fn link(&self) -> String {
        tm_self_link(&format!("/mgmt/tm/transaction/{}", self.id), None)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "transId": self.id,
            "state": self.state.to_string(),
            "timeoutSeconds": TRANSACTION_TIMEOUT_SECS,
            "asyncExecution": false,
            "validateOnly": false,
            "executionTimeout": 300,
            "executionTime": 0,
            "failureReason": self.failure_reason,
            "kind": "tm:transactionstate",
            "generation": self.commands.len(),
            "lastUpdateMicros": self.last_update_micros,
            "selfLink": self.link(),
        })
    }

    pub fn command_json(&self, queued: &Queued) -> Value {
        json!({
            "method": queued.method,
            "uri": format!("https://localhost{}", queued.path),
            "body": queued.body,
            "evalOrder": queued.command_id,
            "commandId": queued.command_id,
            "kind": "tm:transaction:commandsstate",
            "selfLink": tm_self_link(&format!("/mgmt/tm/transaction/{}/commands/{}", self.id, queued.command_id), None),
        })
    }

    fn is_stale(&self, now: i64) -> bool {
        match self.state {
            TxState::Started => now > self.created_micros + TRANSACTION_TIMEOUT_SECS * 1_000_000,
            _ => now > self.last_update_micros + KEEP_FINISHED_MICROS,
        }
    }
}

/// Every open or recently finished transaction of the device.
#[derive(Debug, Default)]
pub struct TransactionStore {
    transactions: BTreeMap<u64, Transaction>,
    last_id: u64,
}

impl TransactionStore {
    pub fn begin(&mut self, owner: &str, now: i64) -> Transaction {
        self.purge(now);
        // Ids look like the device's (epoch-based numbers) and never repeat.
        let id = (now / 1000).max(self.last_id as i64 + 1) as u64;
        self.last_id = id;
        let transaction = Transaction {
            id,
            owner: owner.to_owned(),
            state: TxState::Started,
            created_micros: now,
            last_update_micros: now,
            failure_reason: String::new(),
            commands: Vec::new(),
        };
        self.transactions.insert(id, transaction.clone());
        transaction
    }

    pub fn list(&mut self, asker: Asker<'_>, now: i64) -> Vec<Transaction> {
        self.purge(now);
        self.transactions
            .values()
            .filter(|t| asker.admin || t.owner == asker.user)
            .cloned()
            .collect()
    }

    pub fn get(
        &mut self,
        id: &str,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<&mut Transaction, TransactionError> {
        self.purge(now);
        id.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| self.transactions.get_mut(&n))
            .filter(|t| asker.admin || t.owner == asker.user)
            .ok_or_else(|| TransactionError::NotFound(id.to_owned()))
    }

    fn started(
        &mut self,
        id: &str,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<&mut Transaction, TransactionError> {
        let transaction = self.get(id, asker, now)?;
        if transaction.state != TxState::Started {
            return Err(TransactionError::NotStarted {
                id: transaction.id,
                state: transaction.state,
            });
        }
        Ok(transaction)
    }

    /// Queue a command; the reply describes the queued command.
    pub fn queue(
        &mut self,
        id: &str,
        asker: Asker<'_>,
        request: (&str, &str, Value),
        command: NodeCommand,
        now: i64,
    ) -> Result<Value, TransactionError> {
        let transaction = self.started(id, asker, now)?;
        let (method, path, body) = request;
        let queued = Queued {
            command_id: transaction.commands.len() as u64 + 1,
            method: method.to_owned(),
            path: path.to_owned(),
            body,
            command,
        };
        transaction.last_update_micros = now;
        let reply = transaction.command_json(&queued);
        transaction.commands.push(queued);
        Ok(reply)
    }

    /// Apply every queued command to a copy of `nodes`; keep the copy only if all succeed.
    /// With `validate_only` the copy is always dropped and a valid transaction stays open.
    pub fn commit(
        &mut self,
        id: &str,
        requested_state: &str,
        validate_only: bool,
        asker: Asker<'_>,
        nodes: &mut NodeTable,
        now: i64,
    ) -> Result<Value, TransactionError> {
        let transaction = self.started(id, asker, now)?;
        if requested_state != "VALIDATING" {
            return Err(TransactionError::BadState(requested_state.to_owned()));
        }
        let mut staged = nodes.clone();
        let outcome = transaction
            .commands
            .iter()
            .try_for_each(|q| staged.apply(&q.command).map(|_| ()));
        transaction.last_update_micros = now;
        match outcome {
            Ok(()) if validate_only => Ok(transaction.to_json()),
            Ok(()) => {
                *nodes = staged;
                transaction.state = TxState::Completed;
                Ok(transaction.to_json())
            }
            Err(err) => {
                transaction.state = TxState::Failed;
                transaction.failure_reason = err.to_string();
                Err(TransactionError::Failed(err.to_string()))
            }
        }
    }

    pub fn discard(
        &mut self,
        id: &str,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<(), TransactionError> {
        let id = self.get(id, asker, now)?.id;
        self.transactions.remove(&id);
        Ok(())
    }

    fn purge(&mut self, now: i64) {
        self.transactions.retain(|_, t| !t.is_stale(now));
    }
}
