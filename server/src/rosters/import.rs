//! Roster import from the company's Excel sheet: one row per plot. Idempotent —
//! a grower is keyed by ID number, a plot by (company, season, plot code).

use chrono::Utc;

use super::{GrowerRow, PlotRow};
use crate::accounts::import::{ImportReport, ImportRowStatus};
use crate::db::prelude::*;
use crate::db::schema::{growers, plots, unit_plots};
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::files::SheetRow;
use crate::orgs::OrgRow;
use crate::state::AppState;

/// Row 1 of the roster sheet and its row parser live in `cotton-import` (shared
/// with the fuzz targets).
pub use cotton_import::roster::{ROSTER_HEADER, RosterLine};
use cotton_import::roster::parse_line;

pub async fn import(state: &AppState, company: &OrgRow, season: i32, rows: &[SheetRow]) -> AppResult<ImportReport> {
    let mut conn = state.db.write().await?;
    let mut report = ImportReport::default();
    for row in rows {
        // One row is one transaction: a row that fails changes nothing.
        let outcome = match parse_line(row) {
            Ok(line) => {
                conn.begin().await?;
                let r = import_line(&mut conn, company, season, &line).await;
                if r.is_ok() { conn.commit().await? } else { conn.rollback().await? }
                r
            }
            Err(e) => Err(e.into()),
        };
        match outcome {
            Ok((status, msg)) => report.push(row.row, status, msg),
            Err(e @ (AppError::Database(_) | AppError::Internal(_) | AppError::Unavailable(_))) => return Err(e),
            Err(e) => report.push(row.row, ImportRowStatus::Failed, Some(e.message())),
        }
    }
    Ok(report)
}

/// Upserts one roster line: the grower by ID number, the plot by (company, season, code).
pub async fn import_line(
    conn: &mut DbConn,
    company: &OrgRow,
    season: i32,
    line: &RosterLine,
) -> AppResult<(ImportRowStatus, Option<String>)> {
    let now = Utc::now().naive_utc();
    let existing: Option<GrowerRow> = db_run!(conn: {
        growers::table
            .filter(growers::id_number.eq(&line.id_number))
            .select(GrowerRow::as_select())
            .first(conn)
            .await
            .optional()?
    });
    let mut changed = false;
    let grower_id = match existing {
        Some(g) if g.company_id != company.id => {
            return Err(AppError::Validation(format!("种植者 {} 已在其他连队名册中", line.name)));
        }
        Some(g) => {
            if g.name != line.name || g.phone != line.phone {
                changed = true;
                db_run!(conn: {
                    diesel::update(growers::table.find(g.id))
                        .set((growers::name.eq(&line.name), growers::phone.eq(&line.phone), growers::updated_at.eq(now)))
                        .execute(conn)
                        .await?;
                });
            }
            g.id
        }
        None => {
            let values = (
                growers::company_id.eq(company.id),
                growers::id_number.eq(&line.id_number),
                growers::name.eq(&line.name),
                growers::phone.eq(&line.phone),
                growers::created_at.eq(now),
                growers::updated_at.eq(now),
            );
            db_run!(conn: {
                diesel::insert_into(growers::table).values(values).returning(growers::id).get_result::<i64>(conn).await?
            })
        }
    };
    let plot: Option<PlotRow> = db_run!(conn: {
        plots::table
            .filter(plots::company_id.eq(company.id))
            .filter(plots::season.eq(season))
            .filter(plots::code.eq(&line.plot_code))
            .select(PlotRow::as_select())
            .first(conn)
            .await
            .optional()?
    });
    match plot {
        None => {
            let values = (
                plots::grower_id.eq(grower_id),
                plots::company_id.eq(company.id),
                plots::season.eq(season),
                plots::code.eq(&line.plot_code),
                plots::area_mu.eq(Dec(line.area_mu)),
                plots::location.eq(&line.location),
                plots::variety.eq(&line.variety),
                plots::created_at.eq(now),
                plots::updated_at.eq(now),
            );
            db_run!(conn: {
                diesel::insert_into(plots::table).values(values).execute(conn).await?;
            });
            Ok((ImportRowStatus::Created, None))
        }
        Some(p) if p.grower_id != grower_id => {
            Err(AppError::Validation(format!("地块 {} 已登记在其他种植者名下", line.plot_code)))
        }
        Some(p) => {
            let same = p.area_mu.0 == line.area_mu && p.location == line.location && p.variety == line.variety;
            if same {
                return Ok((if changed { ImportRowStatus::Updated } else { ImportRowStatus::Skipped }, None));
            }
            if p.area_mu.0 != line.area_mu {
                let in_unit: i64 = db_run!(conn: {
                    unit_plots::table
                        .filter(unit_plots::plot_id.eq(p.id))
                        .filter(unit_plots::released_at.is_null())
                        .count()
                        .get_result(conn)
                        .await?
                });
                if in_unit > 0 {
                    return Err(AppError::Validation(format!(
                        "地块 {} 已加入追溯单元，不能修改面积（请先从单元中移除）",
                        line.plot_code
                    )));
                }
            }
            db_run!(conn: {
                diesel::update(plots::table.find(p.id))
                    .set((
                        plots::area_mu.eq(Dec(line.area_mu)),
                        plots::location.eq(&line.location),
                        plots::variety.eq(&line.variety),
                        plots::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
            });
            Ok((ImportRowStatus::Updated, None))
        }
    }
}
