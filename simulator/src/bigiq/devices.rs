//! What a BIG-IQ says about itself and the BIG-IPs it manages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::BigIqCaller;
use super::state::BigIq;
use crate::f5_extract::F5Path;
use crate::rest_error::F5Error;

/// The BIG-IQ version the simulated device runs.
pub const VERSION: &str = "8.3.0";

const DEVICES_PATH: &str = "/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices";

/// `GET /mgmt/shared/echo-query`: liveness check.
pub async fn echo_query(_caller: BigIqCaller) -> Json<Value> {
    Json(crate::f5_echo::echo_state())
}

/// `GET /mgmt/shared/identified-devices/config/device-info`.
pub async fn device_info(State(bigiq): State<BigIq>, _caller: BigIqCaller) -> Json<Value> {
    Json(json!({
        "baseMac": "52:54:00:4a:1c:7e",
        "hostname": "bigiq-sim.example.com",
        "machineId": "9c1f2e62-3b1d-4f0e-8f35-5c6b2d7a1e40",
        "address": "127.0.0.1",
        "managementAddress": "127.0.0.1",
        "httpsPort": 443,
        "mcpDeviceName": "/Common/bigiq-sim.example.com",
        "version": VERSION,
        "product": "BIG-IQ",
        "edition": "Final",
        "build": "0.0.17",
        "restFrameworkVersion": format!("{VERSION}-0.0.17"),
        "platformMarketingName": "BIG-IQ Virtual Edition",
        "isClustered": false,
        "isVirtual": true,
        "isBigIq": true,
        "isBigIp": false,
        "generation": 0,
        "lastUpdateMicros": bigiq.started_micros(),
        "kind": "shared:resolver:device-groups:deviceinfostate",
        "selfLink": "https://localhost/mgmt/shared/identified-devices/config/device-info",
    }))
}

/// `GET /mgmt/shared/diagnostics/device-stats`: figures are fixed except uptime, which
/// follows the device clock.
pub async fn device_stats(State(bigiq): State<BigIq>, _caller: BigIqCaller) -> Json<Value> {
    let now = bigiq.now_micros();
    let uptime_secs = (now - bigiq.started_micros()).max(0) / 1_000_000;
    Json(json!({
        "cpuCount": 4,
        "cpuUsagePercent": 7.5,
        "totalMemory": 33_554_432_000_u64,
        "freeMemory": 19_327_352_832_u64,
        "usedMemory": 14_227_079_168_u64,
        "totalDiskSpace": 536_870_912_000_u64,
        "freeDiskSpace": 402_653_184_000_u64,
        "uptimeSeconds": uptime_secs,
        "generation": 0,
        "lastUpdateMicros": now,
        "kind": "shared:diagnostics:devicestatsstate",
        "selfLink": "https://localhost/mgmt/shared/diagnostics/device-stats",
    }))
}

/// The TMOS version the managed BIG-IPs run.
const MANAGED_VERSION: &str = "17.1.3";

/// The managed BIG-IPs: (uuid, hostname, management address).
const MANAGED: [(&str, &str, &str); 3] = [
    (
        "3b4e1c2a-5d6f-4a7b-8c9d-0e1f2a3b4c5d",
        "bigip-a.example.com",
        "10.1.1.10",
    ),
    (
        "4c5f2d3b-6e7a-4b8c-9dae-1f2a3b4c5d6e",
        "bigip-b.example.com",
        "10.1.1.11",
    ),
    (
        "5d6a3e4c-7f8b-4c9d-aebf-2a3b4c5d6e7f",
        "bigip-c.example.com",
        "10.1.1.12",
    ),
];

fn managed(uuid: &str, hostname: &str, address: &str) -> Value {
    json!({
        "uuid": uuid,
        "machineId": uuid,
        "deviceUri": format!("https://{address}:443"),
        "address": address,
        "managementAddress": address,
        "httpsPort": 443,
        "hostname": hostname,
        "mcpDeviceName": format!("/Common/{hostname}"),
        "state": "ACTIVE",
        "product": "BIG-IP",
        "version": MANAGED_VERSION,
        "edition": "Final",
        "build": "0.20.11",
        "restFrameworkVersion": format!("{}-0.20.11", MANAGED_VERSION),
        "isClustered": false,
        "isVirtual": true,
        "generation": 1,
        "kind": "shared:resolver:device-groups:restdeviceresolverdevicestate",
        "selfLink": format!("https://localhost{DEVICES_PATH}/{uuid}"),
    })
}

/// `GET …/device-groups/cm-bigip-allBigIpDevices/devices`.
pub async fn managed_devices(State(bigiq): State<BigIq>, _caller: BigIqCaller) -> Json<Value> {
    let items: Vec<Value> = MANAGED.iter().map(|(u, h, a)| managed(u, h, a)).collect();
    Json(json!({
        "items": items,
        "generation": 3,
        "lastUpdateMicros": bigiq.started_micros(),
        "kind": "shared:resolver:device-groups:devicegroupdevicecollectionstate",
        "selfLink": format!("https://localhost{DEVICES_PATH}"),
    }))
}

/// `GET …/devices/<uuid>`.
pub async fn managed_device(
    _caller: BigIqCaller,
    F5Path(uuid): F5Path<String>,
) -> Result<Json<Value>, F5Error> {
    MANAGED
        .iter()
        .find(|(u, _, _)| *u == uuid)
        .map(|(u, h, a)| Json(managed(u, h, a)))
        .ok_or_else(|| {
            F5Error::configuration(
                StatusCode::NOT_FOUND,
                format!("Object not found: {DEVICES_PATH}/{uuid}"),
            )
        })
}
