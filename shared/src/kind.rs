//! Which management API a device speaks: the one list of device kinds. Everything else a kind
//! means — its label, headers, limits, pages, protocol — is its `Profile`
//! (`crate::devices::profile`); adding a kind is a variant here, its name below, and one folder
//! and one arm in each crate that knows kinds (ARCHITECTURE.md, "Adding a kind").

use serde::{Deserialize, Serialize};

/// Which management API a device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// F5 BIG-IP, iControl REST with `tmos` tokens.
    Bigip,
    /// F5 BIG-IQ, JWT access and refresh tokens.
    Bigiq,
    /// Cisco Firepower Management Center.
    Fmc,
}

impl DeviceKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Bigip, DeviceKind::Bigiq, DeviceKind::Fmc];

    /// The kind's name in configuration files, ad-hoc device ids and on the wire (`bigip`).
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Bigip => "bigip",
            DeviceKind::Bigiq => "bigiq",
            DeviceKind::Fmc => "fmc",
        }
    }

    /// The kind a name names (as [`DeviceKind::name`] writes it, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_names_and_read_back() {
        for kind in DeviceKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.name())
            );
            assert_eq!(DeviceKind::from_name(kind.name()), Some(kind));
            assert_eq!(
                DeviceKind::from_name(&kind.name().to_ascii_uppercase()),
                Some(kind)
            );
        }
        assert_eq!(DeviceKind::from_name("panos"), None);
    }

    #[test]
    fn all_lists_every_kind_once() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in DeviceKind::ALL {
            assert!(seen.insert(kind), "{kind} twice");
        }
        let names: std::collections::BTreeSet<&str> = seen.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), DeviceKind::ALL.len(), "two kinds share a name");
    }
}
