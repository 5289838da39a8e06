//! The events outbox (migration 000011). A change inserts its events into
//! `events` inside its own transaction; after commit they get their cursor
//! (`seq`) and every instance reads the new rows once and fans them out. The
//! store moves opaque JSON payloads; what an event means is the layers above's
//! business.
//!
//! Cursors: on SQLite a row's `seq` is its id (one writer at a time, so ids
//! increase in commit order; a trigger copies it). On PostgreSQL ids are handed
//! out at insert and transactions commit in any order, so [`sequence_pending`]
//! numbers committed rows afterwards, one sequencer at a time, and announces the
//! new highest cursor with one `NOTIFY` on [`PG_CHANNEL`] — outside every write
//! transaction, so writers never queue on NOTIFY's commit lock.

use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::StreamExt;

use crate::prelude::*;
use crate::schema::{app_meta, events};
use crate::{DbConn, PgConn, StoreResult};

pub const PG_CHANNEL: &str = "cotton_events";

/// Rows per INSERT statement (2 binds each: far below both backends' limits).
const INSERT_CHUNK: usize = 1000;

/// `app_meta` key of the highest cursor pruned so far.
const PRUNED_THROUGH: &str = "events_pruned_through";

/// One event row to write: when it happened and its JSON.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub at: NaiveDateTime,
    pub payload: String,
}

/// Inside the caller's transaction: appends `rows` to the outbox, in multi-row
/// INSERTs (on SQLite on the wrapped synchronous connection: diesel-async has
/// no multi-row INSERT there).
pub async fn insert(conn: &mut DbConn, rows: &[NewEvent]) -> StoreResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            let c: &mut crate::SqliteConn = c;
            let rows = rows.to_vec();
            c.spawn_blocking(move |c| {
                use diesel::RunQueryDsl;
                for chunk in rows.chunks(INSERT_CHUNK) {
                    diesel::insert_into(events::table).values(chunk).execute(c)?;
                }
                Ok(())
            })
            .await?;
        }
        DbConn::Postgres(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut PgConn = c;
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(events::table).values(chunk).execute(c).await?;
            }
        }
    }
    Ok(())
}

/// The insert of one event on PostgreSQL, for callers that pipeline it with
/// other statements of their transaction (one round trip).
pub async fn insert_one_pg(conn: &PgConn, row: &NewEvent) -> StoreResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::insert_into(events::table).values(row).execute(&mut &*conn).await?;
    Ok(())
}

/// PostgreSQL, outside any transaction: numbers the committed rows that have
/// no cursor yet, in id order, and if there were any, NOTIFYs [`PG_CHANNEL`]
/// with the highest. The advisory lock (held to the commit) makes sequencers of
/// several instances take turns, so a cursor is readable only after every
/// smaller one is.
pub async fn sequence_pending_pg(conn: &mut PgConn) -> StoreResult<()> {
    let sql = format!(
        "BEGIN; \
         SELECT pg_advisory_xact_lock({SEQUENCER_LOCK}); \
         WITH todo AS (SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT 50000), \
              numbered AS (SELECT id, nextval('event_seq') AS s FROM todo), \
              done AS (UPDATE events e SET seq = numbered.s FROM numbered WHERE e.id = numbered.id RETURNING e.seq) \
         SELECT pg_notify('{PG_CHANNEL}', max(seq)::text) FROM done HAVING count(*) > 0; \
         COMMIT;"
    );
    use diesel_async::SimpleAsyncConnection;
    if let Err(e) = conn.batch_execute(&sql).await {
        let _ = conn.batch_execute("ROLLBACK").await;
        return Err(e.into());
    }
    Ok(())
}

/// The advisory lock key of the sequencer ("cotton events" in ASCII, as a number).
const SEQUENCER_LOCK: i64 = 0x636f_7474_6f6e_0e5e;

/// Events after `after`, oldest first, at most `limit`: `(cursor, payload)`.
pub async fn read_after(conn: &mut DbConn, after: i64, limit: i64) -> StoreResult<Vec<(i64, String)>> {
    let rows: Vec<(Option<i64>, String)> = db_run!(conn: {
        events::table
            .filter(events::seq.gt(after))
            .order(events::seq)
            .limit(limit)
            .select((events::seq, events::payload))
            .load(conn)
            .await?
    });
    Ok(rows.into_iter().filter_map(|(seq, p)| seq.map(|s| (s, p))).collect())
}

/// The highest cursor given so far (0 with no event).
pub async fn last_cursor(conn: &mut DbConn) -> StoreResult<i64> {
    let max: Option<i64> = db_run!(conn: {
        events::table.select(diesel::dsl::max(events::seq)).first(conn).await?
    });
    Ok(max.unwrap_or(0))
}

/// The highest cursor pruned (0 when nothing was): a subscriber asking for
/// events after an older cursor has missed some for good.
pub async fn pruned_through(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(crate::meta::get(conn, PRUNED_THROUGH).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Deletes the events that happened before `before` (only numbered ones, as a
/// prefix of the cursors) and records the highest cursor deleted. Returns how
/// many rows went.
pub async fn prune(conn: &mut DbConn, before: NaiveDateTime) -> StoreResult<usize> {
    conn.begin().await?;
    let outcome = prune_in_tx(conn, before).await;
    conn.finish(outcome).await
}

async fn prune_in_tx(conn: &mut DbConn, before: NaiveDateTime) -> StoreResult<usize> {
    let bound: Option<i64> = db_run!(conn: {
        events::table.filter(events::at.lt(before)).select(diesel::dsl::max(events::seq)).first(conn).await?
    });
    let Some(bound) = bound else { return Ok(0) };
    let deleted = db_run!(conn: {
        diesel::delete(events::table.filter(events::seq.le(bound))).execute(conn).await?
    });
    let old = pruned_through(conn).await?;
    if bound > old {
        let value = bound.to_string();
        db_run!(conn: {
            diesel::insert_into(app_meta::table)
                .values((app_meta::key.eq(PRUNED_THROUGH), app_meta::value.eq(&value)))
                .on_conflict(app_meta::key)
                .do_update()
                .set(app_meta::value.eq(&value))
                .execute(conn)
                .await?;
        });
    }
    Ok(deleted)
}

/// What the LISTEN loop reports to its owner.
pub enum Listened {
    /// LISTEN is in place (first time, or again after a lost connection, during
    /// which notifications may have been missed): read what is new.
    Listening,
    /// Some instance numbered new events.
    Notified,
}

/// Longest pause between two attempts to re-open a lost connection.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3);

/// LISTENs on [`PG_CHANNEL`] forever, reconnecting with back-off.
pub async fn listen_forever(url: String, mut deliver: impl FnMut(Listened)) {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut backoff = Duration::from_millis(200);
    loop {
        match PgConn::establish(&url).await {
            Ok(mut conn) => {
                if let Err(e) = diesel::sql_query(format!("LISTEN {PG_CHANNEL}")).execute(&mut conn).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    tracing::info!("listening for events on PostgreSQL channel {PG_CHANNEL}");
                    backoff = Duration::from_millis(200);
                    deliver(Listened::Listening);
                    let mut stream = std::pin::pin!(conn.notifications_stream());
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(_) => deliver(Listened::Notified),
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
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Opens the sequencer's own PostgreSQL connection.
pub async fn connect_pg(url: &str) -> StoreResult<PgConn> {
    use diesel_async::AsyncConnection;
    PgConn::establish(url).await.map_err(|e| crate::StoreError::Unavailable(format!("无法连接数据库：{e}")))
}
