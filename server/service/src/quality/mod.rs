//! Quality: official fibre inspection per bale, premium cotton (优质棉) by the
//! season's criteria, and its allocation to the growers of a unit (rules §9).

pub mod reports;
pub mod results;

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use cotton_domain::allocation::allocate;
use cotton_domain::units::UnitKind;
use cotton_import::inspections::{InspectionLine, parse_line};
use rust_decimal::Decimal;

use crate::accounts::import::{ImportReport, ImportRowStatus};
use crate::db::{DbConn, Dec};
use crate::auth::{Principal, Scope};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::files::SheetRow;
use crate::units::UnitRow;
use cotton_store::quality::{self as store, InspectionValues};

pub use cotton_store::quality::{InspectionRow, InspectionsByBarcode, SeasonRulesBySeason};
pub use crate::aggregate_cache::{AggregateCache, UnitAggregate};

/// Columns of the inspection file (CSV or xlsx), row 1 exactly.
pub use cotton_import::inspections::INSPECTION_HEADER;

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

/// `importInspections`: the platform admin imports official inspection results
/// per bale barcode (CSV or xlsx). `file` reads the upload after the role check.
pub async fn import_inspections(state: &AppState, me: &Principal, file: impl FnOnce() -> AppResult<Vec<u8>>) -> AppResult<ImportReport> {
    if !me.scope.is_admin() {
        return Err(AppError::Forbidden("只有平台管理员可以导入公检数据".into()));
    }
    let rows = crate::files::read_table(file()?, &INSPECTION_HEADER)?;
    let mut conn = state.db.write().await?;
    let report = import(&mut conn, &rows).await?;
    drop(conn);
    // Publishing inspection results changes the pages of every grower whose bales
    // they cover, who sign in next: have their pages ready (docs/decisions.md).
    if report.created + report.updated > 0 {
        results::refresh_stale_later(&state.db);
    }
    Ok(report)
}

/// Imports inspection results: created / updated / skipped (identical) / failed
/// (bad values, or a barcode no line has pressed — reported, never dropped).
/// One transaction: the inspections and the `quality_rev` bump of their units.
pub async fn import(conn: &mut DbConn, rows: &[SheetRow]) -> AppResult<ImportReport> {
    conn.begin().await?;
    let result = async {
        let (report, changed) = import_rows(conn, rows).await?;
        bump_units_of_barcodes(conn, &changed).await?;
        Ok::<_, crate::error::AppError>(report)
    }
    .await;
    conn.finish(result).await
}

/// `quality_rev + 1` for the units whose cards hold bales with these barcodes
/// (their quality aggregate changed; see [`AggregateCache`]).
pub async fn bump_units_of_barcodes(conn: &mut DbConn, barcodes: &[String]) -> AppResult<()> {
    Ok(store::bump_units_of_barcodes(conn, barcodes).await?)
}

async fn import_rows(conn: &mut DbConn, rows: &[SheetRow]) -> AppResult<(ImportReport, Vec<String>)> {
    let mut changed: Vec<String> = Vec::new();
    let mut report = ImportReport::default();
    let now = Utc::now().naive_utc();
    for row in rows {
        let line = match parse_line(row) {
            Ok(l) => l,
            Err(e) => {
                report.push(row.row, ImportRowStatus::Failed, Some(e.to_string()));
                continue;
            }
        };
        let pressed = store::bales_with_barcode(conn, &line.barcode).await?;
        if pressed == 0 {
            report.push(row.row, ImportRowStatus::Failed, Some(format!("条码 {} 未在任何生产线的压包记录中（请先上传加工数据）", line.barcode)));
            continue;
        }
        let existing = store::find_by_barcode(conn, &line.barcode).await?;
        if existing.as_ref().is_some_and(|e| same_as(&line, e)) {
            report.push(row.row, ImportRowStatus::Skipped, None);
            continue;
        }
        let values = InspectionValues {
            barcode: line.barcode.clone(),
            color_grade: line.color_grade.clone(),
            length_mm: line.length_mm.map(Dec),
            strength: line.strength.map(Dec),
            micronaire: line.micronaire.map(Dec),
            uniformity_pct: line.uniformity_pct.map(Dec),
            trash_pct: line.trash_pct.map(Dec),
            moisture_pct: line.moisture_pct.map(Dec),
            conditioned_kg: line.conditioned_kg.map(Dec),
            imported_at: now,
        };
        match existing {
            Some(e) => {
                store::update(conn, e.id, &values).await?;
                report.push(row.row, ImportRowStatus::Updated, None);
            }
            None => {
                store::insert(conn, &values).await?;
                report.push(row.row, ImportRowStatus::Created, None);
            }
        }
        changed.push(line.barcode.clone());
    }
    Ok((report, changed))
}

