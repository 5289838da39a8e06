//! Driver plugins in the server (rules §11): the registry loaded at start from
//! `Config::plugins_dir` (`--plugins-dir` / `COTTON_PLUGINS_DIR`) lives in
//! `AppState::plugins`; this module exposes it as the `plugins` query.
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

use async_graphql::{Context, Enum, Object, SimpleObject};
use cotton_plugin_host::PluginInfo;
use cotton_plugin_host::abi::wire::PluginKind as WireKind;

use crate::graphql::CtxExt;

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

/// What a plugin drives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "PluginKind")]
pub enum PluginKind {
    Collector,
    Printer,
}

impl From<WireKind> for PluginKind {
    fn from(k: WireKind) -> Self {
        match k {
            WireKind::Collector => PluginKind::Collector,
            WireKind::Printer => PluginKind::Printer,
        }
    }
}

/// A loaded driver plugin.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Plugin")]
pub struct PluginObject {
    /// Package name, e.g. `cotton-printer-zpl`.
    pub name: String,
    pub kind: PluginKind,
    /// `IV`, `V` or `VI` for collectors; the printer model (`ZPL`, `TSPL`, `PDF`, …).
    pub model: String,
    /// The C-ABI version the plugin was built against.
    pub abi_version: i32,
    /// The plugin's own version.
    pub version: String,
    /// One line about the plugin, from the plugin.
    pub description: String,
    /// MIME type of what it produces: a printer's label, a collector's export payload.
    pub mime_type: String,
}

impl From<&PluginInfo> for PluginObject {
    fn from(p: &PluginInfo) -> Self {
        let mime_type = match (&p.printer, &p.collector) {
            (Some(pr), _) => pr.output.mime_type.clone(),
            (_, Some(c)) => c.cards_payload.mime_type.clone(),
            _ => String::new(),
        };
        PluginObject {
            name: p.name.clone(),
            kind: p.kind.into(),
            model: p.model.clone(),
            abi_version: i32::try_from(p.abi_version).unwrap_or(i32::MAX),
            version: p.version.clone(),
            description: p.description.clone(),
            mime_type,
        }
    }
}

/// A plugin library the server refused at start, and why.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "RefusedPlugin")]
pub struct RefusedPluginObject {
    /// The library file, as found in the plugins folder.
    pub path: String,
    /// Why it was refused: the same text as the server's log line, e.g.
    /// `wrong ABI version: the plugin has 2, this host speaks 1`.
    pub reason: String,
}

#[derive(Default)]
pub struct PluginQuery;

#[Object]
impl PluginQuery {
    /// The driver plugins loaded at start, collectors first, then printers,
    /// each by model. Any signed-in account may list them (an enterprise picks
    /// its printer from them). Plugins refused at start are in `refusedPlugins`
    /// (platform admin) and the log.
    async fn plugins(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PluginObject>> {
        ctx.principal()?;
        let mut list: Vec<PluginObject> = ctx.state().plugins.list().into_iter().map(PluginObject::from).collect();
        list.sort_by(|a, b| (a.kind == PluginKind::Printer, &a.model).cmp(&(b.kind == PluginKind::Printer, &b.model)));
        Ok(list)
    }

    /// The plugin libraries the server refused at start, in file-name order, each
    /// with the reason (the one of its log line): a wrong ABI version, a missing
    /// entry point, a failed self-test, a duplicate model… Platform admin only
    /// (FORBIDDEN for any other account): paths and reasons describe the server.
    async fn refused_plugins(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RefusedPluginObject>> {
        let me = ctx.principal()?;
        if me.role != cotton_domain::orgs::Role::PlatformAdmin {
            return Err(crate::error::AppError::Forbidden("只有平台管理员可以查看被拒绝加载的插件".into()).into());
        }
        Ok(ctx
            .state()
            .plugins
            .refused()
            .iter()
            .map(|r| RefusedPluginObject { path: r.path.display().to_string(), reason: r.reason.clone() })
            .collect())
    }
}
