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

/// Start one simulated device of each kind on ephemeral loopback ports.
pub async fn start_demo_devices(clock: Clock) -> anyhow::Result<DemoDevices> {
    let config = SimConfig {
        clock,
        ..SimConfig::default()
    };
    let loopback: SocketAddr = "127.0.0.1:0".parse()?;
    let mut running = Vec::new();
    let mut inventory = Vec::new();
    for (id, name, kind) in [
        ("bigip-sim", "Simulated BIG-IP", DeviceKind::Bigip),
        ("bigiq-sim", "Simulated BIG-IQ", DeviceKind::Bigiq),
        ("fmc-sim", "Simulated FMC", DeviceKind::Fmc),
    ] {
        let device = simulator::start(kind, loopback, config.clone()).await?;
        inventory.push(DeviceConfig {
            id: id.into(),
            name: name.into(),
            kind,
            base_url: device.base_url().parse()?,
            trust: TrustPolicy::pin(&device.fingerprint)?,
            tofu: false,
        });
        running.push(device);
    }
    Ok(DemoDevices { running, inventory })
}
