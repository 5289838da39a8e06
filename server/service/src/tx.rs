//! One unit of work: a write transaction that owns begin/commit, collects the
//! events its change emits and publishes them only after COMMIT (events exist
//! iff their change committed), and one bounded retry for races that the
//! database (serialization failure) or the change itself ([`AppError::Contended`])
//! reports.
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
use crate::events::{Event, EventBus, StageEvent};
use crate::state::AppState;

/// How many times a contended unit of work runs before its caller is told
/// (CONFLICT). Contention means a concurrent change of the same rows won.
pub const ATTEMPTS: usize = 8;

#[must_use = "end the unit of work with `finish`"]
pub struct Tx<'c> {
    conn: &'c mut DbConn,
    bus: EventBus,
    events: Vec<Event>,
}

impl<'c> Tx<'c> {
    /// BEGIN on `conn`, a write connection the caller holds (on SQLite there is
    /// one: never ask the pool for another while holding it).
    pub async fn begin(state: &AppState, conn: &'c mut DbConn) -> AppResult<Tx<'c>> {
        conn.begin().await?;
        Ok(Tx { conn, bus: state.bus.clone(), events: Vec::new() })
    }

    /// The transaction's connection, for the store's queries.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Emits `event` as part of this change: staged in the transaction (PostgreSQL
    /// `pg_notify`, delivered by every instance only if it commits), published
    /// in process after commit.
    pub async fn emit(&mut self, event: Event) -> AppResult<()> {
        self.conn.stage_event(&event).await?;
        self.events.push(event);
        Ok(())
    }

    /// Several events in one statement (a processing file links thousands of bales).
    pub async fn emit_all(&mut self, events: Vec<Event>) -> AppResult<()> {
        self.conn.stage_events(&events).await?;
        self.events.extend(events);
        Ok(())
    }

    /// Ends the unit of work with the outcome of its body: COMMIT and publish
    /// its events on `Ok`, ROLLBACK on `Err` (the body's error is returned).
    pub async fn finish<T>(self, outcome: AppResult<T>) -> AppResult<T> {
        match outcome {
            Ok(v) => {
                self.conn.commit().await?;
                for event in self.events {
                    self.bus.committed(event);
                }
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
