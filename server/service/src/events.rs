//! Live events through an outbox (issue 19, docs/decisions.md "Events outbox").
//! A change writes its events into the `events` table in its own transaction
//! ([`write_events`]), so an event exists iff its change committed and survives
//! an instance dying right after the commit. Each row gets a cursor after commit;
//! every instance reads the new rows once and fans them out to its subscribers
//! (on PostgreSQL woken by one coalesced NOTIFY per sequencer run, outside the
//! write transactions). A subscriber that reconnects with its last cursor, or
//! falls behind, reads what it missed from the table ([`replay`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cotton_store::events::{Listened, NewEvent};
use cotton_store::{DbConn, DbPool, StoreResult};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};

use crate::error::{AppError, AppResult};

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

/// The JSON an event is stored as in the outbox.
pub fn payload(event: &Event) -> String {
    serde_json::to_string(event).expect("event serialises")
}

/// The outbox row of `event`, for store calls that write it themselves
/// (pipelined with other statements of their transaction).
pub fn outbox_row(event: &Event) -> NewEvent {
    NewEvent { at: event.at.naive_utc(), payload: payload(event) }
}

/// An event as delivered: with its cursor (the outbox row's `seq`).
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub cursor: i64,
    pub event: Event,
}

/// Writing events inside a write transaction: into the outbox, on the same
/// connection, so they exist iff the change commits.
pub async fn write_events(conn: &mut DbConn, events: &[Event]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewEvent> = events.iter().map(outbox_row).collect();
    cotton_store::events::insert(conn, &rows).await
}

/// How long the outbox keeps events for subscribers that reconnect, and how
/// often it is pruned (the API's configuration holds the defaults).
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub keep: Duration,
    pub prune_every: Duration,
}

/// Page size of outbox reads (fan-out and replay).
const READ_PAGE: i64 = 500;

/// Fan-out of this instance: every committed event, read once from the outbox,
/// goes to every local subscriber. Subscribers that fall behind or reconnect
/// read what they missed from the outbox themselves ([`replay`]).
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    local: broadcast::Sender<Arc<Published>>,
    /// Fired after a local commit wrote events: read them (SQLite) or number them (PostgreSQL).
    committed: Arc<Notify>,
    /// The cursor of the last event fanned out (a live-only subscriber's start).
    delivered: AtomicI64,
}

impl EventBus {
    /// Starts the instance's publisher. SQLite: a reader woken by local commits.
    /// PostgreSQL: a sequencer woken by local commits (and every second, for
    /// rows an instance that died left unnumbered) and a reader woken by any
    /// instance's NOTIFY. Old events are pruned past `retention`.
    pub fn start(db: DbPool, retention: Retention) -> Self {
        let (local, _) = broadcast::channel(4096);
        let committed = Arc::new(Notify::new());
        let bus = EventBus { inner: Arc::new(BusInner { local, committed: committed.clone(), delivered: AtomicI64::new(0) }) };
        match &db {
            DbPool::Sqlite { .. } => {
                tokio::spawn(fan_out_loop(db.clone(), bus.clone(), committed));
            }
            DbPool::Postgres { url, .. } => {
                let heard = Arc::new(Notify::new());
                tokio::spawn(sequence_loop(url.clone(), committed));
                let h = heard.clone();
                tokio::spawn(cotton_store::events::listen_forever(url.clone(), move |_: Listened| h.notify_one()));
                tokio::spawn(fan_out_loop(db.clone(), bus.clone(), heard));
            }
        }
        tokio::spawn(prune_loop(db, retention));
        bus
    }

