//! The relay's inventory as the app sees it (`GET /api/devices`).

use serde::{Deserialize, Serialize};

use super::budget::RateBudget;
use crate::kind::DeviceKind;

/// How the relay decides to trust a device's TLS certificate. On the wire
/// `{"policy": "ca" | "pin" | "insecure", "fingerprint": …}`; read through [`TrustWire`], a plain
/// struct, because serde reads an internally tagged enum by buffering the whole object first
/// (generic code the console's wasm would carry for this one type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "lowercase", try_from = "TrustWire")]
pub enum TrustSummary {
    /// Verified against a configured CA bundle (or the system roots).
    Ca,
    /// Exactly one leaf certificate (or public key) is accepted.
    Pin {
        /// `sha256:<hex>` of the pinned certificate or public key.
        fingerprint: String,
    },
    /// Certificate checks are switched off by explicit operator choice.
    Insecure,
}

/// Which policy a [`TrustSummary`] names.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Policy {
    Ca,
    Pin,
    Insecure,
}

/// A [`TrustSummary`] as read from the wire.
#[derive(Deserialize)]
struct TrustWire {
    policy: Policy,
    #[serde(default)]
    fingerprint: Option<String>,
}

impl TryFrom<TrustWire> for TrustSummary {
    type Error = &'static str;

    fn try_from(wire: TrustWire) -> Result<Self, Self::Error> {
        Ok(match (wire.policy, wire.fingerprint) {
            (Policy::Ca, _) => TrustSummary::Ca,
            (Policy::Insecure, _) => TrustSummary::Insecure,
            (Policy::Pin, Some(fingerprint)) => TrustSummary::Pin { fingerprint },
            (Policy::Pin, None) => return Err("a pinned device's trust needs its fingerprint"),
        })
    }
}

/// One inventory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Stable identifier used in `/api/devices/{id}/…`.
    pub id: String,
    /// Display name.
    pub name: String,
    pub kind: DeviceKind,
    /// Where the relay dials, e.g. `https://127.0.0.1:8443`.
    pub base_url: String,
    pub trust: TrustSummary,
    /// Whether a user may pin this device's certificate from the console (trust on first use):
    /// the operator allowed it for this device and set no CA or pin of their own.
    #[serde(default)]
    pub tofu: bool,
    /// The relay's rate budget for this device (none: it holds no call back); the console
    /// paces its own calls under it.
    #[serde(default, skip_serializing_if = "RateBudget::is_none")]
    pub budget: RateBudget,
}

/// `GET /api/info`: what this relay offers besides its inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayInfo {
    /// The relay's version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// Whether users may add devices by URL (`POST /api/devices`); the operator's allowlist
    /// still decides which.
    #[serde(default)]
    pub ad_hoc: bool,
}

/// The inventory as the relay writes it into the console's page (`index.html`), so the app's
/// first render needs no round trip: what `GET /api/devices` and `GET /api/info` would answer
/// when the page was served. Only in pages no access key guards (the key is the app's to send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInventory {
    pub devices: Vec<DeviceSummary>,
    pub info: RelayInfo,
}

/// The `id` of the `<script type="application/json">` element holding the [`PageInventory`].
pub const PAGE_INVENTORY_ID: &str = "tokendeck-inventory";

impl PageInventory {
    /// The element, ready to go into the page: JSON with every `<` escaped, so no name in
    /// the inventory can close the element (or open a comment) early.
    pub fn script_element(&self) -> String {
        let json = serde_json::to_string(self)
            .unwrap_or_default()
            .replace('<', "\\u003c");
        format!(r#"<script type="application/json" id="{PAGE_INVENTORY_ID}">{json}</script>"#)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_tagged_and_reads_back() {
        let pin = TrustSummary::Pin {
            fingerprint: "sha256:ab".into(),
        };
        assert_eq!(
            serde_json::to_value(&pin).unwrap(),
            serde_json::json!({"policy": "pin", "fingerprint": "sha256:ab"})
        );
        for trust in [pin, TrustSummary::Ca, TrustSummary::Insecure] {
            let json = serde_json::to_string(&trust).unwrap();
            assert_eq!(serde_json::from_str::<TrustSummary>(&json).unwrap(), trust);
        }
        let missing = serde_json::from_str::<TrustSummary>(r#"{"policy":"pin"}"#).unwrap_err();
        assert!(missing.to_string().contains("fingerprint"), "{missing}");
        assert!(serde_json::from_str::<TrustSummary>(r#"{"policy":"tofu"}"#).is_err());
    }

    #[test]
    fn the_page_inventory_cannot_end_its_element_early_and_reads_back() {
        let inventory = PageInventory {
            devices: vec![DeviceSummary {
                id: "lab".into(),
                name: "</script><script>alert(1)</script><!-- lab".into(),
                kind: DeviceKind::Bigip,
                base_url: "https://10.0.0.1".into(),
                trust: TrustSummary::Insecure,
                tofu: false,
                budget: RateBudget::NONE,
            }],
            info: RelayInfo {
                version: "1.2.3".into(),
                ad_hoc: true,
            },
        };
        let element = inventory.script_element();
        let open = format!(r#"<script type="application/json" id="{PAGE_INVENTORY_ID}">"#);
        let json = element
            .strip_prefix(&open)
            .and_then(|rest| rest.strip_suffix("</script>"))
            .expect("one element");
        assert!(!json.contains('<'), "{json}");
        assert_eq!(
            serde_json::from_str::<PageInventory>(json).unwrap(),
            inventory
        );
    }
}
