//! `quality`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;
use cotton_domain::season::SeasonRules;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: i64,
    pub barcode: String,
    pub color_grade: Option<String>,
    pub length_mm: Option<Dec>,
    pub strength: Option<Dec>,
    pub micronaire: Option<Dec>,
    pub uniformity_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Option<Dec>,
    pub imported_at: NaiveDateTime,
}

impl InspectionRow {
    /// Premium when length, strength and micronaire meet the season's criteria
    /// (default 双29B2: length ≥ 29 mm, strength ≥ 29 cN/tex, micronaire 3.7–4.9).
    pub fn premium(&self, rules: &SeasonRules) -> bool {
        match (self.length_mm, self.strength, self.micronaire) {
            (Some(l), Some(s), Some(m)) => rules.is_premium(l.0, s.0, m.0),
            _ => false,
        }
    }
}

use std::collections::HashMap;

use crate::batch::BatchLookup;
use crate::cards::{Page, PageWindow};
use crate::page_query;
use crate::season::SeasonRulesRow;
use crate::units::UnitRow;
use crate::{DbConn, StoreResult};

/// An inspection's values as an import writes them (insert or update).
pub struct InspectionValues {
    pub barcode: String,
    pub color_grade: Option<String>,
    pub length_mm: Option<Dec>,
    pub strength: Option<Dec>,
    pub micronaire: Option<Dec>,
    pub uniformity_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Option<Dec>,
    pub imported_at: NaiveDateTime,
}

macro_rules! inspection_values {
    ($v:expr) => {{
        let v: &InspectionValues = $v;
        (
            inspections::barcode.eq(v.barcode.clone()),
            inspections::color_grade.eq(v.color_grade.clone()),
            inspections::length_mm.eq(v.length_mm),
            inspections::strength.eq(v.strength),
            inspections::micronaire.eq(v.micronaire),
            inspections::uniformity_pct.eq(v.uniformity_pct),
            inspections::trash_pct.eq(v.trash_pct),
            inspections::moisture_pct.eq(v.moisture_pct),
            inspections::conditioned_kg.eq(v.conditioned_kg),
            inspections::imported_at.eq(v.imported_at),
        )
    }};
}

/// `quality_rev + 1` for the units whose cards hold bales with these barcodes
/// (chunked lookups of the units, then chunked updates).
pub async fn bump_units_of_barcodes(conn: &mut DbConn, barcodes: &[String]) -> StoreResult<()> {
    let mut units: Vec<i64> = Vec::new();
    for chunk in barcodes.chunks(900) {
        let chunk = chunk.to_vec();
        let ids: Vec<i64> = db_run!(conn: {
            bales::table
                .inner_join(trace_cards::table)
                .filter(bales::barcode.eq_any(&chunk))
                .select(trace_cards::unit_id)
                .distinct()
                .load(conn)
                .await?
        });
        units.extend(ids);
    }
    units.sort_unstable();
    units.dedup();
    for chunk in units.chunks(900) {
        let chunk = chunk.to_vec();
        db_run!(conn: {
            diesel::update(trace_units::table.filter(trace_units::id.eq_any(&chunk)))
                .set(trace_units::quality_rev.eq(trace_units::quality_rev + 1))
                .execute(conn)
                .await?;
        });
    }
    Ok(())
}

/// How many bales carry this barcode (a line pressed it).
pub async fn bales_with_barcode(conn: &mut DbConn, barcode: &str) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        bales::table.filter(bales::barcode.eq(barcode)).count().get_result(conn).await?
    }))
}

pub async fn find_by_barcode(conn: &mut DbConn, barcode: &str) -> StoreResult<Option<InspectionRow>> {
    Ok(db_run!(conn: {
        inspections::table
            .filter(inspections::barcode.eq(barcode))
            .select(InspectionRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

pub async fn update(conn: &mut DbConn, id: i64, values: &InspectionValues) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(inspections::table.find(id)).set(inspection_values!(values)).execute(conn).await?;
    });
    Ok(())
}

pub async fn insert(conn: &mut DbConn, values: &InspectionValues) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(inspections::table).values(inspection_values!(values)).execute(conn).await?;
    });
    Ok(())
}

