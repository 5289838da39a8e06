//! The store: the only crate that knows diesel. Embedded SQLite by default,
//! PostgreSQL when `DATABASE_URL=postgres://…`.
//!
//! Both backends are compiled in and picked at run time (Vaultwarden's pattern):
//! [`DbPool`] is an enum of bb8 pools, and [`db_run!`] expands one query block per
//! backend, so every query is type-checked against both. `diesel_async::RunQueryDsl`
//! is imported only inside that macro: in scope elsewhere it shadows
//! async-graphql's `execute`.

/// Runs a block once per backend with `$conn` bound to that backend's connection
/// and `diesel_async::RunQueryDsl` in scope.
#[macro_export]
macro_rules! db_run {
    ($conn:ident: $body:block) => {
        match $conn.backend() {
            $crate::DbConn::Sqlite($conn) => {
                #[allow(unused_imports)]
                use $crate::__private::diesel_async::{AsyncConnection as _, RunQueryDsl as _};
                let $conn: &mut $crate::SqliteConn = &mut **$conn;
                $body
            }
            $crate::DbConn::Postgres($conn) => {
                #[allow(unused_imports)]
                use $crate::__private::diesel_async::{AsyncConnection as _, RunQueryDsl as _};
                let $conn: &mut $crate::PgConn = &mut **$conn;
                $body
            }
        }
    };
}

pub mod accounts;
pub mod audit;
pub mod bale_trace;
pub mod batch;
pub mod cards;
pub mod decimal;
pub mod error;
pub mod events;
pub mod lines;
pub mod meta;
pub mod metrics;
pub mod orgs;
pub mod page;
pub mod printing;
pub mod processing;
pub mod quality;
pub mod results;
pub mod rosters;
pub mod season;
pub mod stats;
pub mod tickets;
pub mod units;
pub mod schema;

/// What [`db_run!`] expands to, so that callers need not depend on diesel-async.
#[doc(hidden)]
pub mod __private {
    pub use diesel_async;
}

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::pooled_connection::bb8::{Pool, PooledConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

pub use decimal::Dec;
pub use error::{StoreError, StoreResult};

/// diesel's query-building traits without `diesel::RunQueryDsl`, which would clash
/// with `diesel_async::RunQueryDsl` inside [`db_run!`].
pub mod prelude {
    pub use diesel::{
        BoolExpressionMethods, ExpressionMethods, Insertable, JoinOnDsl, NullableExpressionMethods,
        OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper, TextExpressionMethods,
        AsChangeset,
    };
}

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;
pub type PgConn = AsyncPgConnection;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Per-connection SQLite settings: WAL so readers never block the writer, a busy
/// timeout instead of immediate SQLITE_BUSY, and foreign keys (off by default in SQLite).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `sqlite://PATH` (relative or absolute), `postgres://…` / `postgresql://…`;
    /// `None` means the embedded default `<data_dir>/cotton-trace.db`.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseUrl::Sqlite(data_dir.join("cotton-trace.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("DATABASE_URL 缺少 SQLite 文件路径".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        Err(format!("不支持的 DATABASE_URL：{url}（应为 sqlite://路径 或 postgres://…）"))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// The connection pools. SQLite gets a separate single-connection writer pool:
/// SQLite allows one writer at a time, and queueing writers here is cheaper and
/// deadlock-free compared to upgrading read locks inside the database.
#[derive(Clone)]
pub enum DbPool {
    Sqlite { read: Pool<SqliteConn>, write: Pool<SqliteConn> },
    Postgres { pool: Pool<PgConn>, url: String },
}

pub enum DbConn {
    Sqlite(PooledConnection<'static, SqliteConn>),
    Postgres(PooledConnection<'static, PgConn>),
}

impl DbConn {
    /// Lets [`db_run!`] take an owned `DbConn` or a `&mut DbConn` alike.
    pub fn backend(&mut self) -> &mut DbConn {
        self
    }

    /// Starts a transaction spanning several `DbConn`-level calls; end it with
    /// [`DbConn::commit`] or [`DbConn::rollback`]. (For one block of queries
    /// `conn.transaction(async |conn| …)` inside [`db_run!`] is simpler.)
    pub async fn begin(&mut self) -> StoreResult<()> {
        let conn = self;
        Ok(db_run!(conn: { tx_begin(conn).await })?)
    }

    pub async fn commit(&mut self) -> StoreResult<()> {
        let conn = self;
        Ok(db_run!(conn: { tx_commit(conn).await })?)
    }

    pub async fn rollback(&mut self) -> StoreResult<()> {
        let conn = self;
        Ok(db_run!(conn: { tx_rollback(conn).await })?)
    }

    /// Ends the transaction [`DbConn::begin`] started with the outcome of its body:
    /// commit on `Ok`, roll back on `Err` (the body's error is the one returned).
    pub async fn finish<T, E: From<StoreError>>(&mut self, outcome: Result<T, E>) -> Result<T, E> {
        match outcome {
            Ok(v) => {
                self.commit().await?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.rollback().await;
                Err(e)
            }
        }
    }
}

async fn tx_begin<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::begin_transaction(c).await
}

async fn tx_commit<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::commit_transaction(c).await
}

async fn tx_rollback<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::rollback_transaction(c).await
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("{0}")]
    Config(String),
    #[error("无法连接数据库：{0}")]
    Connect(String),
    #[error("数据库迁移失败：{0}")]
    Migrate(String),
}

