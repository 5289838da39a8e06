//! The `plugins` query: the driver plugins this server loaded, and those it refused.

use async_graphql::{Context, Enum, Object, SimpleObject};
use cotton_plugin_host::PluginInfo;
use cotton_plugin_host::abi::wire::PluginKind as WireKind;

use crate::graphql::CtxExt;

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
        if !me.scope.is_admin() {
            return Err(cotton_service::error::AppError::Forbidden("只有平台管理员可以查看被拒绝加载的插件".into()).into());
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
