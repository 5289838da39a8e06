//! `rosters`: row types and queries.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::exists;

use crate::batch::BatchLookup;
use crate::page::{Fetched, Window};
use crate::prelude::*;
use crate::schema::*;
use crate::{DbConn, Dec, StoreResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = growers)]
pub struct GrowerRow {
    pub id: i64,
    pub company_id: i64,
    pub id_number: String,
    pub name: String,
    pub phone: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plots)]
pub struct PlotRow {
    pub id: i64,
    pub grower_id: i64,
    pub company_id: i64,
    pub season: i32,
    pub code: String,
    pub area_mu: Dec,
    pub location: Option<String>,
    pub variety: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A grower to insert (a roster edit or an import row).
#[derive(Insertable)]
#[diesel(table_name = growers, treat_none_as_default_value = false)]
pub struct NewGrowerRow<'a> {
    pub company_id: i64,
    pub id_number: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A plot to insert (a roster edit or an import row).
#[derive(Insertable)]
#[diesel(table_name = plots, treat_none_as_default_value = false)]
pub struct NewPlotRow<'a> {
    pub grower_id: i64,
    pub company_id: i64,
    pub season: i32,
    pub code: &'a str,
    pub area_mu: Dec,
    pub location: Option<&'a str>,
    pub variety: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The live trace unit holding a plot.
#[derive(Debug, Clone)]
pub struct PlotHolder {
    pub unit_code: String,
    pub unit_name: String,
    pub status: String,
    pub processing: bool,
}

pub async fn find_grower(conn: &mut DbConn, id: i64) -> StoreResult<Option<GrowerRow>> {
    Ok(db_run!(conn: {
        growers::table.find(id).select(GrowerRow::as_select()).first(conn).await.optional()?
    }))
}

/// The grower with this ID number, on whichever roster.
pub async fn grower_by_id_number(conn: &mut DbConn, id_number: &str) -> StoreResult<Option<GrowerRow>> {
    Ok(db_run!(conn: {
        growers::table
            .filter(growers::id_number.eq(id_number))
            .select(GrowerRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

/// The plot with this code on a company's roster of a season.
pub async fn plot_by_code(conn: &mut DbConn, company_id: i64, season: i32, code: &str) -> StoreResult<Option<PlotRow>> {
    Ok(db_run!(conn: {
        plots::table
            .filter(plots::company_id.eq(company_id))
            .filter(plots::season.eq(season))
            .filter(plots::code.eq(code))
            .select(PlotRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

/// The live unit (one holding the plot unreleased) of a plot, if any.
pub async fn plot_holder(conn: &mut DbConn, plot_id: i64) -> StoreResult<Option<PlotHolder>> {
    let holder: Option<(String, String, String, bool)> = db_run!(conn: {
        unit_plots::table
            .inner_join(trace_units::table)
            .filter(unit_plots::plot_id.eq(plot_id))
            .filter(unit_plots::released_at.is_null())
            .select((trace_units::code, trace_units::name, trace_units::status, trace_units::processing))
            .first(conn)
            .await
            .optional()?
    });
    Ok(holder.map(|(unit_code, unit_name, status, processing)| PlotHolder { unit_code, unit_name, status, processing }))
}

/// (plot id, unit id) of the live memberships of these plots.
pub async fn live_units_of_plots(conn: &mut DbConn, plot_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    Ok(db_run!(conn: {
        unit_plots::table
            .filter(unit_plots::plot_id.eq_any(plot_ids))
            .filter(unit_plots::released_at.is_null())
            .select((unit_plots::plot_id, unit_plots::unit_id))
            .load(conn)
            .await?
    }))
}

pub async fn plots_by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<PlotRow>> {
    Ok(db_run!(conn: {
        plots::table.filter(plots::id.eq_any(ids)).select(PlotRow::as_select()).load(conn).await?
    }))
}

pub async fn growers_by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<GrowerRow>> {
    Ok(db_run!(conn: {
        growers::table.filter(growers::id.eq_any(ids)).select(GrowerRow::as_select()).load(conn).await?
    }))
}

pub async fn growers_by_phone(conn: &mut DbConn, phone: &str) -> StoreResult<Vec<GrowerRow>> {
    Ok(db_run!(conn: {
        growers::table.filter(growers::phone.eq(phone)).select(GrowerRow::as_select()).load(conn).await?
    }))
}

pub async fn plots_by_company_season(conn: &mut DbConn, company_id: i64, season: i32) -> StoreResult<Vec<PlotRow>> {
    Ok(db_run!(conn: {
        plots::table
            .filter(plots::company_id.eq(company_id))
            .filter(plots::season.eq(season))
            .order(plots::code)
            .select(PlotRow::as_select())
            .load(conn)
            .await?
    }))
}

/// The plot, locked against concurrent changes until the transaction ends. On
/// PostgreSQL `FOR UPDATE` also waits for (and conflicts with) the key-share lock
/// a concurrent unit save or ticket takes on the plot through its foreign key.
/// SQLite has one writer: the transaction alone serialises.
pub async fn lock_plot(conn: &mut DbConn, id: i64) -> StoreResult<Option<PlotRow>> {
    use diesel_async::RunQueryDsl;
    Ok(match conn {
        DbConn::Postgres(c) => {
            let c: &mut crate::PgConn = c;
            plots::table.find(id).select(PlotRow::as_select()).for_update().first(c).await.optional()?
        }
        DbConn::Sqlite(c) => {
            let c: &mut crate::SqliteConn = c;
            plots::table.find(id).select(PlotRow::as_select()).first(c).await.optional()?
        }
    })
}

pub async fn insert_grower(conn: &mut DbConn, new: &NewGrowerRow<'_>) -> StoreResult<GrowerRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(growers::table).values(new).returning(GrowerRow::as_returning()).get_result(conn).await?
    }))
}

/// As [`insert_grower`], returning only the new id (the import).
pub async fn insert_grower_id(conn: &mut DbConn, new: &NewGrowerRow<'_>) -> StoreResult<i64> {
    Ok(db_run!(conn: {
        diesel::insert_into(growers::table).values(new).returning(growers::id).get_result::<i64>(conn).await?
    }))
}

/// Sets the given fields of a grower (`None`: unchanged) and its `updated_at`.
pub async fn update_grower(
    conn: &mut DbConn,
    id: i64,
    name: Option<String>,
    phone: Option<Option<String>>,
    now: NaiveDateTime,
) -> StoreResult<GrowerRow> {
    Ok(db_run!(conn: {
        diesel::update(growers::table.find(id))
            .set((name.map(|n| growers::name.eq(n)), phone.map(|p| growers::phone.eq(p)), growers::updated_at.eq(now)))
            .returning(GrowerRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Sets a grower's name and phone (the import), without reading it back.
pub async fn set_grower_name_phone(
    conn: &mut DbConn,
    id: i64,
    name: &str,
    phone: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(growers::table.find(id))
            .set((growers::name.eq(name), growers::phone.eq(phone), growers::updated_at.eq(now)))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn insert_plot(conn: &mut DbConn, new: &NewPlotRow<'_>) -> StoreResult<PlotRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(plots::table).values(new).returning(PlotRow::as_returning()).get_result(conn).await?
    }))
}

/// As [`insert_plot`], without reading the row back (the import).
pub async fn insert_plot_only(conn: &mut DbConn, new: &NewPlotRow<'_>) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(plots::table).values(new).execute(conn).await?;
    });
    Ok(())
}

/// Sets the given fields of a plot (`None`: unchanged) and its `updated_at`.
pub async fn update_plot(
    conn: &mut DbConn,
    id: i64,
    area_mu: Option<Dec>,
    location: Option<Option<String>>,
    variety: Option<Option<String>>,
    now: NaiveDateTime,
) -> StoreResult<PlotRow> {
    Ok(db_run!(conn: {
        diesel::update(plots::table.find(id))
            .set((
                area_mu.map(|a| plots::area_mu.eq(a)),
                location.map(|l| plots::location.eq(l)),
                variety.map(|v| plots::variety.eq(v)),
                plots::updated_at.eq(now),
            ))
            .returning(PlotRow::as_returning())
            .get_result(conn)
            .await?
    }))
}

/// Sets a plot's area, location and variety (the import), without reading it back.
pub async fn set_plot_fields(
    conn: &mut DbConn,
    id: i64,
    area_mu: Dec,
    location: Option<&str>,
    variety: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(plots::table.find(id))
            .set((
                plots::area_mu.eq(area_mu),
                plots::location.eq(location),
                plots::variety.eq(variety),
                plots::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// How many unit memberships (live or released) and weigh tickets name a plot.
pub async fn plot_history(conn: &mut DbConn, id: i64) -> StoreResult<(i64, i64)> {
    Ok(db_run!(conn: {
        let m = unit_plots::table.filter(unit_plots::plot_id.eq(id)).count().get_result(conn).await?;
        let t = ticket_plots::table.filter(ticket_plots::plot_id.eq(id)).count().get_result(conn).await?;
        (m, t)
    }))
}

pub async fn delete_plot(conn: &mut DbConn, id: i64) -> StoreResult<usize> {
    Ok(db_run!(conn: {
        diesel::delete(plots::table.find(id)).execute(conn).await?
    }))
}

/// A company's roster of a season as one page: growers with plots that season,
/// matching `search` (name, the tail of the ID number, or plot code) when given;
/// with the total count of the filtered list.
pub async fn growers_page(
    conn: &mut DbConn,
    company_id: i64,
    season: i32,
    search: Option<&str>,
    window: Window,
) -> StoreResult<(i64, Fetched<GrowerRow>)> {
    // One filter, built twice (count and page), so they always agree.
    macro_rules! filtered {
        () => {{
            let mut q = growers::table
                .filter(growers::company_id.eq(company_id))
                .filter(exists(
                    plots::table.filter(plots::grower_id.eq(growers::id)).filter(plots::season.eq(season)),
                ))
                .into_boxed();
            if let Some(s) = &search {
                let like = format!("%{}%", s.replace('%', "").replace('_', ""));
                let tail = format!("%{}", s.replace('%', "").replace('_', ""));
                q = q.filter(
                    growers::name
                        .like(like.clone())
                        .or(growers::id_number.like(tail))
                        .or(exists(
                            plots::table
                                .filter(plots::grower_id.eq(growers::id))
                                .filter(plots::season.eq(season))
                                .filter(plots::code.like(like)),
                        )),
                );
            }
            q
        }};
    }
    Ok(db_run!(conn: {
        let total = filtered!().count().get_result(conn).await?;
        (total, crate::page_query!(conn, filtered, growers::id, asc, window, GrowerRow::as_select()))
    }))
}

/// Growers by id (a plot's grower, a unit member).
pub struct GrowersById;

impl BatchLookup for GrowersById {
    type Key = i64;
    type Value = GrowerRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, GrowerRow>> {
        Ok(growers_by_ids(conn, keys).await?.into_iter().map(|g| (g.id, g)).collect())
    }
}

/// A grower's plots of one season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrowerSeason(pub i64, pub i32);

/// A grower's plots of a season, in code order (every key gets a list).
pub struct PlotsOfGrowerSeason;

impl BatchLookup for PlotsOfGrowerSeason {
    type Key = GrowerSeason;
    type Value = Vec<PlotRow>;

    async fn lookup(conn: &mut DbConn, keys: &[GrowerSeason]) -> StoreResult<HashMap<GrowerSeason, Vec<PlotRow>>> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let seasons: Vec<i32> = keys.iter().map(|k| k.1).collect();
        let rows: Vec<PlotRow> = db_run!(conn: {
            plots::table
                .filter(plots::grower_id.eq_any(&ids))
                .filter(plots::season.eq_any(&seasons))
                .order(plots::code)
                .select(PlotRow::as_select())
                .load(conn)
                .await?
        });
        let mut out: HashMap<GrowerSeason, Vec<PlotRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(v) = out.get_mut(&GrowerSeason(row.grower_id, row.season)) {
                v.push(row);
            }
        }
        Ok(out)
    }
}

/// The live unit holding each plot (a plot in none is absent).
pub struct LiveUnitOfPlot;

impl BatchLookup for LiveUnitOfPlot {
    type Key = i64;
    type Value = i64;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, i64>> {
        Ok(live_units_of_plots(conn, keys).await?.into_iter().collect())
    }
}

/// Plots by id.
pub struct PlotsById;

impl BatchLookup for PlotsById {
    type Key = i64;
    type Value = PlotRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, PlotRow>> {
        Ok(plots_by_ids(conn, keys).await?.into_iter().map(|p| (p.id, p)).collect())
    }
}
