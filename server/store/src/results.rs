//! `results`: the kept (precomputed) results pages of growers and premium
//! allocations of units behind `myResults`, and the change marks the database
//! triggers write (migration 000012; docs/decisions.md "myResults precomputed").
//!
//! The kept data is opaque text to the store (the service encodes it). A key's
//! token is `folded + count(marks)`: every change of an input inserts a mark in
//! its own transaction (triggers), so kept data is good while its `data_token`
//! equals the token read together with it. [`keep_grower`] / [`keep_unit`] store
//! data computed after its token was read, never over data of a later token, and
//! fold the marks they see into `folded` (the token does not move).

use std::collections::HashMap;

use cotton_domain::season::SeasonRules;

use crate::cards::CardRow;
use crate::prelude::*;
use crate::processing::BaleRow;
use crate::quality::InspectionRow;
use crate::schema::*;
use crate::season::SeasonRulesRow;
use crate::tickets::TicketRow;
use crate::units::UnitRow;
use crate::{DbConn, PgConn, StoreResult};

/// What is kept for one key, read with the key's current token in one statement.
#[derive(Debug, Clone)]
pub struct Kept {
    /// `folded + count(marks)` now.
    pub token: i64,
    /// The token the kept data was computed at (-1: none kept).
    pub data_token: i64,
    pub data: Option<String>,
}

impl Kept {
    /// The kept data, if it is still good.
    pub fn current(&self) -> Option<&str> {
        self.data.as_deref().filter(|_| self.data_token == self.token)
    }
}

fn kept(folded: Option<i64>, data_token: Option<i64>, data: Option<String>, marks: Option<i64>) -> Kept {
    Kept { token: folded.unwrap_or(0) + marks.unwrap_or(0), data_token: data_token.unwrap_or(-1), data }
}

/// The growers with this mobile, in id order, each with its kept results page.
pub async fn growers_of_phone(conn: &mut DbConn, phone: &str) -> StoreResult<Vec<(i64, Kept)>> {
    let rows: Vec<(i64, Option<i64>, Option<i64>, Option<String>, Option<i64>)> = db_run!(conn: {
        growers::table
            .left_join(grower_results::table.on(grower_results::grower_id.eq(growers::id)))
            .filter(growers::phone.eq(phone))
            .order(growers::id)
            .select((
                growers::id,
                grower_results::folded.nullable(),
                grower_results::data_token.nullable(),
                grower_results::data.nullable(),
                grower_marks::table.filter(grower_marks::grower_id.eq(growers::id)).count().single_value(),
            ))
            .load(conn)
            .await?
    });
    Ok(rows.into_iter().map(|(g, f, t, d, m)| (g, kept(f, t, d, m))).collect())
}

/// Everything a results page shows of these growers, read from the tables: the
/// units holding their live plots (grower, unit, season), their tickets (id
/// order), the tickets' cards, the cards' bales (line, press order) and the
/// bales' inspections.
pub struct GrowerSources {
    pub units: Vec<(i64, i64, i32)>,
    pub tickets: Vec<TicketRow>,
    pub cards: Vec<CardRow>,
    pub bales: Vec<BaleRow>,
    pub inspections: Vec<InspectionRow>,
}

