//! Company rosters: growers (ID-checked, masked in responses) and their plots per season.

pub mod edit;
pub mod import;

use cotton_domain::identity::mask_id_number;
use cotton_domain::orgs::{OrgKind, Role};
use cotton_domain::units::{APPROVED_MODIFY_MSG, UnitStatus};
use cotton_domain::RuleError;

use crate::auth::{Principal, Scope};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::orgs::OrgRow;

use cotton_store::rosters as store;

pub use cotton_store::rosters::{GrowerRow, GrowerSeason, GrowersById, LiveUnitOfPlot, PlotRow, PlotsById, PlotsOfGrowerSeason};

/// May `me` read the roster of `company`? The company itself, its regiment, the
/// admin, and initiators of that regiment (they build units from it).
pub fn can_read_roster(me: &Principal, company: &OrgRow) -> bool {
    match &me.scope {
        Scope::Admin => true,
        Scope::Company { company_id, .. } => *company_id == company.id,
        Scope::Regiment { regiment_id } => company.regiment_id == Some(*regiment_id),
        Scope::Initiator { regiment_id, .. } => regiment_id.is_some() && *regiment_id == company.regiment_id,
        _ => false,
    }
}

/// May `me` import or edit the roster of `company`? The company, its regiment, the admin.
pub fn can_edit_roster(me: &Principal, company: &OrgRow) -> bool {
    match &me.scope {
        Scope::Admin => true,
        Scope::Company { company_id, .. } => *company_id == company.id,
        Scope::Regiment { regiment_id } => company.regiment_id == Some(*regiment_id),
        _ => false,
    }
}

/// The roles that may edit some roster (before any lookup, so that other roles
/// learn nothing about which records exist).
pub fn may_edit_rosters(me: &Principal) -> AppResult<()> {
    match me.role {
        Role::PlatformAdmin | Role::Company | Role::Regiment => Ok(()),
        _ => Err(AppError::Forbidden("只有平台、团级单位和连级单位可以修改连队名册".into())),
    }
}

/// The grower with this ID number, on whichever roster.
pub async fn grower_by_id_number(conn: &mut DbConn, id_number: &str) -> AppResult<Option<GrowerRow>> {
    Ok(store::grower_by_id_number(conn, id_number).await?)
}

/// The plot with this code on a company's roster of a season.
pub async fn plot_by_code(conn: &mut DbConn, company_id: i64, season: i32, code: &str) -> AppResult<Option<PlotRow>> {
    Ok(store::plot_by_code(conn, company_id, season, code).await?)
}

/// A grower already on a roster: `CONFLICT` (the ID number identifies a person
/// platform-wide; rules §3). `name` is the name the caller gave.
pub fn grower_exists(existing: &GrowerRow, company_id: i64, name: &str) -> AppError {
    if existing.company_id == company_id {
        AppError::Conflict(format!(
            "身份证号 {} 已在本连队名册中（种植者 {}）",
            mask_id_number(&existing.id_number),
            existing.name
        ))
    } else {
        AppError::Conflict(format!("种植者 {name} 已在其他连队名册中（身份证号 {}）", mask_id_number(&existing.id_number)))
    }
}

/// A plot code taken on the company's roster of the season: `CONFLICT`.
pub fn plot_code_taken(code: &str, season: i32, same_grower: bool) -> AppError {
    if same_grower {
        AppError::Conflict(format!("地块 {code} 已在该种植者 {season} 年度的名册中"))
    } else {
        AppError::Conflict(format!("地块 {code} 已登记在其他种植者名下（{season} 年度）"))
    }
}

/// What is about to happen to a plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotEdit {
    /// Its area changes (import or `updatePlot`).
    Area,
    /// It leaves the roster (`removePlot`).
    Remove,
}

impl PlotEdit {
    fn label_zh(self) -> &'static str {
        match self {
            PlotEdit::Area => "修改面积",
            PlotEdit::Remove => "删除",
        }
    }
}

