//! Wiring: open the database, build the state and schema, run the HTTP server.

use std::sync::Arc;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::{DatabaseUrl, DbPool};
use crate::events::EventBus;
use crate::sms::LogSmsSender;
use crate::state::AppState;

pub async fn open_database(config: &Config) -> anyhow::Result<DbPool> {
    let url = DatabaseUrl::parse(config.database_url.as_deref(), &config.data_dir).map_err(anyhow::Error::msg)?;
    tracing::info!(backend = url.backend_name(), "opening database");
    Ok(DbPool::connect(&url).await?)
}

pub async fn build_state(config: Config, db: DbPool) -> anyhow::Result<AppState> {
    let bus = match &db {
        DbPool::Sqlite { .. } => EventBus::in_process(),
        DbPool::Postgres { url, .. } => EventBus::postgres(url.clone()),
    };
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
    Ok(AppState { db, bus, keys, config: Arc::new(config), sms, plugins, quality: Default::default() })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open_database(&config).await?;
    let listen = config.listen.clone();
    let demo = config.demo;
    let state = build_state(config, db).await?;
    if demo {
        let loaded = crate::demo::load(&state).await.map_err(|e| anyhow::anyhow!("{} ({e:?})", e.message()))?;
        tracing::info!(loaded, "demo data set ready");
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
        println!("{}", crate::demo::describe(&addr));
    }
    tracing::info!(%addr, backend = state.db.backend_name(), "Cotton Trace listening; GraphiQL at http://{addr}/graphql");
    let app = crate::http::app(state, schema);
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, async { let _ = tokio::signal::ctrl_c().await; }, Some(std::time::Duration::from_secs(5)))
        .await?;
    Ok(())
}