pub async fn grower_sources(conn: &mut DbConn, grower_ids: &[i64]) -> StoreResult<GrowerSources> {
    let ids = grower_ids.to_vec();
    Ok(db_run!(conn: {
        let units: Vec<(i64, i64, i32)> = unit_plots::table
            .inner_join(plots::table)
            .inner_join(trace_units::table)
            .filter(plots::grower_id.eq_any(&ids))
            .filter(unit_plots::released_at.is_null())
            .select((plots::grower_id, trace_units::id, trace_units::season))
            .distinct()
            .load(conn)
            .await?;
        let tickets: Vec<TicketRow> = tickets::table
            .filter(tickets::grower_id.eq_any(&ids))
            .order(tickets::id)
            .select(TicketRow::as_select())
            .load(conn)
            .await?;
        let cards: Vec<CardRow> = trace_cards::table
            .inner_join(tickets::table)
            .filter(tickets::grower_id.eq_any(&ids))
            .select(CardRow::as_select())
            .load(conn)
            .await?;
        let bales: Vec<BaleRow> = bales::table
            .inner_join(trace_cards::table.inner_join(tickets::table))
            .filter(tickets::grower_id.eq_any(&ids))
            .order((bales::line_id, bales::seq))
            .select(BaleRow::as_select())
            .load(conn)
            .await?;
        let inspections: Vec<InspectionRow> = inspections::table
            .inner_join(bales::table.on(bales::barcode.eq(inspections::barcode)))
            .inner_join(trace_cards::table.on(trace_cards::id.nullable().eq(bales::card_id)))
            .inner_join(tickets::table.on(tickets::id.eq(trace_cards::ticket_id)))
            .filter(tickets::grower_id.eq_any(&ids))
            .select(InspectionRow::as_select())
            .load(conn)
            .await?;
        GrowerSources { units, tickets, cards, bales, inspections }
    }))
}

/// Keeps a grower's page computed after `token` was read (on the write connection).
pub async fn keep_grower(conn: &mut DbConn, grower_id: i64, token: i64, data: &str) -> StoreResult<()> {
    conn.begin().await?;
    let outcome = async {
        db_run!(conn: {
            let folded = diesel::delete(grower_marks::table.filter(grower_marks::grower_id.eq(grower_id))).execute(conn).await? as i64;
            diesel::insert_into(grower_results::table)
                .values((grower_results::grower_id.eq(grower_id), grower_results::folded.eq(0i64), grower_results::data_token.eq(-1i64)))
                .on_conflict(grower_results::grower_id)
                .do_nothing()
                .execute(conn)
                .await?;
            if folded > 0 {
                diesel::update(grower_results::table.find(grower_id))
                    .set(grower_results::folded.eq(grower_results::folded + folded))
                    .execute(conn)
                    .await?;
            }
            diesel::update(grower_results::table.find(grower_id).filter(grower_results::data_token.lt(token)))
                .set((grower_results::data.eq(data), grower_results::data_token.eq(token)))
                .execute(conn)
                .await?;
        });
        Ok(())
    }
    .await;
    conn.finish(outcome).await
}

/// These units (id order) with their kept allocations, and the season rules of
/// `seasons` (stored, else the defaults; every season present). On PostgreSQL
/// both statements go in one round trip.
pub async fn units_and_rules(conn: &mut DbConn, unit_ids: &[i64], seasons: &[i32]) -> StoreResult<(Vec<(UnitRow, Kept)>, HashMap<i32, SeasonRules>)> {
    type Row = (UnitRow, Option<i64>, Option<i64>, Option<String>, Option<i64>);
    let ids = unit_ids.to_vec();
    let ss = seasons.to_vec();
    macro_rules! units_query {
        () => {
            trace_units::table
                .left_join(unit_results::table.on(unit_results::unit_id.eq(trace_units::id)))
                .filter(trace_units::id.eq_any(&ids))
                .order(trace_units::id)
                .select((
                    UnitRow::as_select(),
                    unit_results::folded.nullable(),
                    unit_results::data_token.nullable(),
                    unit_results::data.nullable(),
                    unit_marks::table.filter(unit_marks::unit_id.eq(trace_units::id)).count().single_value(),
                ))
        };
    }
    macro_rules! rules_query {
        () => {
            season_rules::table.filter(season_rules::season.eq_any(&ss)).select(SeasonRulesRow::as_select())
        };
    }
    let (units, rules): (Vec<Row>, Vec<SeasonRulesRow>) = match conn {
        DbConn::Postgres(c) => {
            use diesel_async::RunQueryDsl;
            let c: &PgConn = c;
            let u = async {
                if ids.is_empty() { Ok(Vec::new()) } else { units_query!().load::<Row>(&mut &*c).await }
            };
            let r = async {
                if ss.is_empty() { Ok(Vec::new()) } else { rules_query!().load::<SeasonRulesRow>(&mut &*c).await }
            };
            let (u, r) = futures_util::join!(u, r);
            (u?, r?)
        }
        DbConn::Sqlite(c) => {
            use diesel_async::RunQueryDsl;
            let c: &mut crate::SqliteConn = c;
            let u = if ids.is_empty() { Vec::new() } else { units_query!().load::<Row>(c).await? };
            let r = if ss.is_empty() { Vec::new() } else { rules_query!().load::<SeasonRulesRow>(c).await? };
            (u, r)
        }
    };
    let mut by_season: HashMap<i32, SeasonRules> = rules.into_iter().map(|r| (r.season, r.into_rules())).collect();
    for &s in seasons {
        by_season.entry(s).or_insert_with(|| SeasonRules::defaults(s));
    }
    Ok((units.into_iter().map(|(u, f, t, d, m)| (u, kept(f, t, d, m))).collect(), by_season))
}