/// A plot in a live trace unit (one holding it unreleased: PENDING, REJECTED or
/// APPROVED) keeps its area and stays on the roster: the unit's area was checked
/// against the season minimum and is what the regiment reviews, so the plot
/// leaves the unit first (a recorded modification), which its state may forbid.
/// `UNIT_LOCKED`, naming the plot, the unit and what to do.
pub async fn check_plot_editable(conn: &mut DbConn, plot: &PlotRow, edit: PlotEdit) -> AppResult<()> {
    let Some(holder) = store::plot_holder(conn, plot.id).await? else { return Ok(()) };
    let store::PlotHolder { unit_code, unit_name, status, processing } = holder;
    let what = edit.label_zh();
    let code = &plot.code;
    let message = if processing {
        format!("地块 {code} 所在的追溯单元 {unit_name}（{unit_code}）已开始加工，不能{what}")
    } else if UnitStatus::parse(&status) == Some(UnitStatus::Approved) {
        format!(
            "地块 {code} 所在的追溯单元 {unit_name}（{unit_code}）已审核，不能{what}（{}，再将地块移出该单元）",
            APPROVED_MODIFY_MSG.trim_start_matches("已审核，")
        )
    } else {
        format!("地块 {code} 已加入追溯单元 {unit_name}（{unit_code}），不能{what}（请先从单元中移除）")
    };
    Err(RuleError::UnitLocked(message).into())
}

pub async fn require_company(conn: &mut DbConn, id: i64) -> AppResult<OrgRow> {
    let org = crate::orgs::require(conn, id).await?;
    if org.kind() != OrgKind::Company {
        return Err(AppError::Validation(format!("{} 不是连队", org.name)));
    }
    Ok(org)
}

pub async fn plots_by_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<PlotRow>> {
    Ok(store::plots_by_ids(conn, ids).await?)
}

pub async fn growers_by_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<GrowerRow>> {
    Ok(store::growers_by_ids(conn, ids).await?)
}

pub async fn growers_by_phone(conn: &mut DbConn, phone: &str) -> AppResult<Vec<GrowerRow>> {
    Ok(store::growers_by_phone(conn, phone).await?)
}

pub async fn plots_by_company_season(conn: &mut DbConn, company_id: i64, season: i32) -> AppResult<Vec<PlotRow>> {
    Ok(store::plots_by_company_season(conn, company_id, season).await?)
}

/// `growers`: a company's roster of `season` in `window` (searched by name, ID
/// number or mobile), for the accounts that may read it; with the count of all.
pub async fn growers_page(
    state: &crate::state::AppState,
    me: &Principal,
    company_id: crate::ids::OrgId,
    season: i32,
    search: Option<&str>,
    window: cotton_store::page::Window,
) -> AppResult<(i64, cotton_store::page::Fetched<GrowerRow>)> {
    let company_id = crate::ids::TypedId::get(company_id);
    let mut conn = state.db.read().await?;
    let company = require_company(&mut conn, company_id).await?;
    if !can_read_roster(me, &company) {
        return Err(AppError::Forbidden("无权查看该连队名册".into()));
    }
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    Ok(cotton_store::rosters::growers_page(&mut conn, company_id, season, search, window).await?)
}

/// `growerLogin`: a grower signs in with mobile + SMS code; the account (made on
/// first sign-in) is bound to the roster entries with that mobile.
pub async fn grower_login(state: &crate::state::AppState, phone: &str, code: &str) -> AppResult<crate::accounts::sessions::Session> {
    use crate::accounts::CreateAccount as _;
    let phone = cotton_domain::identity::validate_mobile(phone)?;
    let mut conn = state.db.write().await?;
    if growers_by_phone(&mut conn, &phone).await?.is_empty() {
        return Err(AppError::NotFound("该手机号未登记在任何连队名册中，请联系连队核实".into()));
    }
    crate::accounts::registration::consume_code(&mut conn, &phone, code).await?;
    let username = format!("grower_{phone}");
    let account: crate::accounts::AccountRow = match crate::accounts::find_by_username(&mut conn, &username).await? {
        Some(a) => a,
        None => {
            // Growers sign in by SMS only: the stored hash is of a random secret.
            let hash = crate::auth::hash_password(crate::auth::random_token(32)).await?;
            crate::accounts::NewAccount {
                username: &username,
                password_hash: &hash,
                role: Role::Grower.as_str(),
                org_id: None,
                phone: Some(&phone),
                display_name: None,
                created_at: chrono::Utc::now().naive_utc(),
            }
            .create(&mut conn)
            .await?
        }
    };
    crate::accounts::sessions::start_session(state, &mut conn, account).await
}
