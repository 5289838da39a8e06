//! Live events behind one bus. With SQLite everything is one process, so an
//! in-process broadcast is enough. With PostgreSQL several instances may share
//! the database: events are published with `pg_notify` inside the write
//! transaction (so a rolled-back change announces nothing), and every instance
//! LISTENs and fans them out to its own subscribers.

use chrono::{DateTime, Utc};
use cotton_store::StoreResult;
use cotton_store::events::{Listened, StagePayloads};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
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

/// The JSON payload an event travels as between instances (for store calls that
/// stage it themselves, pipelined with other statements of their transaction).
pub fn payload(event: &Event) -> String {
    serde_json::to_string(event).expect("event serialises")
}

/// Staging events inside a write transaction: on PostgreSQL `pg_notify` on this
/// connection; on SQLite nothing here, [`EventBus::committed`] delivers after commit.
pub trait StageEvent {
    fn stage_event(&mut self, event: &Event) -> impl std::future::Future<Output = StoreResult<()>> + Send;
    /// Several events in one statement (a processing file links thousands of bales).
    fn stage_events(&mut self, events: &[Event]) -> impl std::future::Future<Output = StoreResult<()>> + Send;
}

impl<C: StagePayloads + Send> StageEvent for C {
    async fn stage_event(&mut self, event: &Event) -> StoreResult<()> {
        self.stage_payloads(&[payload(event)]).await
    }

    async fn stage_events(&mut self, events: &[Event]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let payloads: Vec<String> = events.iter().map(payload).collect();
        self.stage_payloads(&payloads).await
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

async fn listen_loop(url: String, sender: broadcast::Sender<Event>) {
    cotton_store::events::listen_forever(url, |heard| match heard {
        // Subscribers re-query: whatever happened while the connection was
        // down was not announced to them.
        Listened::Reconnected => {
            let _ = sender.send(Event::new(EventTopic::Resync));
        }
        Listened::Payload(p) => match serde_json::from_str::<Event>(&p) {
            Ok(event) => {
                let _ = sender.send(event);
            }
            Err(e) => tracing::warn!(error = %e, "ignoring malformed event payload"),
        },
    })
    .await
}

/// May `who` see `event`? The admin sees everything; a regiment its area; an
/// enterprise its own events; a company or initiator the events of its regiment's
/// area that concern units; a grower none.
pub fn visible_to(who: &crate::auth::Principal, event: &Event) -> bool {
    use crate::auth::Scope;
    let in_area = |regiment: &Option<i64>| regiment.is_some() && event.region_id == *regiment;
    match &who.scope {
        Scope::Admin => true,
        Scope::Regiment { regiment_id } => event.region_id == Some(*regiment_id),
        Scope::Enterprise { enterprise_id, .. } => event.enterprise_id == Some(*enterprise_id),
        Scope::Company { regiment_id, .. } | Scope::Initiator { regiment_id, .. } => {
            matches!(event.topic, EventTopic::UnitReviewed | EventTopic::UnitChanged) && in_area(regiment_id)
        }
        Scope::Grower { .. } | Scope::Nothing => false,
    }
}
