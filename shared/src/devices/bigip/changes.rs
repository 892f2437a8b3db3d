//! The changes a row button makes to one node, as one request each, and the staging list
//! that collects them for a transaction.

use super::nodes::{NodePath, session_body, state_body};
use crate::devices::call::Call;

/// What a row button does to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeChange {
    /// PATCH `session`: accept new connections (`true`) or not.
    Session {
        enabled: bool,
    },
    /// PATCH `state`: force offline (`true`) or release.
    State {
        forced_offline: bool,
    },
    Delete,
}

/// One change to one node, ready to send now or to queue in a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingChange {
    pub node: NodePath,
    pub change: NodeChange,
}

impl PendingChange {
    pub fn new(node: NodePath, change: NodeChange) -> Self {
        Self { node, change }
    }

    pub fn method(&self) -> &'static str {
        match self.change {
            NodeChange::Delete => "DELETE",
            _ => "PATCH",
        }
    }

    /// `/mgmt/tm/ltm/node/~Partition~Name`.
    pub fn path(&self) -> String {
        self.node.url_path()
    }

    pub fn body(&self) -> Option<String> {
        match self.change {
            NodeChange::Session { enabled } => Some(session_body(enabled).to_string()),
            NodeChange::State { forced_offline } => Some(state_body(forced_offline).to_string()),
            NodeChange::Delete => None,
        }
    }

    /// The change as a request to the device.
    pub fn call(&self) -> Call {
        Call {
            method: self.method(),
            path: self.path(),
            headers: Vec::new(),
            body: self.body(),
        }
    }

    /// What a row button that would make this change does instead while staging: `enabled`
    /// and `offline` are what the device has, `delete_staged` whether a delete of the node is
    /// already staged. A change back to what the device has cancels the staged one.
    pub fn restores_device(&self, enabled: bool, offline: bool, delete_staged: bool) -> bool {
        match self.change {
            NodeChange::Session { enabled: e } => e == enabled,
            NodeChange::State { forced_offline: o } => o == offline,
            NodeChange::Delete => delete_staged,
        }
    }

    /// "Disable /Common/web1", as the pending list shows it.
    pub fn describe(&self) -> String {
        let verb = match self.change {
            NodeChange::Session { enabled: true } => "Enable",
            NodeChange::Session { enabled: false } => "Disable",
            NodeChange::State {
                forced_offline: true,
            } => "Force offline",
            NodeChange::State {
                forced_offline: false,
            } => "Release",
            NodeChange::Delete => "Delete",
        };
        format!("{verb} {}", self.node.full_path())
    }

    /// Both change the same property of the same node.
    fn same_slot(&self, other: &PendingChange) -> bool {
        self.node == other.node
            && std::mem::discriminant(&self.change) == std::mem::discriminant(&other.change)
    }
}

/// Stage `change`, replacing any pending change to the same property of the same node. A change
/// that only returns the node to what the device already has (`restores_device`) cancels the
/// pending one instead of queueing a no-op.
pub fn stage(pending: &mut Vec<PendingChange>, change: PendingChange, restores_device: bool) {
    pending.retain(|p| !p.same_slot(&change));
    if !restores_device {
        pending.push(change);
    }
}

/// The node's `session` and `state` as they will be once the pending changes apply, and
/// whether a delete is pending.
pub fn effective(
    pending: &[PendingChange],
    node: &NodePath,
    enabled: bool,
    forced_offline: bool,
) -> (bool, bool, bool) {
    pending.iter().filter(|p| &p.node == node).fold(
        (enabled, forced_offline, false),
        |(e, o, d), p| match p.change {
            NodeChange::Session { enabled } => (enabled, o, d),
            NodeChange::State { forced_offline } => (e, forced_offline, d),
            NodeChange::Delete => (e, o, true),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodePath {
        NodePath::parse(name).unwrap()
    }

    #[test]
    fn a_change_is_one_request() {
        let disable = PendingChange::new(node("web"), NodeChange::Session { enabled: false });
        assert_eq!(disable.method(), "PATCH");
        assert_eq!(disable.path(), "/mgmt/tm/ltm/node/~Common~web");
        assert_eq!(
            disable.body().as_deref(),
            Some(r#"{"session":"user-disabled"}"#)
        );
        assert_eq!(disable.describe(), "Disable /Common/web");
        let delete = PendingChange::new(node("~Prod~db"), NodeChange::Delete);
        assert_eq!((delete.method(), delete.body()), ("DELETE", None));
        assert_eq!(delete.describe(), "Delete /Prod/db");
    }

    #[test]
    fn staging_replaces_and_a_return_to_the_device_state_cancels() {
        let mut pending = Vec::new();
        let web = node("web");
        stage(
            &mut pending,
            PendingChange::new(web.clone(), NodeChange::Session { enabled: false }),
            false,
        );
        stage(
            &mut pending,
            PendingChange::new(
                web.clone(),
                NodeChange::State {
                    forced_offline: true,
                },
            ),
            false,
        );
        assert_eq!(effective(&pending, &web, true, false), (false, true, false));
        // Enabling again is what the device already has: the staged disable goes.
        stage(
            &mut pending,
            PendingChange::new(web.clone(), NodeChange::Session { enabled: true }),
            true,
        );
        assert_eq!(pending.len(), 1);
        assert_eq!(effective(&pending, &web, true, false), (true, true, false));
        assert_eq!(
            effective(&pending, &node("other"), true, false),
            (true, false, false)
        );
    }
}
