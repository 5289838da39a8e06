//! Quality: official fibre inspection per bale, premium cotton (优质棉) by the
//! season's criteria, and its allocation to the growers of a unit (SPEC §9).

pub mod graphql;
pub mod reports;

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDateTime, Utc};
use cotton_domain::allocation::allocate;
use cotton_domain::season::SeasonRules;
use cotton_domain::units::UnitKind;
use cotton_import::inspections::{InspectionLine, parse_line};
use rust_decimal::Decimal;

use crate::accounts::import::ImportReport;
use crate::db::prelude::*;
use crate::db::schema::{bales, inspections, tickets, trace_cards};
use crate::db::{DbConn, DbPool, Dec};
use crate::error::AppResult;
use crate::files::SheetRow;
use crate::units::UnitRow;

/// Columns of the inspection file (CSV or xlsx), row 1 exactly.
pub use cotton_import::inspections::INSPECTION_HEADER;

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

/// The row parser is `cotton_import::inspections::parse_line` (shared with the fuzz targets).
fn same_as(line: &InspectionLine, r: &InspectionRow) -> bool {
    let d = |v: Option<Dec>| v.map(|x| x.0.normalize());
    line.color_grade == r.color_grade
        && line.length_mm == d(r.length_mm)
        && line.strength == d(r.strength)
        && line.micronaire == d(r.micronaire)
        && line.uniformity_pct == d(r.uniformity_pct)
        && line.trash_pct == d(r.trash_pct)
        && line.moisture_pct == d(r.moisture_pct)
        && line.conditioned_kg == d(r.conditioned_kg)
}

