//! Whole-database figures for the season generator and benchmark (`bench`):
//! row counts, the latest season, planner statistics.

use cotton_domain::orgs::{OrgKind, Role};

use crate::prelude::*;
use crate::schema::{accounts, bales, growers, inspections, orgs, plots, tickets, trace_cards, trace_units};
use crate::units::UnitRow;
use crate::{DbConn, StoreResult};

/// How many rows of each kind the database holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowCounts {
    pub divisions: i64,
    pub regiments: i64,
    pub companies: i64,
    pub enterprises: i64,
    pub accounts: i64,
    pub growers: i64,
    pub plots: i64,
    pub units: i64,
    pub tickets: i64,
    pub cards: i64,
    pub bales: i64,
    pub inspections: i64,
}

pub async fn row_counts(conn: &mut DbConn) -> StoreResult<RowCounts> {
    let kind = |k: OrgKind| k.as_str();
    Ok(db_run!(conn: {
        RowCounts {
            divisions: orgs::table.filter(orgs::kind.eq(kind(OrgKind::Division))).count().get_result(conn).await?,
            regiments: orgs::table.filter(orgs::kind.eq(kind(OrgKind::Regiment))).count().get_result(conn).await?,
            companies: orgs::table.filter(orgs::kind.eq(kind(OrgKind::Company))).count().get_result(conn).await?,
            enterprises: orgs::table.filter(orgs::kind.eq(kind(OrgKind::Enterprise))).count().get_result(conn).await?,
            accounts: accounts::table.count().get_result(conn).await?,
            growers: growers::table.count().get_result(conn).await?,
            plots: plots::table.count().get_result(conn).await?,
            units: trace_units::table.count().get_result(conn).await?,
            tickets: tickets::table.count().get_result(conn).await?,
            cards: trace_cards::table.count().get_result(conn).await?,
            bales: bales::table.count().get_result(conn).await?,
            inspections: inspections::table.count().get_result(conn).await?,
        }
    }))
}

/// Orgs, accounts other than platform admins, growers: all zero on a database
/// the generator may fill.
pub async fn occupancy(conn: &mut DbConn) -> StoreResult<(i64, i64, i64)> {
    let admin = Role::PlatformAdmin.as_str();
    Ok(db_run!(conn: {
        (
            orgs::table.count().get_result(conn).await?,
            accounts::table.filter(accounts::role.ne(admin)).count().get_result(conn).await?,
            growers::table.count().get_result(conn).await?,
        )
    }))
}

/// The latest season any unit belongs to.
pub async fn latest_unit_season(conn: &mut DbConn) -> StoreResult<Option<i32>> {
    Ok(db_run!(conn: {
        trace_units::table.select(diesel::dsl::max(trace_units::season)).first(conn).await?
    }))
}

/// Every unit of a season, by id.
pub async fn units_of_season(conn: &mut DbConn, season: i32) -> StoreResult<Vec<UnitRow>> {
    Ok(db_run!(conn: {
        trace_units::table.filter(trace_units::season.eq(season)).order(trace_units::id).select(UnitRow::as_select()).load(conn).await?
    }))
}

/// Refreshes the planner's statistics after a bulk load (`ANALYZE`).
pub async fn analyze(conn: &mut DbConn) -> StoreResult<()> {
    db_run!(conn: { diesel::sql_query("ANALYZE").execute(conn).await?; });
    Ok(())
}
