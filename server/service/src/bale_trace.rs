//! The public trace of a lint bale (扫码查询, issue 20): what anyone scanning the
//! QR code on a bale's trace tag may see — season, ginning enterprise, region,
//! unit code, pressing, official inspection and premium — and nothing personal:
//! no grower, legal person, ID number, mobile, ticket or account. No sign-in; the
//! API bounds it per IP (`COTTON_PUBLIC_TRACE_PER_IP`).

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::error::AppResult;
use crate::state::AppState;
use cotton_store::bale_trace::{self as store, BaleTraceRow};
use cotton_store::orgs::OrgRow;

pub use cotton_store::quality::InspectionRow;

/// A traced bale as the public sees it.
#[derive(Debug, Clone)]
pub struct BaleTrace {
    pub barcode: String,
    /// The season of the bale's trace card.
    pub season: i32,
    pub enterprise_name: String,
    /// The unit's region: "regiment company" (the company's name alone when it
    /// already starts with its regiment's), or the regiment.
    pub region_name: String,
    pub unit_code: String,
    pub pressed_at: NaiveDateTime,
    /// GB 1103.1 conditioned weight computed at the press, kg.
    pub conditioned_kg: Decimal,
    pub inspection: Option<InspectionRow>,
    /// The inspection meets the season's premium criteria (false before inspection).
    pub premium: bool,
}

/// `baleTrace`: the trace of the bale with `barcode` (surrounding blanks
/// ignored); `None` for an unknown barcode and for a bale that took no part in
/// tracing (a delay bale, or one pressed with no card). A barcode that is not 1
/// to 32 letters and digits is VALIDATION, before any query.
pub async fn bale_trace(state: &AppState, barcode: &str) -> AppResult<Option<BaleTrace>> {
    let barcode = barcode.trim();
    cotton_domain::processing::validate_barcode(barcode)?;
    let mut conn = state.db.read().await?;
    let Some(row) = store::find(&mut conn, barcode).await? else { return Ok(None) };
    let premium = match &row.inspection {
        Some(i) => i.premium(&crate::season::rules_for(&mut conn, row.season).await?),
        None => false,
    };
    Ok(Some(public(row, premium)))
}

fn public(row: BaleTraceRow, premium: bool) -> BaleTrace {
    BaleTrace {
        region_name: region_name(&row.region, &row.regiment),
        barcode: row.barcode,
        season: row.season,
        enterprise_name: row.enterprise.name,
        unit_code: row.unit_code,
        pressed_at: row.pressed_at,
        conditioned_kg: row.conditioned_kg.0,
        inspection: row.inspection,
        premium,
    }
}

/// "一二一团 一连", or "一二一团一连" when the company's name already carries its
/// regiment's, or the regiment's name for a unit of a regiment.
pub fn region_name(region: &OrgRow, regiment: &OrgRow) -> String {
    if region.id == regiment.id || region.name.starts_with(regiment.name.as_str()) {
        region.name.clone()
    } else {
        format!("{} {}", regiment.name, region.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, kind: &str, name: &str) -> OrgRow {
        OrgRow { id, kind: kind.into(), code: format!("C{id}"), name: name.into(), parent_id: None, regiment_id: None, created_at: NaiveDateTime::default() }
    }

    #[test]
    fn region_names_carry_regiment_and_company_once() {
        let regiment = org(1, "REGIMENT", "一二一团");
        assert_eq!(region_name(&regiment, &regiment), "一二一团");
        assert_eq!(region_name(&org(2, "COMPANY", "一连"), &regiment), "一二一团 一连");
        assert_eq!(region_name(&org(3, "COMPANY", "一二一团一连"), &regiment), "一二一团一连");
    }
}
