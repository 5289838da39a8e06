//! Driver plugins in the server (rules §11): the registry loaded at start from
//! `Config::plugins_dir` (`--plugins-dir` / `COTTON_PLUGINS_DIR`) lives in
//! `AppState::plugins`; `graphql::plugins` exposes it as the `plugins` query.
//!
//! Loading, checking, calling and file signing live in the
//! `cotton-plugin-host` crate (`plugins/host`); a `HostError` converts into an
//! `AppError` (`PLUGIN`, `BAD_FILE` or `VALIDATION`).
//!
//! By default every plugin runs in its own driver-host child process — this
//! executable started as `cotton-trace driver-host` — so a plugin that
//! segfaults, aborts or hangs fails one call (`PLUGIN`) and the next call gets
//! a fresh child ([`isolation_from_env`]; `COTTON_PLUGIN_ISOLATION`,
//! `COTTON_PLUGIN_TIMEOUT_SECS`).

/// The hidden subcommand that runs a driver host (`cotton-trace driver-host`).
pub const DRIVER_HOST_COMMAND: &str = "driver-host";

/// Where plugins run, from the environment:
/// `COTTON_PLUGIN_ISOLATION` = `process` (default: one driver-host child per
/// plugin) or `inprocess`; `COTTON_PLUGIN_TIMEOUT_SECS` = the deadline of one
/// call in a child (default 30, decimals allowed, 0.1 to 3600). Anything else
/// is refused at start.
pub fn isolation_from_env() -> anyhow::Result<cotton_plugin_host::Isolation> {
    use cotton_plugin_host::{Isolation, ProcessConfig};
    let env = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mode = env("COTTON_PLUGIN_ISOLATION").unwrap_or_else(|| "process".into());
    match mode.to_ascii_lowercase().as_str() {
        "inprocess" | "in-process" => return Ok(Isolation::InProcess),
        "process" => {}
        other => anyhow::bail!("COTTON_PLUGIN_ISOLATION 的值“{other}”无效：应为 process 或 inprocess"),
    }
    let timeout = match env("COTTON_PLUGIN_TIMEOUT_SECS") {
        None => cotton_plugin_host::driver_host::DEFAULT_TIMEOUT,
        Some(v) => match v.parse::<f64>() {
            Ok(secs) if (0.1..=3600.0).contains(&secs) => std::time::Duration::from_secs_f64(secs),
            _ => anyhow::bail!("COTTON_PLUGIN_TIMEOUT_SECS 的值“{v}”无效：应为 0.1 到 3600 之间的秒数"),
        },
    };
    // This very executable, even if the file was replaced since it started.
    let proc_self = std::path::Path::new("/proc/self/exe");
    let program = if proc_self.exists() { proc_self.to_path_buf() } else { std::env::current_exe()? };
    let mut config = ProcessConfig::new(program, &[DRIVER_HOST_COMMAND]);
    config.timeout = timeout;
    // A plugin has no business with the server's secrets.
    config.env_remove = ["COTTON_JWT_SECRET", "DATABASE_URL", "COTTON_TEST_PG", "PGPASSWORD"].map(String::from).to_vec();
    Ok(Isolation::Process(std::sync::Arc::new(config)))
}
