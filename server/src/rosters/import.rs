//! Roster import from the company's Excel sheet: one row per plot. Idempotent —
//! a grower is keyed by ID number, a plot by (company, season, plot code).

use chrono::Utc;

use super::PlotEdit;
use crate::accounts::import::{ImportReport, ImportRowStatus};
use crate::db::prelude::*;
use crate::db::schema::{growers, plots};
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
/// The refusals are those of the one-record edits (`rosters::edit`): a grower of
/// another company, a plot code of another grower, the area of a plot in a live unit.
pub async fn import_line(
    conn: &mut DbConn,
    company: &OrgRow,
    season: i32,
    line: &RosterLine,
) -> AppResult<(ImportRowStatus, Option<String>)> {
    let now = Utc::now().naive_utc();
    let existing = super::grower_by_id_number(conn, &line.id_number).await?;
    let mut changed = false;
    let grower_id = match existing {
        Some(g) if g.company_id != company.id => return Err(super::grower_exists(&g, company.id, &line.name)),
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
    let plot = super::plot_by_code(conn, company.id, season, &line.plot_code).await?;
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
        Some(p) if p.grower_id != grower_id => Err(super::plot_code_taken(&line.plot_code, season, false)),
        Some(p) => {
            let same = p.area_mu.0 == line.area_mu && p.location == line.location && p.variety == line.variety;
            if same {
                return Ok((if changed { ImportRowStatus::Updated } else { ImportRowStatus::Skipped }, None));
            }
            if p.area_mu.0 != line.area_mu {
                super::check_plot_editable(conn, &p, PlotEdit::Area).await?;
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
