//! `units`: row types and queries.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::exists;

use crate::accounts::AccountRow;
use crate::batch::BatchLookup;
use crate::page::{Fetched, Window};
use crate::prelude::*;
use crate::rosters::PlotRow;
use crate::schema::*;
use crate::{DbConn, StoreResult};
use cotton_domain::units::{UnitKind, UnitStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trace_units)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub season: i32,
    pub status: String,
    pub region_id: i64,
    pub regiment_id: i64,
    pub creator_account_id: i64,
    pub creator_org_id: i64,
    pub legal_name: Option<String>,
    pub legal_id_number: Option<String>,
    pub legal_credit_code: Option<String>,
    pub legal_phone: Option<String>,
    pub processing: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped with every change of the unit's bale aggregate (bales, inspections,
    /// season rules): the key of the quality aggregate cache (`quality::aggregate`).
    pub quality_rev: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unit_reviews)]
pub struct ReviewRow {
    pub id: i64,
    pub unit_id: i64,
    pub action: String,
    pub reason: Option<String>,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

impl UnitRow {
    pub fn kind(&self) -> UnitKind {
        UnitKind::parse(&self.kind).expect("database CHECK keeps unit kinds valid")
    }
    pub fn status(&self) -> UnitStatus {
        UnitStatus::parse(&self.status).expect("database CHECK keeps unit statuses valid")
    }
}

#[derive(Insertable)]
#[diesel(table_name = unit_reviews)]
pub struct NewReview {
    pub unit_id: i64,
    pub action: String,
    pub reason: Option<String>,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

/// A unit to insert (its code is a placeholder until the id is known).
#[derive(Insertable)]
#[diesel(table_name = trace_units, treat_none_as_default_value = false)]
pub struct NewUnitRow<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub season: i32,
    pub status: &'a str,
    pub region_id: i64,
    pub regiment_id: i64,
    pub creator_account_id: i64,
    pub creator_org_id: i64,
    pub legal_name: Option<&'a str>,
    pub legal_id_number: Option<&'a str>,
    pub legal_credit_code: Option<&'a str>,
    pub legal_phone: Option<&'a str>,
    pub processing: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A cooperative's legal person as stored.
pub struct LegalFields<'a> {
    pub name: &'a str,
    pub id_number: &'a str,
    pub credit_code: &'a str,
    pub phone: &'a str,
}

/// Who sees which units in a list.
#[derive(Debug, Clone)]
pub enum UnitScope {
    All,
    Regiment(i64),
    /// The COMPANY units created by accounts of this org.
    CompanyOf(i64),
    CreatedBy(i64),
    /// Units holding a live plot of a grower with this mobile.
    GrowerPhone(String),
}

/// The filters of a unit list.
#[derive(Debug, Clone)]
pub struct UnitFilter<'a> {
    pub scope: UnitScope,
    pub season: Option<i32>,
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// The unit's region or its regiment.
    pub region: Option<i64>,
}

