//! Trace units (追溯单元): grouping growers' plots, the editing rules of rules §4,
//! and the regiment's review.

pub mod graphql;
pub mod service;

use std::collections::HashMap;

use cotton_domain::orgs::Role;
use cotton_domain::units::UnitKind;

use crate::accounts::AccountRow;
use crate::auth::Principal;
use crate::db::DbPool;
use crate::db::prelude::*;
use crate::db::schema::{accounts, plots, trace_units, unit_plots, unit_reviews};
use crate::error::AppError;
use crate::rosters::PlotRow;

pub use cotton_store::units::{UnitRow, ReviewRow};

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

pub struct UnitLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for UnitLoader {
    type Value = UnitRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, UnitRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<UnitRow> = db_run!(conn: {
            trace_units::table
                .filter(trace_units::id.eq_any(&keys))
                .select(UnitRow::as_select())
                .load(conn)
                .await
                .map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// The live plots of each unit, in plot-code order.
pub struct UnitPlotsLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for UnitPlotsLoader {
    type Value = Vec<PlotRow>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<PlotRow>>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<(i64, PlotRow)> = db_run!(conn: {
            unit_plots::table
                .inner_join(plots::table)
                .filter(unit_plots::unit_id.eq_any(&keys))
                .filter(unit_plots::released_at.is_null())
                .order((unit_plots::unit_id, plots::code))
                .select((unit_plots::unit_id, PlotRow::as_select()))
                .load(conn)
                .await
                .map_err(AppError::from)?
        });
        let mut out: HashMap<i64, Vec<PlotRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (unit, plot) in rows {
            out.entry(unit).or_default().push(plot);
        }
        Ok(out)
    }
}

pub struct ReviewsLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for ReviewsLoader {
    type Value = Vec<ReviewRow>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<ReviewRow>>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<ReviewRow> = db_run!(conn: {
            unit_reviews::table
                .filter(unit_reviews::unit_id.eq_any(&keys))
                .order(unit_reviews::id)
                .select(ReviewRow::as_select())
                .load(conn)
                .await
                .map_err(AppError::from)?
        });
        let mut out: HashMap<i64, Vec<ReviewRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(r.unit_id).or_default().push(r);
        }
        Ok(out)
    }
}

pub struct AccountLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for AccountLoader {
    type Value = AccountRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, AccountRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<AccountRow> = db_run!(conn: {
            accounts::table
                .filter(accounts::id.eq_any(&keys))
                .select(AccountRow::as_select())
                .load(conn)
                .await
                .map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}