    /// Call after a transaction that wrote `count` events committed: wakes this
    /// instance's sequencer (PostgreSQL) or fan-out (SQLite). Not waited for —
    /// numbering one commit at a time would queue every writer behind the
    /// sequencer's lock and its WAL flush (a 3× slower ticket in pgbench); one
    /// sequencer run numbers whatever committed meanwhile.
    pub fn committed(&self, count: usize) {
        if count > 0 {
            crate::metrics::EVENTS_PUBLISHED.inc_by(count as u64);
            self.inner.committed.notify_one();
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.inner.local.subscribe()
    }

    /// The cursor of the last event this instance fanned out.
    pub fn delivered(&self) -> i64 {
        self.inner.delivered.load(Ordering::Acquire)
    }
}

/// Pause after a failed outbox read or sequencing before the next try.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Reads what is new in the outbox each time `wake` fires and sends it to the
/// local subscribers, in cursor order. Starts after the events that exist.
async fn fan_out_loop(db: DbPool, bus: EventBus, wake: Arc<Notify>) {
    let mut delivered = loop {
        match last_cursor(&db).await {
            Ok(c) => {
                bus.inner.delivered.store(c, Ordering::Release);
                break c;
            }
            Err(e) => {
                tracing::warn!(error = ?e, "cannot read the events outbox; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    };
    loop {
        wake.notified().await;
        loop {
            match read_page(&db, delivered).await {
                Ok(page) => {
                    let full = page.len() as i64 >= READ_PAGE;
                    for p in page {
                        delivered = p.cursor;
                        let _ = bus.inner.local.send(Arc::new(p));
                        bus.inner.delivered.store(delivered, Ordering::Release);
                    }
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "cannot read the events outbox; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    wake.notify_one();
                    break;
                }
            }
        }
    }
}

async fn last_cursor(db: &DbPool) -> StoreResult<i64> {
    let mut conn = db.read().await?;
    cotton_store::events::last_cursor(&mut conn).await
}

/// One page of events after `after`, oldest first (rows that do not parse are
/// logged and skipped: a newer server's topic, say).
async fn read_page(db: &DbPool, after: i64) -> StoreResult<Vec<Published>> {
    let mut conn = db.read().await?;
    let rows = cotton_store::events::read_after(&mut conn, after, READ_PAGE).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(cursor, p)| match serde_json::from_str::<Event>(&p) {
            Ok(event) => Some(Published { cursor, event }),
            Err(e) => {
                tracing::warn!(cursor, error = %e, "skipping an event row that does not parse");
                None
            }
        })
        .collect())
}

/// PostgreSQL: numbers committed events (one NOTIFY per run, outside the
/// write transactions) after local commits — one run for all that committed
/// while the last one ran — and every second, for rows of an instance that died
/// between its commit and numbering them.
async fn sequence_loop(url: String, committed: Arc<Notify>) {
    let mut conn = None;
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(1), committed.notified()).await;
        if conn.is_none() {
            match cotton_store::events::connect_pg(&url).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = ?e, "event sequencer cannot connect");
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            if let Err(e) = cotton_store::events::sequence_pending_pg(c).await {
                tracing::warn!(error = ?e, "event sequencer failed; reconnecting");
                conn = None;
                committed.notify_one();
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

async fn prune_loop(db: DbPool, retention: Retention) {
    loop {
        let before = (Utc::now() - chrono::Duration::seconds(retention.keep.as_secs() as i64)).naive_utc();
        let pruned = async {
            let mut conn = db.write().await?;
            cotton_store::events::prune(&mut conn, before).await
        }
        .await;
        match pruned {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned old events"),
            Err(e) => tracing::warn!(error = ?e, "pruning events failed"),
        }
        tokio::time::sleep(retention.prune_every).await;
    }
}

/// A cursor as a subscriber passes it back (`events(after:)`): VALIDATION
/// unless it is one this server gave.
pub fn parse_cursor(cursor: &str) -> AppResult<i64> {
    let c = cursor.trim();
    match c.parse::<i64>() {
        Ok(v) if v >= 0 && c.len() <= 19 && c.bytes().all(|b| b.is_ascii_digit()) => Ok(v),
        _ => Err(AppError::Validation("事件游标无效，请使用收到的事件中的 cursor".into())),
    }
}

/// What a subscriber that passed a cursor reads from the outbox, a page at a time.
pub struct Replay {
    /// Events the retention already pruned lie after the cursor: the highest
    /// pruned cursor (the subscriber gets RESYNC and re-queries).
    pub pruned_through: Option<i64>,
    pub events: Vec<Published>,
    /// A full page: read again after the last one.
    pub more: bool,
}

/// The highest cursor given so far: where a subscription without `after`
/// starts. Events numbered by then are not sent to it; one whose change
/// committed a moment before but is numbered after may be (docs/decisions.md).
pub async fn last_cursor_now(db: &DbPool, bus: &EventBus) -> AppResult<i64> {
    Ok(last_cursor(db).await?.max(bus.delivered()))
}

/// The outbox page after `after` for a reconnecting or lagging subscriber
/// (its caller filters what the subscriber may see).
pub async fn replay(db: &DbPool, after: i64) -> AppResult<Replay> {
    let mut conn = db.read().await?;
    let pruned = cotton_store::events::pruned_through(&mut conn).await?;
    drop(conn);
    let events = read_page(db, after).await?;
    Ok(Replay { pruned_through: (after < pruned).then_some(pruned), more: events.len() as i64 >= READ_PAGE, events })
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
