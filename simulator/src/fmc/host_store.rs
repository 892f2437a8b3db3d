//! Host network objects, kept per domain in creation order.
//!
//! Domains are separate: objects of `Global` are not inherited by `Global/Sub` here (the real
//! device shows them read-only in child domains).

use std::net::IpAddr;

use serde_json::{Value, json};

use super::FmcError;
use super::domains::{DOMAINS, Domain};

/// One host object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: String,
    pub name: String,
    pub value: String,
    pub description: String,
    pub overridable: bool,
    pub domain: Domain,
    pub last_user: String,
    pub timestamp_millis: i64,
}

impl Host {
    /// The object as FMC shows it; the short form (no `expanded=true`) has only links, type,
    /// name and id.
    pub fn to_json(&self, origin: &str, expanded: bool) -> Value {
        let base = format!(
            "{origin}/api/fmc_config/v1/domain/{}/object",
            self.domain.uuid
        );
        let mut body = json!({
            "links": {"self": format!("{base}/hosts/{}", self.id)},
            "type": "Host",
            "name": self.name,
            "id": self.id,
        });
        if expanded {
            body["links"]["parent"] = json!(format!("{base}/networkaddresses"));
            body["value"] = json!(self.value);
            body["overridable"] = json!(self.overridable);
            body["description"] = json!(self.description);
            body["metadata"] = json!({
                "timestamp": self.timestamp_millis,
                "lastUser": {"name": self.last_user},
                "domain": {"name": self.domain.name, "id": self.domain.uuid, "type": "Domain"},
                "ipType": if self.value.contains(':') { "V_6" } else { "V_4" },
                "parentType": "NetworkAddress",
            });
        }
        body
    }
}

/// How many hosts the demo FMC starts with in `Global`.
pub const DEMO_HOSTS: usize = 180;

/// Every host object of the device.
#[derive(Debug, Default)]
pub struct HostStore {
    hosts: Vec<Host>,
}

impl HostStore {
    /// [`DEMO_HOSTS`] hosts in `Global` (`demo-host-001` … `demo-host-180`, in
    /// 192.0.2.0/24): at the default page of 25, "fetch all" takes eight pages.
    pub fn with_demo_hosts(now_micros: i64) -> Self {
        let hosts = (1..=DEMO_HOSTS)
            .map(|n| Host {
                id: uuid::Uuid::new_v4().to_string(),
                name: format!("demo-host-{n:03}"),
                value: format!("192.0.2.{n}"),
                description: " ".to_owned(),
                overridable: false,
                domain: DOMAINS[0],
                last_user: "admin".to_owned(),
                timestamp_millis: now_micros / 1000,
            })
            .collect();
        Self { hosts }
    }

    /// A domain's hosts, in creation order.
    pub fn in_domain(&self, domain: Domain) -> Vec<&Host> {
        self.hosts.iter().filter(|h| h.domain == domain).collect()
    }

    pub fn get(&self, domain: Domain, id: &str) -> Result<&Host, FmcError> {
        self.hosts
            .iter()
            .find(|h| h.domain == domain && h.id == id)
            .ok_or_else(|| FmcError::NotFound(format!("The object with id {id} was not found.")))
    }

    /// Create one host from its JSON body.
    pub fn create(
        &mut self,
        domain: Domain,
        body: &Value,
        user: &str,
        now_micros: i64,
    ) -> Result<Host, FmcError> {
        let host = self.validate(domain, body, None, user, now_micros)?;
        self.hosts.push(host.clone());
        Ok(host)
    }

    /// Create several hosts, all or none (`?bulk=true`).
    pub fn create_all(
        &mut self,
        domain: Domain,
        bodies: &[Value],
        user: &str,
        now_micros: i64,
    ) -> Result<Vec<Host>, FmcError> {
        let before = self.hosts.len();
        for body in bodies {
            if let Err(err) = self.create(domain, body, user, now_micros) {
                self.hosts.truncate(before);
                return Err(err);
            }
        }
        Ok(self.hosts[before..].to_vec())
    }

    /// Replace a host's name, value, description and overridable flag (PUT).
    pub fn update(
        &mut self,
        domain: Domain,
        id: &str,
        body: &Value,
        user: &str,
        now_micros: i64,
    ) -> Result<Host, FmcError> {
        self.get(domain, id)?;
        let host = self.validate(domain, body, Some(id), user, now_micros)?;
        let slot = self
            .hosts
            .iter_mut()
            .find(|h| h.id == id)
            .ok_or_else(|| FmcError::NotFound(id.to_owned()))?;
        *slot = host.clone();
        Ok(host)
    }

    pub fn delete(&mut self, domain: Domain, id: &str) -> Result<Host, FmcError> {
        self.get(domain, id)?;
        let index = self
            .hosts
            .iter()
            .position(|h| h.id == id)
            .ok_or_else(|| FmcError::NotFound(id.to_owned()))?;
        Ok(self.hosts.remove(index))
    }

    /// Check a body (error texts follow FMC's style; unverified).
    fn validate(
        &self,
        domain: Domain,
        body: &Value,
        id: Option<&str>,
        user: &str,
        now_micros: i64,
    ) -> Result<Host, FmcError> {
        let bad = |m: &str| FmcError::BadRequest(m.to_owned());
        let body = body
            .as_object()
            .ok_or_else(|| bad("Invalid input: the request body must be a JSON object."))?;
        if body.get("type").is_some_and(|t| t.as_str() != Some("Host")) {
            return Err(bad("Invalid input: type must be Host."));
        }
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("");
        if name.is_empty() || name.len() > 128 {
            return Err(bad(
                "Invalid input: name is required and may have at most 128 characters.",
            ));
        }
        let value = body
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        if value.parse::<IpAddr>().is_err() {
            return Err(FmcError::BadRequest(format!(
                "Invalid IP Address: {value:?}"
            )));
        }
        let taken = self.hosts.iter().any(|h| {
            h.domain == domain && h.name.eq_ignore_ascii_case(name) && Some(h.id.as_str()) != id
        });
        if taken {
            return Err(FmcError::BadRequest(format!(
                "The object name {name} already exists. Enter a new name."
            )));
        }
        Ok(Host {
            id: id
                .map(str::to_owned)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name: name.to_owned(),
            value: value.to_owned(),
            description: body
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or(" ")
                .to_owned(),
            overridable: body
                .get("overridable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            domain,
            last_user: user.to_owned(),
            timestamp_millis: now_micros / 1000,
        })
    }
}
