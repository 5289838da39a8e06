//! Editing a roster one record at a time (rules §3): `addGrower`, `updateGrower`,
//! `addPlot`, `updatePlot`, `removePlot`.
//!
//! The same rules as the roster import: the fields are checked by the domain
//! validators the import's row parser uses, who may edit is who may import
//! ([`super::can_edit_roster`]), and a plot in a live unit keeps its area
//! ([`super::check_plot_editable`]). Each call is one transaction; a refused
//! call changes nothing. The audit triggers on `growers` and `plots` log every
//! change (migration 000006).

use chrono::Utc;
use cotton_domain::identity::{mask_id_number, validate_id_number, validate_mobile};
use cotton_domain::orgs::validate_name;
use cotton_domain::season::validate_season;
use cotton_domain::units::{validate_plot_area_mu, validate_plot_code, validate_plot_text};
use rust_decimal::Decimal;

use super::{GrowerRow, PlotEdit, PlotRow};
use crate::auth::Principal;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::orgs::OrgRow;
use crate::state::AppState;
use crate::tx::Tx;
use cotton_store::rosters::{self as store, NewGrowerRow, NewPlotRow};

/// A grower to add, as the client sent it.
pub struct NewGrower {
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// A plot to add, as the client sent it.
pub struct NewPlot {
    pub code: String,
    pub area_mu: Decimal,
    pub location: Option<String>,
    pub variety: Option<String>,
}

/// An optional mobile as the import reads its cell: empty means none.
fn optional_mobile(phone: Option<&str>) -> AppResult<Option<String>> {
    Ok(phone.map(str::trim).filter(|p| !p.is_empty()).map(validate_mobile).transpose()?)
}

/// A nullable text argument of an update: left out or `null` = unchanged
/// (`None`); a value is checked by `check`, which reads empty as "none" (as the
/// import reads an empty cell), so `""` clears it (`Some(None)`). `null` does
/// not clear: a client that declares a variable and does not send it passes
/// `null`, and must not wipe the field.
fn change_of<T>(v: Option<String>, check: impl FnOnce(&str) -> AppResult<Option<T>>) -> AppResult<Option<Option<T>>> {
    v.map(|s| check(&s)).transpose()
}

fn forbidden(company: &OrgRow) -> AppError {
    AppError::Forbidden(format!("无权修改{}的名册", company.name))
}

/// The company of a roster record, checked against the caller.
async fn company_for(conn: &mut DbConn, me: &Principal, company_id: i64) -> AppResult<OrgRow> {
    let company = super::require_company(conn, company_id).await?;
    if !super::can_edit_roster(me, &company) {
        return Err(forbidden(&company));
    }
    Ok(company)
}

async fn require_grower(conn: &mut DbConn, id: i64) -> AppResult<GrowerRow> {
    let row = store::find_grower(conn, id).await?;
    row.ok_or_else(|| AppError::NotFound(format!("种植者不存在（编号 {id}）")))
}

/// The plot, locked against concurrent changes until the transaction ends. On
/// PostgreSQL `FOR UPDATE` also waits for (and conflicts with) the key-share lock
/// a concurrent unit save or ticket takes on the plot through its foreign key, so
/// the live-unit check below sees every committed membership. SQLite has one
/// writer: the transaction alone serialises.
async fn lock_plot(conn: &mut DbConn, id: i64) -> AppResult<PlotRow> {
    let row = store::lock_plot(conn, id).await?;
    row.ok_or_else(|| AppError::NotFound(format!("地块不存在（编号 {id}）")))
}

/// Runs `$body` (an expression using `$conn`) as one unit of work on the writer
/// connection: committed when it is `Ok`, rolled back otherwise.
macro_rules! in_tx {
    ($state:expr, |$conn:ident| $body:expr) => {{
        let mut conn = $state.db.write().await?;
        let mut tx = Tx::begin($state, &mut conn).await?;
        let outcome = {
            let $conn = tx.conn();
            $body
        };
        tx.finish(outcome).await
    }};
}

pub async fn add_grower(state: &AppState, me: &Principal, company_id: crate::ids::OrgId, input: NewGrower) -> AppResult<GrowerRow> {
    let company_id = crate::ids::TypedId::get(company_id);
    super::may_edit_rosters(me)?;
    let name = validate_name(&input.name, "姓名")?;
    let id_number = validate_id_number(&input.id_number)?;
    let phone = optional_mobile(input.phone.as_deref())?;
    in_tx!(state, |conn| async {
        let company = company_for(conn, me, company_id).await?;
        if let Some(g) = super::grower_by_id_number(conn, &id_number).await? {
            return Err(super::grower_exists(&g, company.id, &name));
        }
        let now = Utc::now().naive_utc();
        let new = NewGrowerRow {
            company_id: company.id,
            id_number: &id_number,
            name: &name,
            phone: phone.as_deref(),
            created_at: now,
            updated_at: now,
        };
        let inserted = store::insert_grower(conn, &new).await;
        match inserted {
            // A concurrent add of the same person won (on PostgreSQL the
            // transaction is aborted now: no further query).
            Err(e) if e.is_unique_violation() => {
                Err(AppError::Conflict(format!("身份证号 {} 已在名册中", mask_id_number(&id_number))))
            }
            other => Ok(other?),
        }
    }
    .await)
}

pub async fn update_grower(
    state: &AppState,
    me: &Principal,
    id: crate::ids::GrowerId,
    name: Option<String>,
    phone: Option<String>,
) -> AppResult<GrowerRow> {
    let id = crate::ids::TypedId::get(id);
    super::may_edit_rosters(me)?;
    let name = name.map(|n| validate_name(&n, "姓名")).transpose()?;
    let phone = change_of(phone, |p| optional_mobile(Some(p)))?;
    in_tx!(state, |conn| async {
        let g = require_grower(conn, id).await?;
        company_for(conn, me, g.company_id).await?;
        let name = name.filter(|n| *n != g.name);
        let phone = phone.filter(|p| *p != g.phone);
        if name.is_none() && phone.is_none() {
            return Ok(g);
        }
        let now = Utc::now().naive_utc();
        Ok(store::update_grower(conn, id, name, phone, now).await?)
    }
    .await)
}

pub async fn add_plot(state: &AppState, me: &Principal, grower_id: crate::ids::GrowerId, season: i32, input: NewPlot) -> AppResult<PlotRow> {
    let grower_id = crate::ids::TypedId::get(grower_id);
    super::may_edit_rosters(me)?;
    let season = validate_season(season)?;
    let code = validate_plot_code(&input.code)?;
    let area = validate_plot_area_mu(input.area_mu)?;
    let location = validate_plot_text(input.location.as_deref(), "位置")?;
    let variety = validate_plot_text(input.variety.as_deref(), "品种")?;
    in_tx!(state, |conn| async {
        let g = require_grower(conn, grower_id).await?;
        let company = company_for(conn, me, g.company_id).await?;
        if let Some(p) = super::plot_by_code(conn, company.id, season, &code).await? {
            return Err(super::plot_code_taken(&code, season, p.grower_id == g.id));
        }
        let now = Utc::now().naive_utc();
        let new = NewPlotRow {
            grower_id: g.id,
            company_id: company.id,
            season,
            code: &code,
            area_mu: Dec(area),
            location: location.as_deref(),
            variety: variety.as_deref(),
            created_at: now,
            updated_at: now,
        };
        let inserted = store::insert_plot(conn, &new).await;
        match inserted {
            // A concurrent add (or import) of the same code won.
            Err(e) if e.is_unique_violation() => Err(super::plot_code_taken(&code, season, false)),
            other => Ok(other?),
        }
    }
    .await)
}

pub async fn update_plot(
    state: &AppState,
    me: &Principal,
    id: crate::ids::PlotId,
    area_mu: Option<Decimal>,
    location: Option<String>,
    variety: Option<String>,
) -> AppResult<PlotRow> {
    let id = crate::ids::TypedId::get(id);
    super::may_edit_rosters(me)?;
    let area = area_mu.map(validate_plot_area_mu).transpose()?;
    let location = change_of(location, |t| Ok(validate_plot_text(Some(t), "位置")?))?;
    let variety = change_of(variety, |t| Ok(validate_plot_text(Some(t), "品种")?))?;
    in_tx!(state, |conn| async {
        let p = lock_plot(conn, id).await?;
        company_for(conn, me, p.company_id).await?;
        let area = area.filter(|a| *a != p.area_mu.0);
        let location = location.filter(|l| *l != p.location);
        let variety = variety.filter(|v| *v != p.variety);
        if area.is_some() {
            super::check_plot_editable(conn, &p, PlotEdit::Area).await?;
        }
        if area.is_none() && location.is_none() && variety.is_none() {
            return Ok(p);
        }
        let now = Utc::now().naive_utc();
        Ok(store::update_plot(conn, id, area.map(Dec), location, variety, now).await?)
    }
    .await)
}

/// Removes a plot from the roster. Only a plot with no history can go: one that
/// was ever in a unit (memberships are kept) or is on a weigh ticket stays, as
/// the records that name it do.
pub async fn remove_plot(state: &AppState, me: &Principal, id: crate::ids::PlotId) -> AppResult<bool> {
    let id = crate::ids::TypedId::get(id);
    super::may_edit_rosters(me)?;
    in_tx!(state, |conn| async {
        let p = lock_plot(conn, id).await?;
        company_for(conn, me, p.company_id).await?;
        super::check_plot_editable(conn, &p, PlotEdit::Remove).await?;
        let kept = || {
            AppError::Conflict(format!(
                "地块 {} 曾加入追溯单元或已有收购磅单，相关记录须保留，不能删除",
                p.code
            ))
        };
        let (memberships, tickets) = store::plot_history(conn, id).await?;
        if memberships > 0 || tickets > 0 {
            return Err(kept());
        }
        match store::delete_plot(conn, id).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_foreign_key_violation() => Err(kept()),
            Err(e) => Err(e.into()),
        }
    }
    .await)
}