pub async fn find(conn: &mut DbConn, id: i64) -> StoreResult<Option<UnitRow>> {
    Ok(db_run!(conn: {
        trace_units::table.find(id).select(UnitRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn live_plot_ids(conn: &mut DbConn, unit_id: i64) -> StoreResult<Vec<i64>> {
    Ok(db_run!(conn: {
        unit_plots::table
            .filter(unit_plots::unit_id.eq(unit_id))
            .filter(unit_plots::released_at.is_null())
            .select(unit_plots::plot_id)
            .load(conn)
            .await?
    }))
}

/// Inserts a unit and returns its id.
pub async fn insert(conn: &mut DbConn, new: &NewUnitRow<'_>) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        diesel::insert_into(trace_units::table).values(new).returning(trace_units::id).get_result(conn).await?
    }))
}

pub async fn set_code(conn: &mut DbConn, id: i64, code: &str) -> StoreResult<UnitRow> {
    Ok(db_run!(conn: {
        diesel::update(trace_units::table.find(id))
            .set(trace_units::code.eq(code))
            .returning(UnitRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Adds each plot to the unit (one statement per plot).
pub async fn add_plots(conn: &mut DbConn, unit_id: i64, plot_ids: &[i64], now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        for p in plot_ids {
            diesel::insert_into(unit_plots::table)
                .values((unit_plots::unit_id.eq(unit_id), unit_plots::plot_id.eq(*p), unit_plots::added_at.eq(now)))
                .execute(conn)
                .await?;
        }
    });
    Ok(())
}

pub async fn insert_review(conn: &mut DbConn, review: &NewReview) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(unit_reviews::table).values(review).execute(conn).await?;
    });
    Ok(())
}

/// Sets the status (and the name, when given) of a unit whose status is still
/// `from` and which is not processing; `None` when it no longer is (a
/// concurrent change won).
pub async fn set_status_if(
    conn: &mut DbConn,
    id: i64,
    from: &str,
    to: &str,
    name: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<Option<UnitRow>> {
    Ok(db_run!(conn: {
        let target = trace_units::table
            .find(id)
            .filter(trace_units::status.eq(from))
            .filter(trace_units::processing.eq(false));
        diesel::update(target)
            .set((trace_units::status.eq(to), trace_units::updated_at.eq(now), name.map(|n| trace_units::name.eq(n))))
            .returning(UnitRow::as_returning())
            .get_result(conn)
            .await
            .optional()?
    }))
}

pub async fn set_legal_person(conn: &mut DbConn, id: i64, lp: &LegalFields<'_>) -> StoreResult<UnitRow> {
    Ok(db_run!(conn: {
        diesel::update(trace_units::table.find(id))
            .set((
                trace_units::legal_name.eq(lp.name),
                trace_units::legal_id_number.eq(lp.id_number),
                trace_units::legal_credit_code.eq(lp.credit_code),
                trace_units::legal_phone.eq(lp.phone),
            ))
            .returning(UnitRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Releases all live plots of the unit (dissolving it).
pub async fn release_all_plots(conn: &mut DbConn, unit_id: i64, now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(unit_plots::table.filter(unit_plots::unit_id.eq(unit_id)).filter(unit_plots::released_at.is_null()))
            .set(unit_plots::released_at.eq(now))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Releases these live plots of the unit.
pub async fn release_plots(conn: &mut DbConn, unit_id: i64, plot_ids: &[i64], now: NaiveDateTime) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(
            unit_plots::table
                .filter(unit_plots::unit_id.eq(unit_id))
                .filter(unit_plots::plot_id.eq_any(plot_ids))
                .filter(unit_plots::released_at.is_null()),
        )
        .set(unit_plots::released_at.eq(now))
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Does the unit hold a live plot of a grower with this mobile?
pub async fn holds_plot_of_phone(conn: &mut DbConn, unit_id: i64, phone: &str) -> StoreResult<bool> {
    let n: i64 = db_run!(conn: {
        unit_plots::table
            .inner_join(plots::table.inner_join(growers::table))
            .filter(unit_plots::unit_id.eq(unit_id))
            .filter(unit_plots::released_at.is_null())
            .filter(growers::phone.eq(phone))
            .count()
            .get_result(conn)
            .await?
    });
    Ok(n > 0)
}

/// One page of the units `filter` selects, in id order, with the filtered count.
pub async fn page(conn: &mut DbConn, filter: &UnitFilter<'_>, window: Window) -> StoreResult<(i64, Fetched<UnitRow>)> {
    let UnitFilter { scope, season, status, kind, region } = filter;
    macro_rules! filtered {
        () => {{
            let mut q = trace_units::table.into_boxed();
            q = match scope {
                UnitScope::All => q,
                UnitScope::Regiment(r) => q.filter(trace_units::regiment_id.eq(*r)),
                UnitScope::CompanyOf(org) => q
                    .filter(trace_units::creator_org_id.eq(*org))
                    .filter(trace_units::kind.eq(UnitKind::Company.as_str())),
                UnitScope::CreatedBy(account) => q.filter(trace_units::creator_account_id.eq(*account)),
                UnitScope::GrowerPhone(phone) => q.filter(exists(
                    unit_plots::table
                        .inner_join(plots::table.inner_join(growers::table))
                        .filter(unit_plots::unit_id.eq(trace_units::id))
                        .filter(unit_plots::released_at.is_null())
                        .filter(growers::phone.eq(phone.clone())),
                )),
            };
            if let Some(s) = season {
                q = q.filter(trace_units::season.eq(*s));
            }
            if let Some(s) = status {
                q = q.filter(trace_units::status.eq(*s));
            }
            if let Some(k) = kind {
                q = q.filter(trace_units::kind.eq(*k));
            }
            if let Some(r) = region {
                q = q.filter(trace_units::region_id.eq(*r).or(trace_units::regiment_id.eq(*r)));
            }
            q
        }};
    }
    Ok(db_run!(conn: {
        let total = filtered!().count().get_result(conn).await?;
        (total, crate::page_query!(conn, filtered, trace_units::id, asc, window, UnitRow::as_select()))
    }))
}

/// Units by id.
pub struct UnitsById;

impl BatchLookup for UnitsById {
    type Key = i64;
    type Value = UnitRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, UnitRow>> {
        let rows: Vec<UnitRow> = db_run!(conn: {
            trace_units::table.filter(trace_units::id.eq_any(keys)).select(UnitRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// The live plots of each unit, in plot-code order (every key gets a list).
pub struct LivePlotsOfUnit;

impl BatchLookup for LivePlotsOfUnit {
    type Key = i64;
    type Value = Vec<PlotRow>;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, Vec<PlotRow>>> {
        let rows: Vec<(i64, PlotRow)> = db_run!(conn: {
            unit_plots::table
                .inner_join(plots::table)
                .filter(unit_plots::unit_id.eq_any(keys))
                .filter(unit_plots::released_at.is_null())
                .order((unit_plots::unit_id, plots::code))
                .select((unit_plots::unit_id, PlotRow::as_select()))
                .load(conn)
                .await?
        });
        let mut out: HashMap<i64, Vec<PlotRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (unit, plot) in rows {
            out.entry(unit).or_default().push(plot);
        }
        Ok(out)
    }
}

/// The review records of each unit, oldest first (every key gets a list).
pub struct ReviewsOfUnit;

impl BatchLookup for ReviewsOfUnit {
    type Key = i64;
    type Value = Vec<ReviewRow>;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, Vec<ReviewRow>>> {
        let rows: Vec<ReviewRow> = db_run!(conn: {
            unit_reviews::table
                .filter(unit_reviews::unit_id.eq_any(keys))
                .order(unit_reviews::id)
                .select(ReviewRow::as_select())
                .load(conn)
                .await?
        });
        let mut out: HashMap<i64, Vec<ReviewRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(r.unit_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// Accounts by id (a review's author, a print record's operator).
pub struct AccountsById;

impl BatchLookup for AccountsById {
    type Key = i64;
    type Value = AccountRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, AccountRow>> {
        let rows: Vec<AccountRow> = db_run!(conn: {
            accounts::table.filter(accounts::id.eq_any(keys)).select(AccountRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}
