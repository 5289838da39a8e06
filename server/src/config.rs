//! Run-time configuration, from flags and environment (see the README's table).

use std::path::PathBuf;
use std::time::Duration;

/// `Debug` is written by hand: the JWT secret and a database password never
/// appear in a log line or a panic message.
#[derive(Clone)]
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
    /// Per-IP budget of the public bale trace (`COTTON_PUBLIC_TRACE_PER_IP`, e.g. `120/min`; 0 = off).
    pub public_trace_per_ip: crate::limits::Rate,
    /// Peers whose `X-Forwarded-For` is believed (`COTTON_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<crate::limits::Net>,
    /// Folder of driver plugins (shared libraries) loaded at start.
    pub plugins_dir: PathBuf,
    /// How long the events outbox keeps events for subscribers that reconnect
    /// (`COTTON_EVENT_RETENTION_HOURS`, default 168 = 7 days, 1 to 8,760).
    pub event_retention: Duration,
    /// How often old events are pruned (`COTTON_EVENT_PRUNE_EVERY_SECS`, default 600).
    pub event_prune_every: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_deref().map(redact_url_password))
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("dev_mode", &self.dev_mode)
            .field("demo", &self.demo)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<redacted>"))
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("max_depth", &self.max_depth)
            .field("max_complexity", &self.max_complexity)
            .field("introspection", &self.introspection)
            .field("max_aliases", &self.max_aliases)
            .field("max_batch", &self.max_batch)
            .field("sign_in_per_ip", &self.sign_in_per_ip)
            .field("sms_per_ip", &self.sms_per_ip)
            .field("public_trace_per_ip", &self.public_trace_per_ip)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("plugins_dir", &self.plugins_dir)
            .field("event_retention", &self.event_retention)
            .field("event_prune_every", &self.event_prune_every)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:REDACTED@host/db`.
pub fn redact_url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => url.to_string(),
    }
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
            public_trace_per_ip: crate::limits::Rate::from_env("COTTON_PUBLIC_TRACE_PER_IP", env("COTTON_PUBLIC_TRACE_PER_IP"), "120/min"),
            trusted_proxies: env("COTTON_TRUSTED_PROXIES").map(|v| crate::limits::parse_trusted(&v)).unwrap_or_default(),
            introspection: env("COTTON_INTROSPECTION").map(|v| v != "off" && v != "false" && v != "0").unwrap_or(true),
            event_retention: Duration::from_secs(num("COTTON_EVENT_RETENTION_HOURS", 168).clamp(1, 8_760) * 3_600),
            event_prune_every: Duration::from_secs(num("COTTON_EVENT_PRUNE_EVERY_SECS", 600).clamp(1, 86_400)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_jwt_secret_or_a_database_password() {
        let mut c = Config::from_env(Some("postgres://cotton:db-Pa55word@127.0.0.1:5432/cotton".into()));
        c.jwt_secret = Some("jwt-S3cret-value-0123456789abcdef".into());
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("jwt-S3cret-value"), "{shown}");
        assert!(!shown.contains("db-Pa55word"), "{shown}");
        assert!(shown.contains("<redacted>") && shown.contains("postgres://cotton:REDACTED@127.0.0.1:5432/cotton"), "{shown}");
    }
}
