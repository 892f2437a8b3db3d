//! Host objects per domain: paging, expanded form, create and the error body.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::wire::DeviceKind;

use crate::common::{Sim, status_json};
use crate::{GLOBAL, SUB, assert_fmc_error, generate, get};

fn hosts(domain: &str) -> String {
    format!("/api/fmc_config/v1/domain/{domain}/object/hosts")
}

#[tokio::test]
async fn hosts_page_with_limit_offset_and_expanded() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let (status, first) = get(&sim, &pair.access, &hosts(GLOBAL)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["paging"]["count"], 180);
    assert_eq!(first["paging"]["limit"], 25);
    assert_eq!(first["paging"]["pages"], 8);
    assert_eq!(first["items"].as_array().unwrap().len(), 25);
    assert!(
        first["items"][0].get("value").is_none(),
        "short form without expanded"
    );
    let next = first["paging"]["next"][0].as_str().unwrap();
    assert_eq!(
        next,
        format!(
            "{}{}?offset=25&limit=25",
            sim.device.base_url(),
            hosts(GLOBAL)
        ),
        "links use the address the client called"
    );

    let (_, page) = get(
        &sim,
        &pair.access,
        &format!("{}?offset=20&limit=8&expanded=true", hosts(GLOBAL)),
    )
    .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert_eq!(items[0]["name"], "demo-host-021");
    assert_eq!(items[0]["value"], "192.0.2.21");
    assert_eq!(items[0]["type"], "Host");
    assert_eq!(items[0]["metadata"]["domain"]["id"], GLOBAL);
    assert_eq!(page["paging"]["offset"], 20);
    assert_eq!(page["paging"]["pages"], 23);
}

#[tokio::test]
async fn fetching_all_hosts_follows_next_links_over_several_pages() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let mut url = format!("{}?limit=50&expanded=true", sim.url(&hosts(GLOBAL)));
    let (mut pages, mut names) = (0, Vec::new());
    loop {
        let (status, page) = status_json(
            sim.http
                .get(&url)
                .header("X-auth-access-token", &pair.access)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            assert!(item["value"].is_string(), "expanded: {item}");
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["paging"]["next"][0].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(names.len(), 180);
    assert_eq!(names.first().map(String::as_str), Some("demo-host-001"));
    assert_eq!(names.last().map(String::as_str), Some("demo-host-180"));
}

#[tokio::test]
async fn create_adds_a_host_to_one_domain_only() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let (status, empty) = get(&sim, &pair.access, &hosts(SUB)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.get("items").is_none(), "{empty}");
    assert_eq!(empty["paging"]["count"], 0);

    let (status, created) = status_json(
        sim.post(&hosts(SUB))
            .header("X-auth-access-token", &pair.access)
            .json(&json!({"name": "web01", "value": "10.1.1.1", "type": "Host", "description": "web"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["name"], "web01");
    let id = created["id"].as_str().unwrap();
    let (_, listed) = get(&sim, &pair.access, &format!("{}?expanded=true", hosts(SUB))).await;
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["description"], "web");
    let (status, one) = get(&sim, &pair.access, &format!("{}/{id}", hosts(SUB))).await;
    assert_eq!(
        (status, one["value"].as_str()),
        (StatusCode::OK, Some("10.1.1.1"))
    );
    let (_, global) = get(&sim, &pair.access, &hosts(GLOBAL)).await;
    assert_eq!(global["paging"]["count"], 180, "Global is unchanged");
}

#[tokio::test]
async fn invalid_and_duplicate_hosts_get_fmc_errors() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let post = |body: Value| {
        sim.post(&hosts(GLOBAL))
            .header("X-auth-access-token", &pair.access)
            .json(&body)
            .send()
    };
    let (status, body) = status_json(
        post(json!({"name": "demo-host-001", "value": "10.9.9.9"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fmc_error(
        &body,
        "The object name demo-host-001 already exists. Enter a new name.",
    );
    let (status, body) =
        status_json(post(json!({"name": "x", "value": "10.9.9"})).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["category"], "FRAMEWORK");

    let (status, body) = get(
        &sim,
        &pair.access,
        &hosts("00000000-0000-0000-0000-000000000000"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["severity"], "ERROR");
    let (status, body) = get(&sim, &pair.access, "/api/fmc_config/v1/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["severity"], "ERROR");
}

#[tokio::test]
async fn bodies_over_2048000_bytes_get_422_and_malformed_json_400() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let big = format!(
        "{{\"name\":\"x\",\"value\":\"10.0.0.1\",\"description\":\"{}\"}}",
        "a".repeat(2_048_000)
    );
    let (status, body) = status_json(
        sim.post(&hosts(GLOBAL))
            .header("X-auth-access-token", &pair.access)
            .header("Content-Type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["category"], "FRAMEWORK");
    let (status, body) = status_json(
        sim.post(&hosts(GLOBAL))
            .header("X-auth-access-token", &pair.access)
            .header("Content-Type", "application/json")
            .body("{\"name\":")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["severity"], "ERROR");
}

#[tokio::test]
async fn nothing_is_pending_deployment() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let path = format!("/api/fmc_config/v1/domain/{GLOBAL}/deployment/deployabledevices");
    let (status, body) = get(&sim, &pair.access, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("items").is_none());
    assert_eq!(body["paging"]["count"], 0);
}
