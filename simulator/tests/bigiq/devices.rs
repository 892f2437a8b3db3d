//! Device info, device stats and the managed BIG-IPs.

use reqwest::StatusCode;
use shared::wire::DeviceKind;

use crate::common::{Sim, status_json};
use crate::{admin_login, stats};

#[tokio::test]
async fn device_info_stats_and_managed_bigips() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let token = admin_login(&sim).await["token"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: &str| sim.get(path).header("X-F5-Auth-Token", &token).send();
    let (status, info) = status_json(
        get("/mgmt/shared/identified-devices/config/device-info")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["product"], "BIG-IQ");
    assert_eq!(info["version"], "8.3.0");
    assert_eq!(
        info["kind"],
        "shared:resolver:device-groups:deviceinfostate"
    );
    for field in [
        "hostname",
        "build",
        "edition",
        "managementAddress",
        "machineId",
    ] {
        assert!(info[field].is_string(), "{field}");
    }
    let (_, before) = stats(&sim, &token).await;
    sim.advance(120);
    let (_, after) = stats(&sim, &token).await;
    assert_eq!(
        after["uptimeSeconds"].as_i64().unwrap() - before["uptimeSeconds"].as_i64().unwrap(),
        120
    );
    let (status, devices) = status_json(
        get("/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let items = devices["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|d| d["product"] == "BIG-IP" && d["state"] == "ACTIVE")
    );
    for device in items {
        for field in [
            "uuid",
            "hostname",
            "address",
            "managementAddress",
            "version",
            "mcpDeviceName",
        ] {
            assert!(device[field].is_string(), "{field} in {device}");
        }
        assert_eq!(device["httpsPort"], 443);
    }
    let one = items[0]["selfLink"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://localhost")
        .to_owned();
    let (status, device) = status_json(get(&one).await.unwrap()).await;
    assert_eq!(
        (status, &device["uuid"]),
        (StatusCode::OK, &items[0]["uuid"])
    );
    let (status, body) = status_json(get("/mgmt/shared/nothing-here").await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["kind"], ":resterrorresponse");
}