fn sqlite_manager(path: &Path) -> AsyncDieselConnectionManager<SqliteConn> {
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(|url: &str| {
        let url = url.to_string();
        async move {
            let conn = tokio::task::spawn_blocking(move || {
                use diesel::Connection;
                let mut conn = SqliteConnection::establish(&url)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                // The audit triggers call these (migration 000006).
                crate::audit::register_sqlite_functions(&mut conn)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok::<_, diesel::ConnectionError>(conn)
            })
            .await
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
            Ok(SyncConnectionWrapper::new(conn))
        }
        .boxed()
    });
    AsyncDieselConnectionManager::new_with_config(path.to_string_lossy().to_string(), config)
}

impl DbPool {
    /// Opens the pool and applies pending migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<DbPool, DbSetupError> {
        metrics::install_query_counter();
        let pool = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbSetupError::Config(format!("无法创建数据目录 {}：{e}", dir.display()))
                    })?;
                }
                // Migrate (and so create the file, switch to WAL) before the pools open.
                run_sqlite_migrations(path).await?;
                // No liveness query on every checkout (a round trip each time): a
                // broken connection is noticed when used and dropped on return.
                let write = Pool::builder()
                    .max_size(1)
                    .test_on_check_out(false)
                    .connection_timeout(Duration::from_secs(30))
                    .build(sqlite_manager(path))
                    .await
                    .map_err(|e| DbSetupError::Connect(e.to_string()))?;
                let read = Pool::builder()
                    .max_size(8)
                    .min_idle(Some(8))
                    .test_on_check_out(false)
                    .connection_timeout(Duration::from_secs(10))
                    .build(sqlite_manager(path))
                    .await
                    .map_err(|e| DbSetupError::Connect(e.to_string()))?;
                DbPool::Sqlite { read, write }
            }
            DatabaseUrl::Postgres(url) => {
                run_postgres_migrations(url).await?;
                let pool = Pool::builder()
                    .max_size(16)
                    .min_idle(Some(4))
                    .test_on_check_out(false)
                    .connection_timeout(Duration::from_secs(10))
                    .build(AsyncDieselConnectionManager::<PgConn>::new(url.clone()))
                    .await
                    .map_err(|e| DbSetupError::Connect(e.to_string()))?;
                DbPool::Postgres { pool, url: url.clone() }
            }
        };
        Ok(pool)
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Sqlite { .. } => "sqlite",
            DbPool::Postgres { .. } => "postgres",
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> StoreResult<DbConn> {
        match self {
            DbPool::Sqlite { read, .. } => Ok(DbConn::Sqlite(read.get_owned().await.map_err(pool_err)?)),
            DbPool::Postgres { pool, .. } => Ok(DbConn::Postgres(pg_checkout(pool).await?)),
        }
    }

    /// A connection for writes (on SQLite, the single writer).
    pub async fn write(&self) -> StoreResult<DbConn> {
        match self {
            DbPool::Sqlite { write, .. } => Ok(DbConn::Sqlite(write.get_owned().await.map_err(pool_err)?)),
            DbPool::Postgres { pool, .. } => Ok(DbConn::Postgres(pg_checkout(pool).await?)),
        }
    }

    /// Is the database reachable right now? (`/readyz`)
    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.read().await else { return false };
        let ok: Result<(), diesel::result::Error> = db_run!(conn: {
            diesel::sql_query("SELECT 1").execute(conn).await.map(|_| ())
        });
        ok.is_ok()
    }
}

/// A pooled PostgreSQL connection whose socket is still open. After the server
/// restarted, idle connections are closed ones: each is handed back broken (so
/// the pool drops it) instead of failing the caller's first query. The check
/// is local (no round trip), so it costs nothing when the database is healthy.
async fn pg_checkout(pool: &Pool<PgConn>) -> StoreResult<PooledConnection<'static, PgConn>> {
    use diesel_async::pooled_connection::PoolableConnection;
    for _ in 0..=pool.state().connections {
        let mut conn = pool.get_owned().await.map_err(pool_err)?;
        if !conn.is_broken() {
            return Ok(conn);
        }
        drop(conn);
    }
    pool.get_owned().await.map_err(pool_err)
}

fn pool_err<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Unavailable(format!("数据库暂不可用：{e}"))
}

async fn run_sqlite_migrations(path: &Path) -> Result<(), DbSetupError> {
    let path = path.to_string_lossy().to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = SqliteConnection::establish(&path).map_err(|e| DbSetupError::Connect(e.to_string()))?;
        conn.batch_execute(SQLITE_PRAGMAS).map_err(|e| DbSetupError::Connect(e.to_string()))?;
        crate::audit::register_sqlite_functions(&mut conn).map_err(|e| DbSetupError::Connect(e.to_string()))?;
        conn.run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| DbSetupError::Migrate(e.to_string()))
    })
    .await
    .map_err(|e| DbSetupError::Migrate(e.to_string()))?
}

async fn run_postgres_migrations(url: &str) -> Result<(), DbSetupError> {
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<PgConn>::establish(&url)
            .map_err(|e| DbSetupError::Connect(e.to_string()))?;
        // Two instances starting together must not migrate at once.
        conn.batch_execute("SELECT pg_advisory_lock(72710501)")
            .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
        let result = conn
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| DbSetupError::Migrate(e.to_string()));
        let _ = conn.batch_execute("SELECT pg_advisory_unlock(72710501)");
        result
    })
    .await
    .map_err(|e| DbSetupError::Migrate(e.to_string()))?
}

