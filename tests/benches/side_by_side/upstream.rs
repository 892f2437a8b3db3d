//! New TCP connections to the device, counted the same way for the direct path, the relay and
//! nginx: by the simulated device itself, which counts every connection it accepts
//! ([`simulator::RunningDevice::connections`]). Reading the counter before and after a run
//! costs nothing while the run lasts. (An earlier version sampled `/proc/net/tcp` every 20 ms
//! from the bench process: each read walks the kernel's whole connection table, ~1.7 ms of
//! kernel time here, and put a ~2 ms floor under every path's p99.)
//! The report checks the count on the direct path, where it must equal the connections wrk
//! opens, and shows the relay's own counter (`tokendeck_device_tls_handshakes_total`, the TLS
//! connections its pool opened) beside it.

use simulator::RunningDevice;

/// The device's accepted connections when [`NewConnections::watch`] was called.
pub struct NewConnections<'a> {
    device: &'a RunningDevice,
    before: u64,
}

impl<'a> NewConnections<'a> {
    pub fn watch(device: &'a RunningDevice) -> Self {
        Self {
            device,
            before: device.connections().accepted(),
        }
    }

    /// Connections the device accepted since [`NewConnections::watch`].
    pub fn count(self) -> u64 {
        self.device.connections().accepted() - self.before
    }
}
