//! One unit of work: a write transaction that owns begin/commit, writes the
//! events its change emits to the outbox in the same transaction (events exist
//! iff their change committed) and wakes the publisher after COMMIT; and one
//! bounded retry for races that the database (serialization failure) or the
//! change itself ([`AppError::Contended`]) reports.
//!
//! ```ignore
//! let mut tx = Tx::begin(state, &mut conn).await?;
//! let outcome = async { store::x::insert(tx.conn(), …).await?; tx.emit(event).await?; Ok(row) }.await;
//! tx.finish(outcome).await          // COMMIT + publish on Ok, ROLLBACK on Err
//! ```
//! (A closure-taking `transaction(async |tx| …)` would read better, but its
//! future cannot be proven `Send` inside async-graphql resolvers without
//! return-type notation; see docs/decisions.md.)

use std::future::Future;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventBus, write_events};
use crate::state::AppState;

/// How many times a contended unit of work runs before its caller is told
/// (CONFLICT). Contention means a concurrent change of the same rows won.
pub const ATTEMPTS: usize = 8;

#[must_use = "end the unit of work with `finish`"]
pub struct Tx<'c> {
    conn: &'c mut DbConn,
    bus: EventBus,
    /// Events written to the outbox in this transaction.
    events: usize,
}

impl<'c> Tx<'c> {
    /// BEGIN on `conn`, a write connection the caller holds (on SQLite there is
    /// one: never ask the pool for another while holding it).
    pub async fn begin(state: &AppState, conn: &'c mut DbConn) -> AppResult<Tx<'c>> {
        Tx::begin_on(&state.bus, conn).await
    }

    /// [`Tx::begin`] for a caller that holds the bus rather than the whole state
    /// (a group committer).
    pub async fn begin_on(bus: &EventBus, conn: &'c mut DbConn) -> AppResult<Tx<'c>> {
        conn.begin().await?;
        Ok(Tx { conn, bus: bus.clone(), events: 0 })
    }

    /// The transaction's connection, for the store's queries.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Emits `event` as part of this change: written to the events outbox in
    /// this transaction, delivered (by every instance) only if it commits.
    pub async fn emit(&mut self, event: Event) -> AppResult<()> {
        self.emit_all(vec![event]).await
    }

    /// Several events in few statements (a processing file links thousands of bales).
    pub async fn emit_all(&mut self, events: Vec<Event>) -> AppResult<()> {
        write_events(self.conn, &events).await?;
        self.events += events.len();
        Ok(())
    }

    /// Counts events a store call wrote to the outbox itself (pipelined with
    /// its other statements).
    pub fn emitted_by_store(&mut self, count: usize) {
        self.events += count;
    }

    /// Ends the unit of work with the outcome of its body: COMMIT and publish
    /// its events on `Ok`, ROLLBACK on `Err` (the body's error is returned).
    pub async fn finish<T>(self, outcome: AppResult<T>) -> AppResult<T> {
        match outcome {
            Ok(v) => {
                self.conn.commit().await?;
                self.bus.committed(self.events);
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.rollback().await;
                Err(e)
            }
        }
    }
}

impl AppError {
    /// Worth running the unit of work again: a serialization failure, or a race
    /// the change detected itself.
    pub fn is_contended(&self) -> bool {
        matches!(self, AppError::Contended(_)) || matches!(self, AppError::Database(e) if e.is_retryable())
    }
}

/// Runs `attempt` (one whole unit of work) again while it reports contention,
/// at most [`ATTEMPTS`] times; the last contention becomes a CONFLICT.
pub async fn retry_contended<T, Fut>(mut attempt: impl FnMut() -> Fut) -> AppResult<T>
where
    Fut: Future<Output = AppResult<T>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_contended() && tries < ATTEMPTS => tries += 1,
            Err(AppError::Contended(m)) => return Err(AppError::Conflict(m)),
            other => return other,
        }
    }
}