/// The inspections of these barcodes, chunked (a unit can have thousands of bales).
pub async fn by_barcodes(conn: &mut DbConn, barcodes: &[String]) -> StoreResult<HashMap<String, InspectionRow>> {
    let mut out = HashMap::new();
    for chunk in barcodes.chunks(900) {
        let chunk = chunk.to_vec();
        let rows: Vec<InspectionRow> = db_run!(conn: {
            inspections::table.filter(inspections::barcode.eq_any(&chunk)).select(InspectionRow::as_select()).load(conn).await?
        });
        out.extend(rows.into_iter().map(|r| (r.barcode.clone(), r)));
    }
    Ok(out)
}

/// The unit's bales (conditioned weight) with their inspections, in one query
/// (a join on the unique barcode).
pub async fn unit_bales_with_inspections(conn: &mut DbConn, unit_id: i64) -> StoreResult<Vec<(Dec, Option<InspectionRow>)>> {
    Ok(db_run!(conn: {
        bales::table
            .inner_join(trace_cards::table)
            .left_join(inspections::table.on(inspections::barcode.eq(bales::barcode)))
            .filter(trace_cards::unit_id.eq(unit_id))
            .select((bales::conditioned_kg, inspections::all_columns.nullable()))
            .load(conn)
            .await?
    }))
}

/// (grower id, gross, tare) of the unit's carded tickets.
pub async fn unit_carded_seed(conn: &mut DbConn, unit_id: i64) -> StoreResult<Vec<(i64, Dec, Option<Dec>)>> {
    Ok(db_run!(conn: {
        tickets::table
            .inner_join(trace_cards::table)
            .filter(trace_cards::unit_id.eq(unit_id))
            .select((tickets::grower_id, tickets::gross_kg, tickets::tare_kg))
            .load(conn)
            .await?
    }))
}

/// The units of a regiment's area in a season, by id.
pub async fn area_units(conn: &mut DbConn, regiment: i64, season: i32) -> StoreResult<Vec<UnitRow>> {
    Ok(db_run!(conn: {
        trace_units::table
            .filter(trace_units::regiment_id.eq(regiment))
            .filter(trace_units::season.eq(season))
            .order(trace_units::id)
            .select(UnitRow::as_select())
            .load(conn)
            .await?
    }))
}

/// (unit, ticket, gross, tare) of the tickets whose plots lie in these units (live
/// membership; a ticket once per plot).
pub async fn delivered_to_units(conn: &mut DbConn, unit_ids: &[i64]) -> StoreResult<Vec<(i64, i64, Dec, Option<Dec>)>> {
    Ok(db_run!(conn: {
        ticket_plots::table
            .inner_join(tickets::table)
            .inner_join(unit_plots::table.on(unit_plots::plot_id.eq(ticket_plots::plot_id)))
            .filter(unit_plots::unit_id.eq_any(unit_ids))
            .filter(unit_plots::released_at.is_null())
            .select((unit_plots::unit_id, tickets::id, tickets::gross_kg, tickets::tare_kg))
            .load(conn)
            .await?
    }))
}

/// (unit, gross, tare) of the carded tickets of these units.
pub async fn carded_of_units(conn: &mut DbConn, unit_ids: &[i64]) -> StoreResult<Vec<(i64, Dec, Option<Dec>)>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .inner_join(tickets::table)
            .filter(trace_cards::unit_id.eq_any(unit_ids))
            .select((trace_cards::unit_id, tickets::gross_kg, tickets::tare_kg))
            .load(conn)
            .await?
    }))
}

