//! `tokendeck.toml` as written: every key optional except each device's id, name, kind and
//! base_url. [`super::Settings::from_file`] validates it.

use std::path::PathBuf;

use serde::Deserialize;

use super::device::DeviceFile;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub dist: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    pub access_key: Option<String>,
    pub access_key_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_no_access_key: bool,
    pub allow_tofu: Option<bool>,
    pub state_file: Option<PathBuf>,
    /// A Redis shared by replicas: `redis://host:6379/0`, `rediss://` for TLS.
    pub state: Option<String>,
    pub state_password_file: Option<PathBuf>,
    pub state_ca: Option<PathBuf>,
    pub state_prefix: Option<String>,
    /// The key (at least 32 bytes) pins in Redis and its generation marker are signed with.
    pub state_signing_key_file: Option<PathBuf>,
    /// Proxies (addresses or networks) trusted to say who the client is (`X-Forwarded-For`).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header a trusted authenticating proxy names the user in (logged for audit).
    pub proxy_user_header: Option<String>,
    #[serde(default)]
    pub limits: LimitsFile,
    #[serde(default)]
    pub ad_hoc: AdHocFile,
    #[serde(default)]
    pub devices: Vec<DeviceFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub connect_timeout_ms: Option<u64>,
    pub request_timeout_ms: Option<u64>,
    pub reply_idle_timeout_ms: Option<u64>,
    pub pool_idle_timeout_s: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub max_reply_bytes: Option<u64>,
    pub header_read_timeout_ms: Option<u64>,
    pub body_read_timeout_ms: Option<u64>,
    pub send_timeout_ms: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_client: Option<usize>,
    pub max_in_flight: Option<usize>,
    pub max_in_flight_per_client: Option<usize>,
    pub shutdown_deadline_ms: Option<u64>,
    pub drain_delay_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdHocFile {
    #[serde(default)]
    pub allowed: Vec<String>,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}
