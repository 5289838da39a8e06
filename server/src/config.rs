//! Run-time configuration, from flags and environment (see the README's table).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub listen: String,
    /// `--dev` / `--demo`: exposes `devSmsCodes` and friendlier diagnostics.
    pub dev_mode: bool,
    pub demo: bool,
    pub jwt_secret: Option<String>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    /// Most aliased fields in one GraphQL document (`COTTON_MAX_ALIASES`).
    pub max_aliases: usize,
    /// Most operations in one batched (JSON array) request (`COTTON_MAX_BATCH`).
    pub max_batch: usize,
    /// Per-IP sign-in budget (`COTTON_SIGN_IN_PER_IP`, e.g. `60/min`; 0 = off).
    pub sign_in_per_ip: crate::limits::Rate,
    /// Per-IP SMS-sending budget (`COTTON_SMS_PER_IP`, e.g. `30/hour`; 0 = off).
    pub sms_per_ip: crate::limits::Rate,
    /// Peers whose `X-Forwarded-For` is believed (`COTTON_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<crate::limits::Net>,
    /// Folder of driver plugins (shared libraries) loaded at start.
    pub plugins_dir: PathBuf,
}

impl Config {
    pub fn from_env(database_url: Option<String>) -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let num = |k: &str, d: u64| env(k).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(d);
        Config {
            database_url,
            data_dir: env("COTTON_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data")),
            listen: env("COTTON_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into()),
            dev_mode: false,
            demo: false,
            jwt_secret: env("COTTON_JWT_SECRET"),
            access_ttl: Duration::from_secs(num("COTTON_ACCESS_TTL_SECS", 900).clamp(1, 3600)),
            refresh_ttl: Duration::from_secs(num("COTTON_REFRESH_TTL_DAYS", 30) * 86_400),
            max_depth: num("COTTON_MAX_DEPTH", 12) as usize,
            max_complexity: num("COTTON_MAX_COMPLEXITY", 5_000) as usize,
            plugins_dir: env("COTTON_PLUGINS_DIR").map(PathBuf::from).unwrap_or_else(default_plugins_dir),
            max_aliases: num("COTTON_MAX_ALIASES", 30) as usize,
            max_batch: num("COTTON_MAX_BATCH", 10) as usize,
            sign_in_per_ip: crate::limits::Rate::from_env("COTTON_SIGN_IN_PER_IP", env("COTTON_SIGN_IN_PER_IP"), "60/min"),
            sms_per_ip: crate::limits::Rate::from_env("COTTON_SMS_PER_IP", env("COTTON_SMS_PER_IP"), "30/hour"),
            trusted_proxies: env("COTTON_TRUSTED_PROXIES").map(|v| crate::limits::parse_trusted(&v)).unwrap_or_default(),
            introspection: env("COTTON_INTROSPECTION").map(|v| v != "off" && v != "false" && v != "0").unwrap_or(true),
        }
    }
}

/// Where cargo puts the workspace's plugin libraries: next to the server binary
/// (`target/debug` or `target/release`), so a fresh `cargo build --workspace`
/// needs no configuration.
pub fn default_plugins_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("plugins-enabled"))
}
