//! `processing`: a line's state and journal, bales, the cards and units a line
//! works on, and the enterprise's verification account.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::batch::BatchLookup;
use crate::cards::CardRow;
use crate::prelude::*;
use crate::schema::*;
use crate::{DbConn, Dec, StoreResult};

/// Rows per multi-row INSERT (and barcodes per lookup): 11 bound values a bale,
/// well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub const INSERT_CHUNK: usize = 1000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bales)]
pub struct BaleRow {
    pub id: i64,
    pub barcode: String,
    pub enterprise_id: i64,
    pub line_id: i64,
    pub card_id: Option<i64>,
    pub net_kg: Dec,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Dec,
    pub traced: bool,
    pub delay: bool,
    pub pressed_at: NaiveDateTime,
    pub seq: i64,
}

#[derive(Insertable)]
#[diesel(table_name = bales, treat_none_as_default_value = false)]
pub struct NewBale {
    pub barcode: String,
    pub enterprise_id: i64,
    pub line_id: i64,
    pub card_id: Option<i64>,
    pub net_kg: Dec,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Dec,
    pub traced: bool,
    pub delay: bool,
    pub pressed_at: NaiveDateTime,
    pub seq: i64,
}

#[derive(Insertable)]
#[diesel(table_name = line_records, treat_none_as_default_value = false)]
pub struct NewLineRecord {
    pub line_id: i64,
    pub seq: i64,
    pub kind: String,
    pub payload: String,
    pub at: NaiveDateTime,
    pub source: String,
}

/// A line's stored state: the domain state (JSON), its optimistic version and
/// the last sequence number applied.
#[derive(Debug, Clone)]
pub struct LineStateRow {
    pub state: String,
    pub version: i64,
    pub last_seq: i64,
}

/// The enterprise's cards with these numbers.
pub async fn cards_by_no(conn: &mut DbConn, enterprise_id: i64, card_nos: &[String]) -> StoreResult<Vec<CardRow>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .filter(trace_cards::enterprise_id.eq(enterprise_id))
            .filter(trace_cards::card_no.eq_any(card_nos))
            .select(CardRow::as_select())
            .load(conn)
            .await?
    }))
}

/// Creates the line's state (`initial`, version 0) unless it exists.
pub async fn ensure_line_state(conn: &mut DbConn, line_id: i64, initial: &str, now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(line_states::table)
            .values((
                line_states::line_id.eq(line_id),
                line_states::state.eq(initial),
                line_states::version.eq(0i64),
                line_states::last_seq.eq(0i64),
                line_states::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The line's state (it must exist: see [`ensure_line_state`]).
pub async fn line_state(conn: &mut DbConn, line_id: i64) -> StoreResult<LineStateRow> {
    let (state, version, last_seq): (String, i64, i64) = db_run!(conn: {
        line_states::table
            .find(line_id)
            .select((line_states::state, line_states::version, line_states::last_seq))
            .first(conn)
            .await?
    });
    Ok(LineStateRow { state, version, last_seq })
}

/// The line's state JSON, if the line ever worked.
pub async fn line_state_json(conn: &mut DbConn, line_id: i64) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        line_states::table.find(line_id).select(line_states::state).first(conn).await.optional()?
    }))
}

/// Writes the line's state if it is still at `version` (then version + 1);
/// the number of rows changed (0: another request moved the line on).
pub async fn save_line_state(
    conn: &mut DbConn,
    line_id: i64,
    version: i64,
    state: &str,
    last_seq: i64,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(db_run!(conn: {
        diesel::update(line_states::table.find(line_id).filter(line_states::version.eq(version)))
            .set((
                line_states::state.eq(state),
                line_states::version.eq(version + 1),
                line_states::last_seq.eq(last_seq),
                line_states::updated_at.eq(now),
            ))
            .execute(conn)
            .await?
    }))
}

/// (unit id, its regiment) of these units.
pub async fn unit_regiments(conn: &mut DbConn, unit_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    Ok(db_run!(conn: {
        trace_units::table
            .filter(trace_units::id.eq_any(unit_ids))
            .select((trace_units::id, trace_units::regiment_id))
            .load(conn)
            .await?
    }))
}

/// Marks the units as processing and bumps their `quality_rev` (their bale
/// aggregate changed).
pub async fn mark_units_processing(conn: &mut DbConn, unit_ids: &[i64]) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(trace_units::table.filter(trace_units::id.eq_any(unit_ids)))
            .set((trace_units::processing.eq(true), trace_units::quality_rev.eq(trace_units::quality_rev + 1)))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A card's processed weight, status and finish kind.
