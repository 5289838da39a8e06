//! `bale_trace`: what the public trace of a lint bale is read from — the bale, its
//! card's season, its unit's code and region, the enterprise that pressed it and
//! its official inspection. Only the columns the public may see are selected: no
//! grower, ticket, legal person or account column is read here at all.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::orgs::OrgRow;
use crate::prelude::*;
use crate::quality::InspectionRow;
use crate::schema::*;
use crate::{DbConn, Dec, StoreResult};

/// A traced bale as its trace tag shows it.
#[derive(Debug, Clone)]
pub struct BaleTraceRow {
    pub barcode: String,
    /// The season of the bale's trace card.
    pub season: i32,
    pub unit_code: String,
    pub pressed_at: NaiveDateTime,
    pub conditioned_kg: Dec,
    /// The ginning enterprise that pressed the bale.
    pub enterprise: OrgRow,
    /// The unit's region (归属地区): a company or a regiment.
    pub region: OrgRow,
    /// The regiment of the unit's area (the region itself when it is a regiment).
    pub regiment: OrgRow,
    pub inspection: Option<InspectionRow>,
}

/// The trace of the bale with `barcode`, when a bale has that barcode and it was
/// traced (assigned to a trace card, hence to a unit); `None` for an unknown, a
/// delay or an untraced bale. Two statements: the bale with its card, unit and
/// inspection, then the three organisations.
pub async fn find(conn: &mut DbConn, barcode: &str) -> StoreResult<Option<BaleTraceRow>> {
    type Head = (String, i32, String, NaiveDateTime, Dec, i64, i64, i64, Option<InspectionRow>);
    let head: Option<Head> = db_run!(conn: {
        bales::table
            .inner_join(trace_cards::table)
            .inner_join(trace_units::table.on(trace_units::id.eq(trace_cards::unit_id)))
            .left_join(inspections::table.on(inspections::barcode.eq(bales::barcode)))
            .filter(bales::barcode.eq(barcode))
            .filter(bales::traced.eq(true))
            .select((
                bales::barcode,
                trace_cards::season,
                trace_units::code,
                bales::pressed_at,
                bales::conditioned_kg,
                bales::enterprise_id,
                trace_units::region_id,
                trace_units::regiment_id,
                inspections::all_columns.nullable(),
            ))
            .first(conn)
            .await
            .optional()?
    });
    let Some((barcode, season, unit_code, pressed_at, conditioned_kg, enterprise_id, region_id, regiment_id, inspection)) = head else {
        return Ok(None);
    };
    let ids = [enterprise_id, region_id, regiment_id];
    let rows: Vec<OrgRow> = db_run!(conn: {
        orgs::table.filter(orgs::id.eq_any(ids)).select(OrgRow::as_select()).load(conn).await?
    });
    let by_id: HashMap<i64, OrgRow> = rows.into_iter().map(|o| (o.id, o)).collect();
    // Foreign keys keep all three: a missing one is a broken database (INTERNAL).
    let take = |id: i64| by_id.get(&id).cloned().ok_or(crate::StoreError::Query(diesel::result::Error::NotFound));
    let (enterprise, region, regiment) = (take(enterprise_id)?, take(region_id)?, take(regiment_id)?);
    Ok(Some(BaleTraceRow { barcode, season, unit_code, pressed_at, conditioned_kg, enterprise, region, regiment, inspection }))
}
