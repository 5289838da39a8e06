//! Live events behind one bus. With SQLite everything is one process, so an
//! in-process broadcast is enough. With PostgreSQL several instances may share
//! the database: events are published with `pg_notify` inside the write
//! transaction (so a rolled-back change announces nothing), and every instance
//! LISTENs and fans them out to its own subscribers.

use std::time::Duration;

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use diesel::sql_types::Text;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::db::{PgConn, SqliteConn};

pub const PG_CHANNEL: &str = "cotton_events";

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventTopic {
    UnitReviewed,
    UnitChanged,
    TicketUploaded,
    CardPrinted,
    CardFinished,
    BaleLinked,
    /// An organisation was added to the tree (beyond the contract).
    OrgCreated,
    /// Beyond the contract: events may have been missed (the PostgreSQL LISTEN
    /// connection was lost and is back, or this subscriber fell behind); re-query
    /// what you show. Sent to every subscription, whatever its filters; it
    /// carries no ids.
    Resync,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub topic: EventTopic,
    pub at: DateTime<Utc>,
    pub region_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub card_no: Option<String>,
    pub ticket_no: Option<String>,
    pub bale_barcode: Option<String>,
}

impl Event {
    pub fn new(topic: EventTopic) -> Self {
        Event {
            topic,
            at: Utc::now(),
            region_id: None,
            enterprise_id: None,
            unit_id: None,
            card_no: None,
            ticket_no: None,
            bale_barcode: None,
        }
    }
}

/// Staging an event inside a write transaction, per backend.
pub trait StageEvent {
    /// PostgreSQL: `pg_notify` on this (transactional) connection. SQLite: nothing
    /// here; [`EventBus::committed`] delivers after commit.
    fn stage_event(&mut self, event: &Event) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
    /// Several events in one statement (a processing file links thousands of bales).
    fn stage_events(&mut self, events: &[Event]) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

/// The `pg_notify` statement of one event, for callers that pipeline it with
/// other statements of their transaction.
pub fn pg_notify(event: &Event) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    let payload = serde_json::to_string(event).expect("event serialises");
    diesel::sql_query("SELECT pg_notify($1, $2)").into_boxed().bind::<Text, _>(PG_CHANNEL).bind::<Text, _>(payload)
}

impl StageEvent for PgConn {
    async fn stage_event(&mut self, event: &Event) -> diesel::QueryResult<()> {
        use diesel_async::RunQueryDsl;
        pg_notify(event).execute(self).await.map(|_| ())
    }

    async fn stage_events(&mut self, events: &[Event]) -> diesel::QueryResult<()> {
        use diesel::sql_types::Array;
        use diesel_async::RunQueryDsl;
        // No events, no statement. Payloads stay under NOTIFY's 8,000 bytes each; one round trip per chunk.
        for chunk in events.chunks(1000) {
            let payloads: Vec<String> = chunk.iter().map(|e| serde_json::to_string(e).expect("event serialises")).collect();
            diesel::sql_query("SELECT pg_notify($1, p) FROM unnest($2) AS p")
                .bind::<Text, _>(PG_CHANNEL)
                .bind::<Array<Text>, _>(payloads)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl StageEvent for SqliteConn {
    async fn stage_event(&mut self, _event: &Event) -> diesel::QueryResult<()> {
        Ok(())
    }

    async fn stage_events(&mut self, _events: &[Event]) -> diesel::QueryResult<()> {
        Ok(())
    }
}

impl crate::db::DbConn {
    /// [`StageEvent::stage_event`] on whichever backend this connection is.
    pub async fn stage_event(&mut self, event: &Event) -> diesel::QueryResult<()> {
        let conn = self;
        db_run!(conn: { StageEvent::stage_event(conn, event).await })
    }

    /// [`StageEvent::stage_events`] on whichever backend this connection is.
    pub async fn stage_events(&mut self, events: &[Event]) -> diesel::QueryResult<()> {
        let conn = self;
        db_run!(conn: { StageEvent::stage_events(conn, events).await })
    }
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Event>,
    /// Delivery through LISTEN (PostgreSQL) rather than in process.
    via_database: bool,
}

impl EventBus {
    pub fn in_process() -> Self {
        let (local, _) = broadcast::channel(4096);
        EventBus { local, via_database: false }
    }

    /// Starts the LISTEN task; it reconnects with back-off if the connection drops.
    pub fn postgres(url: String) -> Self {
        let (local, _) = broadcast::channel(4096);
        let sender = local.clone();
        tokio::spawn(async move { listen_loop(url, sender).await });
        EventBus { local, via_database: true }
    }

    /// Call after the transaction that staged `event` has committed.
    pub fn committed(&self, event: Event) {
        crate::metrics::EVENTS_PUBLISHED.inc();
        if !self.via_database {
            let _ = self.local.send(event);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

/// Longest pause between two attempts to re-open the LISTEN connection.
const MAX_LISTEN_BACKOFF: Duration = Duration::from_secs(3);

async fn listen_loop(url: String, sender: broadcast::Sender<Event>) {
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
                        // Subscribers re-query: whatever happened while the
                        // connection was down was not announced to them.
                        tracing::info!("event listener reconnected; subscribers get RESYNC");
                        let _ = sender.send(Event::new(EventTopic::Resync));
                    }
                    listened_before = true;
                    let mut stream = std::pin::pin!(conn.notifications_stream());
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(n) => match serde_json::from_str::<Event>(&n.payload) {
                                Ok(event) => {
                                    let _ = sender.send(event);
                                }
                                Err(e) => tracing::warn!(error = %e, "ignoring malformed event payload"),
                            },
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
