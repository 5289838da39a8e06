//! Cross-instance delivery of live events on PostgreSQL: `pg_notify` staged
//! inside the write transaction (so a rolled-back change announces nothing), and
//! one LISTEN connection per instance. The store moves opaque JSON payloads; what
//! an event means is the layers above's business.

use std::time::Duration;

use diesel::sql_types::{Array, Text};
use futures_util::StreamExt;

use crate::{DbConn, PgConn, SqliteConn, StoreResult};

pub const PG_CHANNEL: &str = "cotton_events";

/// The `pg_notify` statement of one payload, for callers that pipeline it with
/// other statements of their transaction.
pub fn pg_notify(payload: String) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    diesel::sql_query("SELECT pg_notify($1, $2)").into_boxed().bind::<Text, _>(PG_CHANNEL).bind::<Text, _>(payload)
}

/// Staging payloads inside a write transaction, per backend. PostgreSQL:
/// `pg_notify` on this (transactional) connection. SQLite: nothing, the one
/// process delivers after commit.
pub trait StagePayloads {
    fn stage_payloads(&mut self, payloads: &[String]) -> impl std::future::Future<Output = StoreResult<()>> + Send;
}

impl StagePayloads for PgConn {
    async fn stage_payloads(&mut self, payloads: &[String]) -> StoreResult<()> {
        use diesel_async::RunQueryDsl;
        // No payloads, no statement. Each stays under NOTIFY's 8,000 bytes; one round trip per chunk.
        if let [one] = payloads {
            pg_notify(one.clone()).execute(self).await?;
            return Ok(());
        }
        for chunk in payloads.chunks(1000) {
            diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
                .bind::<Text, _>(PG_CHANNEL)
                .bind::<Array<Text>, _>(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl StagePayloads for SqliteConn {
    async fn stage_payloads(&mut self, _payloads: &[String]) -> StoreResult<()> {
        Ok(())
    }
}

impl StagePayloads for DbConn {
    async fn stage_payloads(&mut self, payloads: &[String]) -> StoreResult<()> {
        let conn = self;
        db_run!(conn: { StagePayloads::stage_payloads(conn, payloads).await })
    }
}

/// What the LISTEN loop reports to its owner.
pub enum Listened {
    /// LISTEN is in place again after a lost connection: notifications may have been missed.
    Reconnected,
    Payload(String),
}

/// Longest pause between two attempts to re-open the LISTEN connection.
const MAX_LISTEN_BACKOFF: Duration = Duration::from_secs(3);

/// LISTENs on [`PG_CHANNEL`] forever, reconnecting with back-off.
pub async fn listen_forever(url: String, mut deliver: impl FnMut(Listened)) {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut backoff = Duration::from_millis(200);
    // Set once the first LISTEN succeeded: every later one follows a lost
    // connection, during which notifications were missed.
    let mut listened_before = false;
    loop {
        match PgConn::establish(&url).await {
            Ok(mut conn) => {
                if let Err(e) = diesel::sql_query(format!("LISTEN {PG_CHANNEL}")).execute(&mut conn).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    tracing::info!("listening for events on PostgreSQL channel {PG_CHANNEL}");
                    backoff = Duration::from_millis(200);
                    if listened_before {
                        tracing::info!("event listener reconnected; subscribers get RESYNC");
                        deliver(Listened::Reconnected);
                    }
                    listened_before = true;
                    let mut stream = std::pin::pin!(conn.notifications_stream());
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(n) => deliver(Listened::Payload(n.payload)),
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener connection lost");
                                break;
                            }
                        }
                    }
                    tracing::warn!("event listener connection closed; reconnecting");
                }
            }
            Err(e) => tracing::warn!(error = %e, "event listener cannot connect"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_LISTEN_BACKOFF);
    }
}