/// Imports inspection results: created / updated / skipped (identical) / failed
/// (bad values, or a barcode no line has pressed — reported, never dropped).
pub async fn import(conn: &mut DbConn, rows: &[SheetRow]) -> AppResult<ImportReport> {
    let mut report = ImportReport::default();
    let now = Utc::now().naive_utc();
    for row in rows {
        let line = match parse_line(row) {
            Ok(l) => l,
            Err(e) => {
                report.push(row.row, "failed", Some(e.to_string()));
                continue;
            }
        };
        let pressed: i64 = db_run!(conn: {
            bales::table.filter(bales::barcode.eq(&line.barcode)).count().get_result(conn).await?
        });
        if pressed == 0 {
            report.push(row.row, "failed", Some(format!("条码 {} 未在任何生产线的压包记录中（请先上传加工数据）", line.barcode)));
            continue;
        }
        let existing: Option<InspectionRow> = db_run!(conn: {
            inspections::table
                .filter(inspections::barcode.eq(&line.barcode))
                .select(InspectionRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        if existing.as_ref().is_some_and(|e| same_as(&line, e)) {
            report.push(row.row, "skipped", None);
            continue;
        }
        let values = (
            inspections::barcode.eq(line.barcode.clone()),
            inspections::color_grade.eq(line.color_grade.clone()),
            inspections::length_mm.eq(line.length_mm.map(Dec)),
            inspections::strength.eq(line.strength.map(Dec)),
            inspections::micronaire.eq(line.micronaire.map(Dec)),
            inspections::uniformity_pct.eq(line.uniformity_pct.map(Dec)),
            inspections::trash_pct.eq(line.trash_pct.map(Dec)),
            inspections::moisture_pct.eq(line.moisture_pct.map(Dec)),
            inspections::conditioned_kg.eq(line.conditioned_kg.map(Dec)),
            inspections::imported_at.eq(now),
        );
        match existing {
            Some(e) => {
                db_run!(conn: {
                    diesel::update(inspections::table.find(e.id)).set(values).execute(conn).await?;
                });
                report.push(row.row, "updated", None);
            }
            None => {
                db_run!(conn: {
                    diesel::insert_into(inspections::table).values(values).execute(conn).await?;
                });
                report.push(row.row, "created", None);
            }
        }
    }
    Ok(report)
}

pub async fn inspections_by_barcodes(conn: &mut DbConn, barcodes: &[String]) -> AppResult<HashMap<String, InspectionRow>> {
    let mut out = HashMap::new();
    // Chunked: a unit can have thousands of bales.
    for chunk in barcodes.chunks(900) {
        let chunk = chunk.to_vec();
        let rows: Vec<InspectionRow> = db_run!(conn: {
            inspections::table.filter(inspections::barcode.eq_any(&chunk)).select(InspectionRow::as_select()).load(conn).await?
        });
        out.extend(rows.into_iter().map(|r| (r.barcode.clone(), r)));
    }
    Ok(out)
}

pub struct InspectionLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<String> for InspectionLoader {
    type Value = InspectionRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, InspectionRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        Ok(inspections_by_barcodes(&mut conn, keys).await?)
    }
}

/// A bale's lint weight for premium totals: the inspected conditioned weight when
/// the inspection gives one, else the weight computed at the press.
pub fn lint_kg(bale_conditioned: Decimal, inspection: Option<&InspectionRow>) -> Decimal {
    inspection.and_then(|i| i.conditioned_kg).map(|d| d.0).unwrap_or(bale_conditioned)
}

/// The premium allocation of one unit.
#[derive(Debug, Clone)]
pub struct UnitAllocation {
    pub unit: UnitRow,
    /// Q: Σ lint weight of the unit's premium bales.
    pub premium_kg: Decimal,
    /// Σ lint weight of all the unit's traced bales.
    pub lint_kg: Decimal,
    pub bales: i64,
    pub premium_bales: i64,
    /// S: the unit's net seed cotton on carded tickets.
    pub total_seed_kg: Decimal,
    /// (grower id, S_g, share)
    pub shares: Vec<(i64, Decimal, Decimal)>,
    /// A cooperative (legal-person) unit: all of Q goes to the legal person.
    pub legal_person_kg: Option<Decimal>,
}

/// Q, S and the shares of `unit` (SPEC §9): growers get Q × S_g / S rounded to
/// 0.01 kg by largest remainder; a single grower, or the legal person of a
/// cooperative, gets all of Q.
pub async fn allocate_unit(conn: &mut DbConn, unit: UnitRow) -> AppResult<UnitAllocation> {
    let rules = crate::season::rules_for(conn, unit.season).await?;
    let unit_id = unit.id;
    // The unit's bales with their inspections in one query (a join on the unique
    // barcode, instead of looking the barcodes up again in chunks).
    let unit_bales: Vec<(Dec, Option<InspectionRow>)> = db_run!(conn: {
        bales::table
            .inner_join(trace_cards::table)
            .left_join(inspections::table.on(inspections::barcode.eq(bales::barcode)))
            .filter(trace_cards::unit_id.eq(unit_id))
            .select((bales::conditioned_kg, inspections::all_columns.nullable()))
            .load(conn)
            .await?
    });
    let (mut premium_kg, mut lint_total, mut premium_bales) = (Decimal::ZERO, Decimal::ZERO, 0i64);
    for (kg, i) in &unit_bales {
        let i = i.as_ref();
        let w = lint_kg(kg.0, i);
        lint_total += w;
        if i.is_some_and(|i| i.premium(&rules)) {
            premium_kg += w;
            premium_bales += 1;
        }
    }
    let seeds_rows: Vec<(i64, Dec, Option<Dec>)> = db_run!(conn: {
        tickets::table
            .inner_join(trace_cards::table)
            .filter(trace_cards::unit_id.eq(unit_id))
            .select((tickets::grower_id, tickets::gross_kg, tickets::tare_kg))
            .load(conn)
            .await?
    });
    let mut seeds: BTreeMap<i64, Decimal> = BTreeMap::new();
    for (g, gross, tare) in seeds_rows {
        *seeds.entry(g).or_default() += gross.0 - tare.map(|t| t.0).unwrap_or_default();
    }
    let total_seed_kg: Decimal = seeds.values().copied().sum();
    let premium_kg = premium_kg.round_dp(2);
    let cooperative = unit.kind() == UnitKind::Cooperative;
    let seed_list: Vec<(i64, Decimal)> = seeds.into_iter().collect();
    let shares = if cooperative {
        seed_list.iter().map(|(g, s)| (*g, *s, Decimal::ZERO)).collect()
    } else {
        let alloc = allocate(premium_kg, &seed_list);
        seed_list.iter().zip(alloc).map(|((g, s), (_, share))| (*g, *s, share)).collect()
    };
    Ok(UnitAllocation {
        unit,
        premium_kg,
        lint_kg: lint_total,
        bales: unit_bales.len() as i64,
        premium_bales,
        total_seed_kg,
        shares,
        legal_person_kg: cooperative.then_some(premium_kg),
    })
}
