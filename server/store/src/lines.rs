//! `lines`: production lines, the platform's export-signing key and the cards
//! exported to a line's collector.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::batch::BatchLookup;
use crate::cards::CardRow;
use crate::prelude::*;
use crate::schema::*;
use crate::{DbConn, StoreResult};
use cotton_domain::processing::CollectorModel;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = production_lines)]
pub struct LineRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub collector_model: String,
    pub device_key: String,
    pub created_at: NaiveDateTime,
}

impl LineRow {
    pub fn model(&self) -> CollectorModel {
        match self.collector_model.as_str() {
            "IV" => CollectorModel::Iv,
            "V" => CollectorModel::V,
            _ => CollectorModel::Vi,
        }
    }

    /// The line id carried in files and signatures.
    pub fn line_ref(&self) -> String {
        format!("L{}", self.id)
    }
}

/// A card a line's device may still process, with what its export carries.
#[derive(Debug, Clone)]
pub struct ProcessableCard {
    pub card: CardRow,
    pub ticket_no: String,
    pub grower_name: String,
    pub unit_name: String,
}

/// The `app_meta` key of the platform's export-signing key.
const PLATFORM_KEY: &str = "platform_signing_key";

pub async fn find(conn: &mut DbConn, id: i64) -> StoreResult<Option<LineRow>> {
    Ok(db_run!(conn: {
        production_lines::table.find(id).select(LineRow::as_select()).first(conn).await.optional()?
    }))
}

/// The enterprise's lines, in id order.
pub async fn list_for_enterprise(conn: &mut DbConn, enterprise_id: i64) -> StoreResult<Vec<LineRow>> {
    Ok(db_run!(conn: {
        production_lines::table
            .filter(production_lines::enterprise_id.eq(enterprise_id))
            .order(production_lines::id)
            .select(LineRow::as_select())
            .load(conn)
            .await?
    }))
}

pub async fn insert(
    conn: &mut DbConn,
    enterprise_id: i64,
    name: &str,
    collector_model: &str,
    device_key: &str,
    created_at: NaiveDateTime,
) -> StoreResult<LineRow> {
    let values = (
        production_lines::enterprise_id.eq(enterprise_id),
        production_lines::name.eq(name),
        production_lines::collector_model.eq(collector_model),
        production_lines::device_key.eq(device_key),
        production_lines::created_at.eq(created_at),
    );
    Ok(db_run!(conn: {
        diesel::insert_into(production_lines::table)
            .values(values)
            .returning(LineRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// The platform's export-signing key (base64) if one is stored.
pub async fn find_platform_key(conn: &mut DbConn) -> StoreResult<Option<String>> {
    Ok(db_run!(conn: {
        app_meta::table.find(PLATFORM_KEY).select(app_meta::value).first(conn).await.optional()?
    }))
}

/// Stores `fresh` as the platform's key unless one exists (two instances may
/// race: the first insert wins) and returns the stored key.
pub async fn ensure_platform_key(conn: &mut DbConn, fresh: &str) -> StoreResult<String> {
    db_run!(conn: {
        diesel::insert_into(app_meta::table)
            .values((app_meta::key.eq(PLATFORM_KEY), app_meta::value.eq(fresh)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    });
    Ok(db_run!(conn: {
        app_meta::table.find(PLATFORM_KEY).select(app_meta::value).first(conn).await?
    }))
}

/// The enterprise's PRINTED or EXPORTED cards with their ticket number, grower
/// and unit names, in card id order.
pub async fn processable_cards(conn: &mut DbConn, enterprise_id: i64) -> StoreResult<Vec<ProcessableCard>> {
    let rows: Vec<(CardRow, String, String, String)> = db_run!(conn: {
        trace_cards::table
            .inner_join(tickets::table.inner_join(growers::table))
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_cards::enterprise_id.eq(enterprise_id))
            .filter(trace_cards::status.eq_any(["PRINTED", "EXPORTED"]))
            .order(trace_cards::id)
            .select((CardRow::as_select(), tickets::ticket_no, growers::name, trace_units::name))
            .load(conn)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(card, ticket_no, grower_name, unit_name)| ProcessableCard { card, ticket_no, grower_name, unit_name })
        .collect())
}

/// The cards exported to `line_id`: PRINTED ones become EXPORTED, and each gets
/// an export record. Run it inside the caller's transaction.
pub async fn record_export(conn: &mut DbConn, card_ids: &[i64], line_id: i64, at: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(trace_cards::table.filter(trace_cards::id.eq_any(card_ids)).filter(trace_cards::status.eq("PRINTED")))
            .set(trace_cards::status.eq("EXPORTED"))
            .execute(conn)
            .await?;
        for id in card_ids {
            diesel::insert_into(card_exports::table)
                .values((card_exports::card_id.eq(*id), card_exports::line_id.eq(line_id), card_exports::exported_at.eq(at)))
                .execute(conn)
                .await?;
        }
    });
    Ok(())
}

/// Production lines by id (a bale's line).
pub struct LinesById;

impl BatchLookup for LinesById {
    type Key = i64;
    type Value = LineRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, LineRow>> {
        let rows: Vec<LineRow> = db_run!(conn: {
            production_lines::table.filter(production_lines::id.eq_any(keys)).select(LineRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|l| (l.id, l)).collect())
    }
}
