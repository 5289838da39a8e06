//! Roster import from the company's Excel sheet: one row per plot. Idempotent —
//! a grower is keyed by ID number, a plot by (company, season, plot code).

use chrono::Utc;

use super::PlotEdit;
use crate::accounts::import::{ImportReport, ImportRowStatus};
use crate::auth::Principal;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::files::SheetRow;
use crate::orgs::OrgRow;
use crate::state::AppState;
use crate::tx::Tx;
use cotton_store::rosters::{self as store, NewGrowerRow, NewPlotRow};

/// Row 1 of the roster sheet and its row parser live in `cotton-import` (shared
/// with the fuzz targets).
pub use cotton_import::roster::{ROSTER_HEADER, RosterLine};
use cotton_import::roster::parse_line;

/// `importRoster`: a company's roster for a season from xlsx, by the accounts
/// that may edit it. `file` reads the upload after the permission check.
pub async fn import_roster(state: &AppState, me: &Principal, company_id: crate::ids::OrgId, season: i32, file: impl FnOnce() -> AppResult<Vec<u8>>) -> AppResult<ImportReport> {
    let company_id = crate::ids::TypedId::get(company_id);
    let season = cotton_domain::season::validate_season(season)?;
    let company = {
        let mut conn = state.db.read().await?;
        super::require_company(&mut conn, company_id).await?
    };
    if !super::can_edit_roster(me, &company) {
        return Err(AppError::Forbidden("无权导入该连队名册".into()));
    }
    let rows = crate::files::read_xlsx(file()?, &ROSTER_HEADER)?;
    import(state, &company, season, &rows).await
}

pub async fn import(state: &AppState, company: &OrgRow, season: i32, rows: &[SheetRow]) -> AppResult<ImportReport> {
    let mut conn = state.db.write().await?;
    let mut report = ImportReport::default();
    for row in rows {
        // One row is one transaction: a row that fails changes nothing.
        let outcome = match parse_line(row) {
            Ok(line) => {
                let mut tx = Tx::begin(state, &mut conn).await?;
                let r = import_line(tx.conn(), company, season, &line).await;
                tx.finish(r).await
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
                store::set_grower_name_phone(conn, g.id, &line.name, line.phone.as_deref(), now).await?;
            }
            g.id
        }
        None => {
            let new = NewGrowerRow {
                company_id: company.id,
                id_number: &line.id_number,
                name: &line.name,
                phone: line.phone.as_deref(),
                created_at: now,
                updated_at: now,
            };
            store::insert_grower_id(conn, &new).await?
        }
    };
    let plot = super::plot_by_code(conn, company.id, season, &line.plot_code).await?;
    match plot {
        None => {
            let new = NewPlotRow {
                grower_id,
                company_id: company.id,
                season,
                code: &line.plot_code,
                area_mu: Dec(line.area_mu),
                location: line.location.as_deref(),
                variety: line.variety.as_deref(),
                created_at: now,
                updated_at: now,
            };
            store::insert_plot_only(conn, &new).await?;
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
            store::set_plot_fields(conn, p.id, Dec(line.area_mu), line.location.as_deref(), line.variety.as_deref(), now)
                .await?;
            Ok((ImportRowStatus::Updated, None))
        }
    }
}
