//! `GET /api/fmc_config/v1/domain/<DOMAIN_UUID>/devices/devicerecords` (paged, short or
//! expanded) and `…/devicerecords/<id>`: the firewalls the simulated FMC manages.
//!
//! The expanded form follows the FMC API reference's `Device` object (fields a console shows:
//! model, version, health, mode, access policy, licenses); the values are invented and the
//! exact field set of a given FMC release is unverified.

use axum::Json;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::FmcError;
use super::auth::FmcCaller;
use super::domains::{DOMAINS, Domain, find_domain};
use super::extract::FmcPath;
use super::paging::paged_objects;
use crate::origin::origin;

/// One managed device: id, name, management address, model, model number, software
/// version, health, firewall mode, and the index of its domain in `DOMAINS`.
struct DeviceRecord(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
);

const ACCESS_POLICY: (&str, &str) = (
    "Default-Access-Policy",
    "0050568A-3F3F-0ed3-0000-004294967299",
);
const FTD_3110: &str = "Cisco Secure Firewall 3110 Threat Defense";
const FTD_4115: &str = "Cisco Firepower 4115 Threat Defense";
const FTD_1120: &str = "Cisco Firepower 1120 Threat Defense";
const FTDV: &str = "Cisco Secure Firewall Threat Defense for VMware";

/// The demo estate: six firewalls in `Global`, two in `Global/Sub`.
const RECORDS: [DeviceRecord; 8] = [
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a01",
        "ftd-edge-01",
        "10.20.0.11",
        FTD_3110,
        "3110",
        "7.4.1",
        "green",
        "ROUTED",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a02",
        "ftd-edge-02",
        "10.20.0.12",
        FTD_3110,
        "3110",
        "7.4.1",
        "green",
        "ROUTED",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a03",
        "ftd-dc-01",
        "10.20.1.11",
        FTD_4115,
        "4115",
        "7.2.5",
        "yellow",
        "ROUTED",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a04",
        "ftd-dc-02",
        "10.20.1.12",
        FTD_4115,
        "4115",
        "7.2.5",
        "green",
        "ROUTED",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a05",
        "ftdv-lab-01",
        "10.20.9.21",
        FTDV,
        "75",
        "7.4.1",
        "green",
        "TRANSPARENT",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a06",
        "ftdv-branch-01",
        "10.30.0.11",
        FTDV,
        "75",
        "7.4.1",
        "red",
        "ROUTED",
        0,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a07",
        "ftd-sub-01",
        "10.40.0.11",
        FTD_1120,
        "1120",
        "7.2.5",
        "green",
        "ROUTED",
        1,
    ),
    DeviceRecord(
        "8e8f2a6c-4b1e-11ee-9c1a-9f3b2c1d0a08",
        "ftd-sub-02",
        "10.40.0.12",
        FTD_1120,
        "1120",
        "7.2.5",
        "green",
        "ROUTED",
        1,
    ),
];

impl DeviceRecord {
    fn domain(&self) -> Domain {
        DOMAINS[self.8]
    }

    fn to_json(&self, origin: &str, expanded: bool) -> Value {
        let DeviceRecord(id, name, host, model, model_number, version, health, mode, _) = *self;
        let domain = self.domain();
        let link = format!(
            "{origin}/api/fmc_config/v1/domain/{}/devices/devicerecords/{id}",
            domain.uuid
        );
        let mut body = json!({
            "id": id,
            "type": "Device",
            "links": {"self": link},
            "name": name,
        });
        if expanded {
            let (policy_name, policy_id) = ACCESS_POLICY;
            let extra = json!({
                "description": "NOT SUPPORTED",
                "hostName": host,
                "model": model,
                "modelId": "A",
                "modelNumber": model_number,
                "modelType": "Sensor",
                "sw_version": version,
                "healthStatus": health,
                "healthPolicy": {"name": "Initial_Health_Policy", "type": "HealthPolicy"},
                "ftdMode": mode,
                "deploymentStatus": "DEPLOYED",
                "isConnected": health != "red",
                "keepLocalEvents": false,
                "prohibitPacketTransfer": false,
                "license_caps": ["BASE", "MALWARE", "URLFilter", "THREAT"],
                "accessPolicy": {"name": policy_name, "id": policy_id, "type": "AccessPolicy"},
                "metadata": {
                    "readOnly": {"state": false},
                    "domain": {"name": domain.name, "id": domain.uuid, "type": "Domain"},
                    "isMultiInstance": false,
                    "snortVersion": "3.1.53.100-56",
                },
            });
            if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
                body.extend(extra);
            }
        }
        body
    }
}

/// `GET …/devices/devicerecords?offset=&limit=&expanded=`.
pub async fn list(
    _caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let all: Vec<&DeviceRecord> = RECORDS.iter().filter(|r| r.domain() == domain).collect();
    paged_objects(&parts, &all, |record, origin, expanded| {
        record.to_json(origin, expanded)
    })
}

/// `GET …/devices/devicerecords/<id>`: always the expanded form.
pub async fn get_one(
    _caller: FmcCaller,
    FmcPath((domain, id)): FmcPath<(String, String)>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    RECORDS
        .iter()
        .find(|r| r.domain() == domain && r.0.eq_ignore_ascii_case(&id))
        .map(|r| Json(r.to_json(&origin(&parts), true)))
        .ok_or_else(|| FmcError::NotFound(format!("The object with id {id} was not found.")))
}
