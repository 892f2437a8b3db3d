//! `relay --demo`: simulated devices started in-process, and an inventory that pins their
//! freshly generated certificates. Behind the default-on `demo` feature, so a release relay
//! can leave the simulator (and its demo accounts) out.

use std::net::SocketAddr;

use shared::wire::DeviceKind;
use simulator::{Clock, RunningDevice, SimConfig};

use crate::inventory::DeviceConfig;
use crate::trust::TrustPolicy;

/// The running simulated devices (dropping them stops them) and their inventory entries.
pub struct DemoDevices {
    pub running: Vec<RunningDevice>,
    pub inventory: Vec<DeviceConfig>,
}

/// The names the demo has always shown (the end-to-end tests look for them); a kind added
/// since is shown by its profile's label.
const NAMES: [(DeviceKind, &str); 3] = [
    (DeviceKind::Bigip, "Simulated BIG-IP"),
    (DeviceKind::Bigiq, "Simulated BIG-IQ"),
    (DeviceKind::Fmc, "Simulated FMC"),
];

fn display_name(kind: DeviceKind) -> String {
    NAMES.iter().find(|(k, _)| *k == kind).map_or_else(
        || format!("Simulated {}", shared::devices::profile(kind).label),
        |(_, name)| (*name).to_owned(),
    )
}

/// Start one simulated device of each kind (`DeviceKind::ALL`, in that order) on ephemeral
/// loopback ports, each named `<kind>-sim`.
pub async fn start_demo_devices(clock: Clock) -> anyhow::Result<DemoDevices> {
    let config = SimConfig {
        clock,
        ..SimConfig::default()
    };
    let loopback: SocketAddr = "127.0.0.1:0".parse()?;
    let mut running = Vec::new();
    let mut inventory = Vec::new();
    for kind in DeviceKind::ALL {
        let device = simulator::start(kind, loopback, config.clone()).await?;
        inventory.push(DeviceConfig {
            id: format!("{}-sim", kind.name()),
            name: display_name(kind),
            kind,
            base_url: device.base_url().parse()?,
            trust: TrustPolicy::pin(&device.fingerprint)?,
            tofu: false,
        });
        running.push(device);
    }
    Ok(DemoDevices { running, inventory })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_demo_name_and_the_old_ones_are_kept() {
        for kind in DeviceKind::ALL {
            assert!(display_name(kind).starts_with("Simulated "), "{kind}");
        }
        assert_eq!(display_name(DeviceKind::Bigip), "Simulated BIG-IP");
        assert_eq!(display_name(DeviceKind::Fmc), "Simulated FMC");
    }
}
