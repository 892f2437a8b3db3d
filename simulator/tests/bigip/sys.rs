//! `/mgmt/tm/sys`, the version, `?ver=`, trailing slashes and unknown paths.

use reqwest::StatusCode;
use shared::wire::DeviceKind;

use crate::common::{Sim, assert_configuration_error, assert_framework_error, status_json};

#[tokio::test]
async fn sys_lists_references_and_puts_ver_in_self_link_even_with_a_trailing_slash() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let (status, body) = status_json(
        sim.get("/mgmt/tm/sys/")
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kind"], "tm:sys:syscollectionstate");
    assert_eq!(body["selfLink"], "https://localhost/mgmt/tm/sys?ver=17.1.3");
    let links: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"]["link"].as_str().unwrap())
        .collect();
    assert!(
        links.contains(&"https://localhost/mgmt/tm/sys/version?ver=17.1.3"),
        "{links:?}"
    );
}

#[tokio::test]
async fn every_link_from_mgmt_tm_down_to_nodes_resolves() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    // Walk the references from /mgmt/tm as an explorer would: every one must answer 200.
    let mut queue = vec!["/mgmt/tm".to_string()];
    let mut seen = Vec::new();
    while let Some(path) = queue.pop() {
        let (status, body) = status_json(
            sim.get(&path)
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        seen.push(path.clone());
        if path == "/mgmt/tm" || path == "/mgmt/tm/ltm" {
            for item in body["items"].as_array().unwrap() {
                let link = item["reference"]["link"].as_str().unwrap();
                let local = link
                    .strip_prefix("https://localhost")
                    .unwrap()
                    .split('?')
                    .next()
                    .unwrap();
                queue.push(local.to_string());
            }
        }
    }
    for wanted in ["/mgmt/tm/ltm", "/mgmt/tm/ltm/node", "/mgmt/tm/sys"] {
        assert!(seen.iter().any(|s| s == wanted), "{seen:?}");
    }
}

#[tokio::test]
async fn version_has_the_main_package_and_hotfix_entries() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("foo", "fooPass").await;
    let (status, body) = status_json(
        sim.get("/mgmt/tm/sys/version?ver=11.6.0")
            .header("X-F5-Auth-Token", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kind"], "tm:sys:version:versionstats");
    assert_eq!(
        body["selfLink"],
        "https://localhost/mgmt/tm/sys/version?ver=17.1.3"
    );
    let main =
        &body["entries"]["https://localhost/mgmt/tm/sys/version/0"]["nestedStats"]["entries"];
    for field in ["Build", "Date", "Edition", "Product", "Title", "Version"] {
        assert!(main[field]["description"].is_string(), "{field} in {main}");
    }
    assert_eq!(main["Version"]["description"], "17.1.3");
    assert_eq!(main["Product"]["description"], "BIG-IP");
    let hotfixes =
        &body["entries"]["https://localhost/mgmt/tm/sys/version/1"]["nestedStats"]["entries"];
    assert_eq!(hotfixes["ID1009161_3"]["description"], "ID1009161-3");
}

#[tokio::test]
async fn ver_is_accepted_on_any_path() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    for path in [
        "/mgmt/shared/authz/tokens?ver=17.1.3",
        "/mgmt/tm/ltm/node?ver=16.1.0",
        "/mgmt/tm/sys?ver=13.1.0",
    ] {
        let reply = sim
            .get(path)
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "{path}");
    }
    let login = sim
        .post("/mgmt/shared/authn/login?ver=17.1.3")
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_paths_and_verbs_get_device_error_bodies() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let (status, body) = status_json(
        sim.get("/mgmt/tm/ltm/nosuch")
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_configuration_error(&body, 404, "Public URI path not registered: /ltm/nosuch");

    let (status, body) = status_json(sim.get("/nowhere").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["kind"], ":resterrorresponse");

    let (status, body) = status_json(sim.post("/mgmt/tm/sys/version").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_framework_error(
        &body,
        405,
        "Method POST is not supported on /mgmt/tm/sys/version",
    );
}

#[tokio::test]
async fn echo_query_answers_authenticated_callers() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let ok = sim
        .get("/mgmt/shared/echo-query")
        .basic_auth("foo", Some("fooPass"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let denied = sim
        .get("/mgmt/shared/echo-query")
        .basic_auth("foo", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
}
