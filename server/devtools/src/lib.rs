//! Dev tools on top of the services: the demo data set that `serve --demo` loads,
//! and the server side of the benchmark (`bench generate | allocate`). The API
//! crate links them only with its `dev-tools` feature (on by default, so the
//! README's commands work on a fresh clone; a production build can leave it out).

pub mod bench;
pub mod demo;
pub mod demo_season;

/// What the dev tools need from the program that runs them: a database opened as
/// the server would open it, and the server's state over it (keys, plugins, bus).
#[async_trait::async_trait]
pub trait Host: Send + Sync {
    async fn open_database(&self) -> anyhow::Result<cotton_service::db::DbPool>;
    async fn build_state(&self, db: cotton_service::db::DbPool) -> anyhow::Result<cotton_service::state::AppState>;
}
