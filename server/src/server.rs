//! Wiring: open the database, build the state and schema, run the HTTP server.

use std::sync::Arc;

use cotton_service::auth::TokenKeys;
use crate::config::Config;
use cotton_service::db::{DatabaseUrl, DbPool};
use cotton_service::events::{EventBus, Retention};
use cotton_service::sms::LogSmsSender;
use cotton_service::state::AppState;

use crate::state::ServerState;

pub async fn open_database(config: &Config) -> anyhow::Result<DbPool> {
    let url = DatabaseUrl::parse(config.database_url.as_deref(), &config.data_dir).map_err(anyhow::Error::msg)?;
    tracing::info!(backend = url.backend_name(), "opening database");
    Ok(DbPool::connect(&url).await?)
}

pub async fn build_state(config: Config, db: DbPool) -> anyhow::Result<ServerState> {
    let bus = EventBus::start(db.clone(), Retention { keep: config.event_retention, prune_every: config.event_prune_every });
    let secret = TokenKeys::load_secret(config.jwt_secret.as_deref(), &config.data_dir)?;
    let keys = TokenKeys::new(&secret, config.access_ttl, config.refresh_ttl);
    let sms = Arc::new(LogSmsSender::new(config.dev_mode));
    let isolation = crate::plugins::isolation_from_env()?;
    let plugins = Arc::new(cotton_plugin_host::PluginRegistry::load_dir_with(&config.plugins_dir, &isolation));
    tracing::info!(
        dir = %config.plugins_dir.display(),
        isolation = isolation.name(),
        loaded = plugins.list().len(),
        refused = plugins.refused().len(),
        "driver plugins"
    );
    let ticket_commits = cotton_service::tickets::start_commits(db.clone(), bus.clone());
    let app = AppState { db, bus, keys, sms, plugins, quality: Default::default(), ticket_commits };
    Ok(ServerState { app, config: Arc::new(config) })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open_database(&config).await?;
    let listen = config.listen.clone();
    let demo = config.demo;
    let state = build_state(config, db).await?;
    if demo {
        load_demo(&state).await?;
    }
    let schema = crate::graphql::build_schema(Some(state.clone()));
    use poem::listener::{Acceptor, Listener};
    let acceptor = poem::listener::TcpListener::bind(listen.clone()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .map(|a| a.to_string())
        .unwrap_or(listen);
    if demo {
        describe_demo(&addr);
    }
    tracing::info!(%addr, backend = state.db.backend_name(), "Cotton Trace listening; GraphiQL at http://{addr}/graphql");
    let app = crate::http::app(state, schema);
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, async { let _ = tokio::signal::ctrl_c().await; }, Some(std::time::Duration::from_secs(5)))
        .await?;
    Ok(())
}

#[cfg(feature = "dev-tools")]
async fn load_demo(state: &ServerState) -> anyhow::Result<()> {
    let loaded = cotton_devtools::demo::load(&state.app).await.map_err(|e| anyhow::anyhow!("{} ({e:?})", e.message()))?;
    tracing::info!(loaded, "demo data set ready");
    Ok(())
}

#[cfg(not(feature = "dev-tools"))]
async fn load_demo(_: &ServerState) -> anyhow::Result<()> {
    anyhow::bail!("此程序构建时未包含演示数据（dev-tools 功能），不能使用 --demo")
}

#[cfg(feature = "dev-tools")]
fn describe_demo(addr: &str) {
    println!("{}", cotton_devtools::demo::describe(addr));
}

#[cfg(not(feature = "dev-tools"))]
fn describe_demo(_: &str) {}

/// The dev tools' view of this server: its database and state, as `serve` opens them.
#[cfg(feature = "dev-tools")]
pub struct DevHost(pub Config);

#[cfg(feature = "dev-tools")]
#[async_trait::async_trait]
impl cotton_devtools::Host for DevHost {
    async fn open_database(&self) -> anyhow::Result<DbPool> {
        open_database(&self.0).await
    }
    async fn build_state(&self, db: DbPool) -> anyhow::Result<AppState> {
        Ok(build_state(self.0.clone(), db).await?.app)
    }
}