/// Keeps a unit's allocation computed after `token` was read (on the write connection).
pub async fn keep_unit(conn: &mut DbConn, unit_id: i64, token: i64, data: &str) -> StoreResult<()> {
    conn.begin().await?;
    let outcome = async {
        db_run!(conn: {
            let folded = diesel::delete(unit_marks::table.filter(unit_marks::unit_id.eq(unit_id))).execute(conn).await? as i64;
            diesel::insert_into(unit_results::table)
                .values((unit_results::unit_id.eq(unit_id), unit_results::folded.eq(0i64), unit_results::data_token.eq(-1i64)))
                .on_conflict(unit_results::unit_id)
                .do_nothing()
                .execute(conn)
                .await?;
            if folded > 0 {
                diesel::update(unit_results::table.find(unit_id))
                    .set(unit_results::folded.eq(unit_results::folded + folded))
                    .execute(conn)
                    .await?;
            }
            diesel::update(unit_results::table.find(unit_id).filter(unit_results::data_token.lt(token)))
                .set((unit_results::data.eq(data), unit_results::data_token.eq(token)))
                .execute(conn)
                .await?;
        });
        Ok(())
    }
    .await;
    conn.finish(outcome).await
}

/// Every grower's token and kept token (no data), and every unit's: what a
/// refresh compares to find the stale ones. (grower or unit id, token, data_token)
pub async fn all_tokens(conn: &mut DbConn) -> StoreResult<(Vec<(i64, i64, i64)>, Vec<(i64, i64, i64)>)> {
    let (growers, grower_marks, units, unit_marks): (Vec<(i64, Option<i64>, Option<i64>)>, Vec<(i64, i64)>, Vec<(i64, Option<i64>, Option<i64>)>, Vec<(i64, i64)>) = db_run!(conn: {
        let g = growers::table
            .left_join(grower_results::table.on(grower_results::grower_id.eq(growers::id)))
            .select((growers::id, grower_results::folded.nullable(), grower_results::data_token.nullable()))
            .load(conn)
            .await?;
        let gm = grower_marks::table
            .group_by(grower_marks::grower_id)
            .select((grower_marks::grower_id, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        let u = trace_units::table
            .left_join(unit_results::table.on(unit_results::unit_id.eq(trace_units::id)))
            .select((trace_units::id, unit_results::folded.nullable(), unit_results::data_token.nullable()))
            .load(conn)
            .await?;
        let um = unit_marks::table
            .group_by(unit_marks::unit_id)
            .select((unit_marks::unit_id, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        (g, gm, u, um)
    });
    let join = |rows: Vec<(i64, Option<i64>, Option<i64>)>, marks: Vec<(i64, i64)>| {
        let marks: HashMap<i64, i64> = marks.into_iter().collect();
        rows.into_iter()
            .map(|(id, folded, data_token)| (id, folded.unwrap_or(0) + marks.get(&id).copied().unwrap_or(0), data_token.unwrap_or(-1)))
            .collect::<Vec<_>>()
    };
    Ok((join(growers, grower_marks), join(units, unit_marks)))
}
