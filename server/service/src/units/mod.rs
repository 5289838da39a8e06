//! Trace units (追溯单元): grouping growers' plots, the editing rules of rules §4,
//! and the regiment's review.

pub mod service;

use cotton_domain::orgs::Role;
use cotton_domain::units::{UnitKind, UnitStatus};
use cotton_store::page::{Fetched, Window};
use cotton_store::units::{self as store, UnitFilter, UnitScope};

use crate::auth::{Principal, Scope};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::ids::parse_id;
use crate::state::AppState;

pub use crate::error::units::UnitError;
pub use cotton_store::units::{AccountsById, LivePlotsOfUnit, ReviewRow, ReviewsOfUnit, UnitRow, UnitsById};


/// A company manages the COMPANY units its accounts created (not the units of
/// initiators registered under it); an initiator those they created.
pub fn can_manage(me: &Principal, unit: &UnitRow) -> bool {
    match &me.scope {
        Scope::Company { company_id, .. } => *company_id == unit.creator_org_id && unit.kind() == UnitKind::Company,
        Scope::Initiator { account_id, .. } => *account_id == unit.creator_account_id,
        _ => false,
    }
}

/// Only the regiment of the unit's region reviews it.
pub fn can_review(me: &Principal, unit: &UnitRow) -> bool {
    me.scope.regiment() == Some(unit.regiment_id)
}

/// May `me` see `unit`? The admin all, a regiment its area, a company or initiator
/// the units it manages, a grower the units holding a plot of theirs (by mobile).
pub async fn can_view(conn: &mut DbConn, me: &Principal, unit: &UnitRow) -> AppResult<bool> {
    Ok(match &me.scope {
        Scope::Admin => true,
        Scope::Regiment { regiment_id } => *regiment_id == unit.regiment_id,
        Scope::Company { .. } | Scope::Initiator { .. } => can_manage(me, unit),
        Scope::Grower { phone } => store::holds_plot_of_phone(conn, unit.id, phone).await?,
        Scope::Enterprise { .. } | Scope::Nothing => false,
    })
}

/// `traceUnit`: the unit, if it exists; FORBIDDEN when `me` may not see it.
pub async fn visible_unit(state: &AppState, me: &Principal, id: crate::ids::UnitId) -> AppResult<Option<UnitRow>> {
    let id = crate::ids::TypedId::get(id);
    let mut conn = state.db.read().await?;
    let Some(row) = store::find(&mut conn, id).await? else { return Ok(None) };
    if !can_view(&mut conn, me, &row).await? {
        return Err(AppError::Forbidden("无权查看该追溯单元".into()));
    }
    Ok(Some(row))
}

/// The filters of `traceUnits` besides the caller's own scope.
pub struct UnitListing {
    pub season: Option<i32>,
    pub status: Option<UnitStatus>,
    pub kind: Option<UnitKind>,
}

/// `traceUnits`: the units `me` may see (the admin all, a regiment its area, a
/// company its own, an initiator theirs, a grower those holding their plots) in
/// `window`, with the count of all; an enterprise sees no list.
pub async fn visible_units(state: &AppState, me: &Principal, filter: &UnitListing, region_id: Option<&str>, window: Window) -> AppResult<(i64, Fetched<UnitRow>)> {
    if me.role == Role::Enterprise {
        return Err(AppError::Forbidden("加工企业不能查看追溯单元列表".into()));
    }
    let region = region_id.map(|r| parse_id(r, "归属地区")).transpose()?;
    let scope = match &me.scope {
        Scope::Admin => UnitScope::All,
        Scope::Regiment { regiment_id } => UnitScope::Regiment(*regiment_id),
        Scope::Company { company_id, .. } => UnitScope::CompanyOf(*company_id),
        Scope::Initiator { account_id, .. } => UnitScope::CreatedBy(*account_id),
        Scope::Grower { phone } => UnitScope::GrowerPhone(phone.clone()),
        // No reach (a token without its org or mobile): no unit at all.
        Scope::Enterprise { .. } | Scope::Nothing => {
            return Ok((0, Fetched { rows: Vec::new(), has_previous_page: false, has_next_page: false }));
        }
    };
    let filter = UnitFilter { scope, season: filter.season, status: filter.status.map(|s| s.as_str()), kind: filter.kind.map(|k| k.as_str()), region };
    let mut conn = state.db.read().await?;
    Ok(store::page(&mut conn, &filter, window).await?)
}
