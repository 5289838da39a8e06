//! Trace units (追溯单元): grouping growers' plots, the editing rules of rules §4,
//! and the regiment's review.

pub mod graphql;
pub mod service;

use cotton_domain::orgs::Role;
use cotton_domain::units::UnitKind;

use crate::auth::Principal;

pub use cotton_store::units::{AccountsById, LivePlotsOfUnit, ReviewRow, ReviewsOfUnit, UnitRow, UnitsById};

/// A company manages the COMPANY units its accounts created (not the units of
/// initiators registered under it); an initiator those they created.
pub fn can_manage(me: &Principal, unit: &UnitRow) -> bool {
    match me.role {
        Role::Company => me.org_id == Some(unit.creator_org_id) && unit.kind() == UnitKind::Company,
        Role::Initiator => me.account_id == unit.creator_account_id,
        _ => false,
    }
}

/// Only the regiment of the unit's region reviews it.
pub fn can_review(me: &Principal, unit: &UnitRow) -> bool {
    me.role == Role::Regiment && me.regiment_id == Some(unit.regiment_id)
}

// The former hand-written DataLoaders, now the store's batched lookups behind
// the one generic loader: `Loader<UnitLoader>` is `Batch<UnitsById>`, so other
// areas' `ctx.data_unchecked::<Loader<…>>()` keep working.
pub type UnitLoader = crate::graphql::StoreLoader<UnitsById>;
pub type AccountLoader = crate::graphql::StoreLoader<AccountsById>;
