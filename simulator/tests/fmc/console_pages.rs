//! What the console's FMC pages read: server version, domains and managed devices, each paged
//! like every FMC collection, with links on the address the client called.

use reqwest::StatusCode;
use shared::wire::DeviceKind;

use crate::common::Sim;
use crate::{GLOBAL, SUB, assert_fmc_error, generate, get};

#[tokio::test]
async fn server_version_and_domains_are_single_pages() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let (status, version) = get(
        &sim,
        &pair.access,
        "/api/fmc_platform/v1/info/serverversion",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version["items"][0]["type"], "ServerVersion");
    assert!(
        version["items"][0]["serverVersion"]
            .as_str()
            .unwrap()
            .starts_with("7.")
    );
    assert_eq!(version["paging"]["count"], 1);
    assert_eq!(version["paging"]["pages"], 1);

    let (status, domains) = get(&sim, &pair.access, "/api/fmc_platform/v1/info/domain").await;
    assert_eq!(status, StatusCode::OK);
    let items = domains["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "Global");
    assert_eq!(items[0]["uuid"], GLOBAL);
    assert_eq!(items[0]["type"], "Domain");
    assert_eq!(items[1]["uuid"], SUB);
    assert_eq!(
        domains["links"]["self"],
        format!(
            "{}/api/fmc_platform/v1/info/domain?offset=0&limit=25",
            sim.device.base_url()
        )
    );
}

#[tokio::test]
async fn device_records_page_short_and_expanded_per_domain() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let records = format!("/api/fmc_config/v1/domain/{GLOBAL}/devices/devicerecords");
    let (status, short) = get(&sim, &pair.access, &format!("{records}?limit=4")).await;
    assert_eq!(status, StatusCode::OK, "{short}");
    assert_eq!(short["paging"]["count"], 6);
    assert_eq!(short["paging"]["pages"], 2);
    assert_eq!(
        short["paging"]["next"][0],
        format!("{}{records}?offset=4&limit=4", sim.device.base_url())
    );
    let first = &short["items"][0];
    assert_eq!(first["type"], "Device");
    assert!(first.get("model").is_none(), "short form: {first}");
    let link = first["links"]["self"].as_str().unwrap();
    assert!(link.starts_with(&sim.device.base_url()), "{link}");

    let (status, expanded) = get(&sim, &pair.access, &format!("{records}?expanded=true")).await;
    assert_eq!(status, StatusCode::OK);
    let items = expanded["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    for item in items {
        for field in ["model", "sw_version", "healthStatus", "hostName", "ftdMode"] {
            assert!(item[field].is_string(), "{field} in {item}");
        }
        assert_eq!(item["metadata"]["domain"]["id"], GLOBAL);
    }

    // A record's self link reads it back.
    let path = link.trim_start_matches(&sim.device.base_url()).to_owned();
    let (status, one) = get(&sim, &pair.access, &path).await;
    assert_eq!((status, &one["id"]), (StatusCode::OK, &first["id"]));
    assert!(one["model"].is_string());

    let (_, sub) = get(
        &sim,
        &pair.access,
        &format!("/api/fmc_config/v1/domain/{SUB}/devices/devicerecords"),
    )
    .await;
    assert_eq!(sub["paging"]["count"], 2);
    let (status, body) = get(&sim, &pair.access, &format!("{records}/no-such-device")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_fmc_error(&body, "The object with id no-such-device was not found.");
}