pub async fn update_card_progress(
    conn: &mut DbConn,
    card_id: i64,
    processed_lint_kg: Dec,
    status: &str,
    finished_by: Option<&str>,
) -> StoreResult<CardRow> {
    Ok(db_run!(conn: {
        diesel::update(trace_cards::table.find(card_id))
            .set((
                trace_cards::processed_lint_kg.eq(processed_lint_kg),
                trace_cards::status.eq(status),
                trace_cards::finished_by.eq(finished_by),
            ))
            .returning(CardRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Those of `barcodes` already pressed, one query per [`INSERT_CHUNK`].
pub async fn taken_barcodes(conn: &mut DbConn, barcodes: &[String]) -> StoreResult<Vec<String>> {
    let mut taken = Vec::new();
    for chunk in barcodes.chunks(INSERT_CHUNK) {
        let found: Vec<String> = db_run!(conn: {
            bales::table.filter(bales::barcode.eq_any(chunk)).select(bales::barcode).load(conn).await?
        });
        taken.extend(found);
    }
    Ok(taken)
}

/// How many bales have this barcode (0 or 1).
pub async fn count_barcode(conn: &mut DbConn, barcode: &str) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        bales::table.filter(bales::barcode.eq(barcode)).count().get_result::<i64>(conn).await?
    }))
}

pub async fn find_bale_by_barcode(conn: &mut DbConn, barcode: &str) -> StoreResult<Option<BaleRow>> {
    Ok(db_run!(conn: {
        bales::table.filter(bales::barcode.eq(barcode)).select(BaleRow::as_select()).first(conn).await.optional()?
    }))
}

/// The regiment of a card's unit.
pub async fn card_regiment(conn: &mut DbConn, card_id: i64) -> StoreResult<Option<i64>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_cards::id.eq(card_id))
            .select(trace_units::regiment_id)
            .first(conn)
            .await
            .optional()?
    }))
}

pub async fn insert_bale(conn: &mut DbConn, new: &NewBale) -> StoreResult<BaleRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(bales::table).values(new).returning(BaleRow::as_returning()).get_result(conn).await?
    }))
}

pub async fn insert_line_record(conn: &mut DbConn, new: &NewLineRecord) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(line_records::table).values(new).execute(conn).await?;
    });
    Ok(())
}

/// Multi-row INSERTs of bales, then of records (the order an online operation
/// writes them in), [`INSERT_CHUNK`] rows each. diesel-async has no multi-row
/// INSERT for SQLite, so there it runs on the wrapped synchronous connection,
/// whose diesel has one.
pub async fn insert_batches(conn: &mut DbConn, new_bales: Vec<NewBale>, records: Vec<NewLineRecord>) -> StoreResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            let c: &mut crate::SqliteConn = c;
            c.spawn_blocking(move |c| {
                use diesel::RunQueryDsl;
                for chunk in new_bales.chunks(INSERT_CHUNK) {
                    diesel::insert_into(bales::table).values(chunk).execute(c)?;
                }
                for chunk in records.chunks(INSERT_CHUNK) {
                    diesel::insert_into(line_records::table).values(chunk).execute(c)?;
                }
                Ok(())
            })
            .await?;
        }
        DbConn::Postgres(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut crate::PgConn = c;
            for chunk in new_bales.chunks(INSERT_CHUNK) {
                diesel::insert_into(bales::table).values(chunk).execute(c).await?;
            }
            for chunk in records.chunks(INSERT_CHUNK) {
                diesel::insert_into(line_records::table).values(chunk).execute(c).await?;
            }
        }
    }
    Ok(())
}

/// The enterprise's verification account: its name and Argon2id hash.
pub async fn find_verifier(conn: &mut DbConn, enterprise_id: i64) -> StoreResult<Option<(String, String)>> {
    Ok(db_run!(conn: {
        enterprise_verifiers::table
            .find(enterprise_id)
            .select((enterprise_verifiers::username, enterprise_verifiers::password_hash))
            .first(conn)
            .await
            .optional()?
    }))
}

/// The name of the enterprise's verification account.
pub async fn find_verifier_username(conn: &mut DbConn, enterprise_id: i64) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        enterprise_verifiers::table
            .find(enterprise_id)
            .select(enterprise_verifiers::username)
            .first(conn)
            .await
            .optional()?
    }))
}

/// Sets (creates or replaces) the enterprise's verification account.
pub async fn upsert_verifier(conn: &mut DbConn, enterprise_id: i64, username: &str, password_hash: &str, now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(enterprise_verifiers::table)
            .values((
                enterprise_verifiers::enterprise_id.eq(enterprise_id),
                enterprise_verifiers::username.eq(username),
                enterprise_verifiers::password_hash.eq(password_hash),
                enterprise_verifiers::updated_at.eq(now),
            ))
            .on_conflict(enterprise_verifiers::enterprise_id)
            .do_update()
            .set((
                enterprise_verifiers::username.eq(username),
                enterprise_verifiers::password_hash.eq(password_hash),
                enterprise_verifiers::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Cards by (enterprise, number), for the line queues. (One query by number;
/// each card is keyed by its own enterprise.)
pub struct CardsByNo;

impl BatchLookup for CardsByNo {
    type Key = (i64, String);
    type Value = CardRow;

    async fn lookup(conn: &mut DbConn, keys: &[(i64, String)]) -> StoreResult<HashMap<(i64, String), CardRow>> {
        let nos: Vec<String> = keys.iter().map(|k| k.1.clone()).collect();
        let rows: Vec<CardRow> = db_run!(conn: {
            trace_cards::table.filter(trace_cards::card_no.eq_any(&nos)).select(CardRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|c| ((c.enterprise_id, c.card_no.clone()), c)).collect())
    }
}

/// The bales of each card, in press order (every key present, maybe empty).
pub struct BalesByCard;

impl BatchLookup for BalesByCard {
    type Key = i64;
    type Value = Vec<BaleRow>;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, Vec<BaleRow>>> {
        let rows: Vec<BaleRow> = db_run!(conn: {
            bales::table
                .filter(bales::card_id.eq_any(keys))
                .order((bales::line_id, bales::seq))
                .select(BaleRow::as_select())
                .load(conn)
                .await?
        });
        let mut out: HashMap<i64, Vec<BaleRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for b in rows {
            if let Some(card) = b.card_id {
                out.entry(card).or_default().push(b);
            }
        }
        Ok(out)
    }
}