/// (unit, barcode, conditioned weight) of the bales on these units' cards.
pub async fn bales_of_units(conn: &mut DbConn, unit_ids: &[i64]) -> StoreResult<Vec<(i64, String, Dec)>> {
    Ok(db_run!(conn: {
        bales::table
            .inner_join(trace_cards::table)
            .filter(trace_cards::unit_id.eq_any(unit_ids))
            .select((trace_cards::unit_id, bales::barcode, bales::conditioned_kg))
            .load(conn)
            .await?
    }))
}

/// The cards of a regiment's area in a season, counted by status.
pub async fn area_cards_by_status(conn: &mut DbConn, regiment: i64, season: i32) -> StoreResult<Vec<(String, i64)>> {
    Ok(db_run!(conn: {
        trace_cards::table
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .filter(trace_units::regiment_id.eq(regiment))
            .filter(trace_cards::season.eq(season))
            .group_by(trace_cards::status)
            .select((trace_cards::status, diesel::dsl::count_star()))
            .load(conn)
            .await?
    }))
}

/// One traced bale: (bale id, barcode, conditioned weight, card number, ticket
/// number, grower name, unit name).
pub type TracedBale = (i64, String, Dec, String, String, String, String);

/// The enterprise's traced bales of `season`'s cards in the order they were
/// recorded (bale id): the rows of `window`, or all of them; with the count of all.
pub async fn lint_links(conn: &mut DbConn, enterprise_id: i64, season: i32, window: Option<PageWindow>) -> StoreResult<(i64, Page<TracedBale>)> {
    macro_rules! filtered {
        () => {
            bales::table
                .inner_join(trace_cards::table.inner_join(tickets::table.inner_join(growers::table)))
                .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
                .filter(bales::enterprise_id.eq(enterprise_id))
                .filter(trace_cards::season.eq(season))
                .into_boxed()
        };
    }
    macro_rules! selection {
        () => {
            (bales::id, bales::barcode, bales::conditioned_kg, trace_cards::card_no, tickets::ticket_no, growers::name, trace_units::name)
        };
    }
    Ok(db_run!(conn: {
        match window {
            Some(w) => {
                let total = filtered!().count().get_result(conn).await?;
                (total, page_query!(conn, filtered, bales::id, asc, w, selection!()))
            }
            None => {
                let rows: Vec<TracedBale> = filtered!().order(bales::id).select(selection!()).load(conn).await?;
                (rows.len() as i64, Page { rows, has_previous_page: false, has_next_page: false })
            }
        }
    }))
}

/// Inspections by bale barcode; every key gets an answer (`None`: not inspected),
/// so a results page can tell its loader which bales have none.
pub struct InspectionsByBarcode;

impl BatchLookup for InspectionsByBarcode {
    type Key = String;
    type Value = Option<InspectionRow>;

    async fn lookup(conn: &mut DbConn, keys: &[String]) -> StoreResult<HashMap<String, Option<InspectionRow>>> {
        let mut found = by_barcodes(conn, keys).await?;
        Ok(keys.iter().map(|k| (k.clone(), found.remove(k))).collect())
    }
}

/// The season rules in force per season (stored, else the defaults; every key
/// present), once per request: premium is judged per inspection.
pub struct SeasonRulesBySeason;

impl BatchLookup for SeasonRulesBySeason {
    type Key = i32;
    type Value = SeasonRules;

    async fn lookup(conn: &mut DbConn, seasons: &[i32]) -> StoreResult<HashMap<i32, SeasonRules>> {
        let rows: Vec<SeasonRulesRow> = db_run!(conn: {
            season_rules::table.filter(season_rules::season.eq_any(seasons)).select(SeasonRulesRow::as_select()).load(conn).await?
        });
        let mut out: HashMap<i32, SeasonRules> = rows.into_iter().map(|r| (r.season, r.into_rules())).collect();
        for &s in seasons {
            out.entry(s).or_insert_with(|| SeasonRules::defaults(s));
        }
        Ok(out)
    }
}