pub async fn inspections_by_barcodes(conn: &mut DbConn, barcodes: &[String]) -> AppResult<HashMap<String, InspectionRow>> {
    Ok(store::by_barcodes(conn, barcodes).await?)
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

/// The aggregate of a unit's bales (with their inspections) under `rules`.
fn aggregate_of(unit_bales: &[(Dec, Option<InspectionRow>)], rules: &cotton_domain::season::SeasonRules) -> UnitAggregate {
    let (mut premium_kg, mut lint_total, mut premium_bales) = (Decimal::ZERO, Decimal::ZERO, 0i64);
    for (kg, i) in unit_bales {
        let i = i.as_ref();
        let w = lint_kg(kg.0, i);
        lint_total += w;
        if i.is_some_and(|i| i.premium(rules)) {
            premium_kg += w;
            premium_bales += 1;
        }
    }
    UnitAggregate { premium_kg, lint_kg: lint_total, bales: unit_bales.len() as i64, premium_bales }
}

/// Computes the aggregate from the unit's bales joined with their inspections.
async fn compute_aggregate(conn: &mut DbConn, unit: &UnitRow) -> AppResult<UnitAggregate> {
    let rules = crate::season::rules_for(conn, unit.season).await?;
    // The unit's bales with their inspections in one query (a join on the unique
    // barcode, instead of looking the barcodes up again in chunks).
    let unit_bales = store::unit_bales_with_inspections(conn, unit.id).await?;
    Ok(aggregate_of(&unit_bales, &rules))
}

/// The unit's aggregate: from `cache` when it holds the unit at the row's
/// `quality_rev`, else computed (and stored). `None` always computes (`bench allocate`).
/// The aggregate is read after `unit` was, so it is at least as new as its revision.
pub async fn unit_aggregate(conn: &mut DbConn, cache: Option<&AggregateCache>, unit: &UnitRow) -> AppResult<UnitAggregate> {
    if let Some(a) = cache.and_then(|c| c.get(unit.id, unit.quality_rev)) {
        return Ok(a);
    }
    let a = compute_aggregate(conn, unit).await?;
    if let Some(c) = cache {
        c.put(unit.id, unit.quality_rev, a);
    }
    Ok(a)
}

/// Q, S and the shares of `unit` (rules §9): growers get Q × S_g / S rounded to
/// 0.01 kg by largest remainder; a single grower, or the legal person of a
/// cooperative, gets all of Q. The bale aggregate comes from `cache` when valid
/// (see [`unit_aggregate`]); the seed cotton per grower is read every time.
pub async fn allocate_unit(conn: &mut DbConn, cache: Option<&AggregateCache>, unit: UnitRow) -> AppResult<UnitAllocation> {
    let agg = unit_aggregate(conn, cache, &unit).await?;
    split(conn, unit, agg).await
}

/// [`allocate_unit`] with premium judged by `rules` (the unit's season's, as the
/// caller read them), computed from the tables (no cache): what `myResults` keeps.
pub async fn allocate_unit_under(conn: &mut DbConn, unit: UnitRow, rules: &cotton_domain::season::SeasonRules) -> AppResult<UnitAllocation> {
    let unit_bales = store::unit_bales_with_inspections(conn, unit.id).await?;
    let agg = aggregate_of(&unit_bales, rules);
    split(conn, unit, agg).await
}

/// The split of a unit's aggregate over its growers' seed cotton on carded tickets.
async fn split(conn: &mut DbConn, unit: UnitRow, agg: UnitAggregate) -> AppResult<UnitAllocation> {
    let seeds_rows = store::unit_carded_seed(conn, unit.id).await?;
    let mut seeds: BTreeMap<i64, Decimal> = BTreeMap::new();
    for (g, gross, tare) in seeds_rows {
        *seeds.entry(g).or_default() += gross.0 - tare.map(|t| t.0).unwrap_or_default();
    }
    let total_seed_kg: Decimal = seeds.values().copied().sum();
    let premium_kg = agg.premium_kg.round_dp(2);
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
        lint_kg: agg.lint_kg,
        bales: agg.bales,
        premium_bales: agg.premium_bales,
        total_seed_kg,
        shares,
        legal_person_kg: cooperative.then_some(premium_kg),
    })
}

/// `premiumAllocation`: a unit's premium cotton and its split (rules §9), for the
/// unit's regiment, its creator, the admin, and its growers — who see only their
/// own share.
pub async fn premium_allocation(state: &AppState, me: &Principal, unit_id: crate::ids::UnitId) -> AppResult<UnitAllocation> {
    let unit_id = crate::ids::TypedId::get(unit_id);
    let mut conn = state.db.read().await?;
    let unit = crate::units::service::require_unit(&mut conn, unit_id).await?;
    let mine: Option<Vec<i64>> = match &me.scope {
        scope if scope.oversees(unit.regiment_id) => None,
        Scope::Company { .. } | Scope::Initiator { .. } if crate::units::can_manage(me, &unit) => None,
        Scope::Grower { phone } => Some(crate::rosters::growers_by_phone(&mut conn, phone).await?.into_iter().map(|g| g.id).collect()),
        _ => return Err(AppError::Forbidden("无权查看该追溯单元的优质棉分配".into())),
    };
    let mut alloc = allocate_unit(&mut conn, Some(&state.quality), unit).await?;
    if let Some(mine) = mine {
        if !alloc.shares.iter().any(|(g, _, _)| mine.contains(g)) {
            return Err(AppError::Forbidden("无权查看该追溯单元的优质棉分配".into()));
        }
        // A grower sees only their own share.
        alloc.shares.retain(|(g, _, _)| mine.contains(g));
    }
    Ok(alloc)
}
