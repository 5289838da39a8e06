//! The unit operations: each checks who may act and the lifecycle rule, then
//! writes in one transaction with its review record and its live event.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDateTime, Utc};
use cotton_domain::identity::{validate_credit_code, validate_id_number, validate_mobile};
use cotton_domain::orgs::{OrgKind, Role, validate_name};
use cotton_domain::units::{UnitAction, UnitKind, UnitStatus, next_status, validate_reason};
use rust_decimal::Decimal;

use super::UnitRow;
use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic};
use crate::rosters::PlotRow;
use crate::state::AppState;
use crate::tx::Tx;
use cotton_store::units::{self as store, LegalFields, NewUnitRow};

pub use cotton_store::units::NewReview;

#[derive(Debug, Clone)]
pub struct LegalPerson {
    pub name: String,
    pub id_number: String,
    pub credit_code: String,
    pub phone: String,
}

impl LegalPerson {
    pub fn validated(name: &str, id_number: &str, credit_code: &str, phone: &str) -> AppResult<Self> {
        Ok(LegalPerson {
            name: validate_name(name, "法人姓名")?,
            id_number: validate_id_number(id_number)?,
            credit_code: validate_credit_code(credit_code)?,
            phone: validate_mobile(phone)?,
        })
    }
}

pub struct NewUnit {
    pub kind: UnitKind,
    pub name: String,
    pub season: i32,
    pub region_id: Option<i64>,
    pub legal_person: Option<LegalPerson>,
    pub plot_ids: Vec<i64>,
}

#[derive(Default)]
pub struct UnitChange {
    pub name: Option<String>,
    pub legal_person: Option<LegalPerson>,
    pub add_plot_ids: Vec<i64>,
    pub remove_plot_ids: Vec<i64>,
}

pub async fn require_unit(conn: &mut DbConn, id: i64) -> AppResult<UnitRow> {
    let row = store::find(conn, id).await?;
    row.ok_or_else(|| AppError::NotFound(format!("追溯单元不存在（编号 {id}）")))
}

async fn live_plot_ids(conn: &mut DbConn, unit_id: i64) -> AppResult<Vec<i64>> {
    Ok(store::live_plot_ids(conn, unit_id).await?)
}

/// Loads plots the caller may put in a unit of `season`: they must exist, be of
/// that season, and lie in the caller's company (company) or regiment (initiator).
async fn check_plots(conn: &mut DbConn, me: &Principal, season: i32, ids: &[i64]) -> AppResult<Vec<PlotRow>> {
    let rows = crate::rosters::plots_by_ids(conn, ids).await?;
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|p| p.id == **id)) {
        return Err(AppError::NotFound(format!("地块不存在（编号 {missing}）")));
    }
    let companies: BTreeSet<i64> = rows.iter().map(|p| p.company_id).collect();
    let mut company_regiment = HashMap::new();
    for c in companies {
        let org = crate::orgs::require(conn, c).await?;
        company_regiment.insert(c, org.regiment_id);
    }
    for p in &rows {
        if p.season != season {
            return Err(AppError::Validation(format!("地块 {} 属于 {} 年度，不能加入 {} 年度的追溯单元", p.code, p.season, season)));
        }
        let allowed = match &me.scope {
            crate::auth::Scope::Company { company_id, .. } => *company_id == p.company_id,
            crate::auth::Scope::Initiator { regiment_id, .. } => regiment_id.is_some() && company_regiment[&p.company_id] == *regiment_id,
            _ => false,
        };
        if !allowed {
            return Err(AppError::Forbidden(format!("地块 {} 不在您可组团的名册范围内", p.code)));
        }
    }
    Ok(rows)
}

fn total_area(plots: &[PlotRow]) -> Decimal {
    plots.iter().map(|p| p.area_mu.0).sum()
}

/// The error for a plot already in a live unit, naming the plot and the holder.
async fn plot_taken(conn: &mut DbConn, plot_ids: &[i64], except_unit: Option<i64>) -> AppResult<Option<AppError>> {
    let holders = cotton_store::rosters::live_units_of_plots(conn, plot_ids).await?;
    let Some((plot_id, unit_id)) = holders.into_iter().find(|(_, u)| Some(*u) != except_unit) else {
        return Ok(None);
    };
    let plot = crate::rosters::plots_by_ids(conn, &[plot_id]).await?.pop();
    let unit = require_unit(conn, unit_id).await?;
    Ok(Some(super::UnitError::PlotTaken { plot_code: plot.map(|p| p.code).unwrap_or_default(), unit_name: unit.name, unit_code: unit.code }.into()))
}

fn unit_event(topic: EventTopic, unit: &UnitRow) -> Event {
    let mut e = Event::new(topic);
    e.region_id = Some(unit.regiment_id);
    e.unit_id = Some(unit.id);
    e
}

fn review_values(unit_id: i64, action: &str, reason: Option<String>, by: i64, at: NaiveDateTime) -> NewReview {
    NewReview { unit_id, action: action.to_string(), reason, by_account: by, at }
}

pub async fn create(state: &AppState, me: &Principal, input: NewUnit) -> AppResult<UnitRow> {
    match (me.role, input.kind) {
        (Role::Company, UnitKind::Company) | (Role::Initiator, UnitKind::Free | UnitKind::Cooperative) => {}
        (Role::Company, _) => return Err(AppError::Forbidden("连级单位只能建立连队组团".into())),
        (Role::Initiator, _) => return Err(AppError::Forbidden("组团发起人只能建立自由组团或合作社组团".into())),
        _ => return Err(AppError::Forbidden("只有连级单位和组团发起人可以建立追溯单元".into())),
    }
    let name = validate_name(&input.name, "追溯单元名称")?;
    let season = cotton_domain::season::validate_season(input.season)?;
    if input.kind.requires_legal_person() && input.legal_person.is_none() {
        return Err(AppError::Validation("合作社组团须填写法人信息（姓名、身份证号、统一社会信用代码、手机号）".into()));
    }
    if !input.kind.requires_legal_person() && input.legal_person.is_some() {
        return Err(AppError::Validation("只有合作社组团需要法人信息".into()));
    }
    let plot_ids: BTreeSet<i64> = input.plot_ids.iter().copied().collect();
    if plot_ids.is_empty() {
        return Err(AppError::Validation("请至少选择一个成员地块".into()));
    }
    let plot_ids: Vec<i64> = plot_ids.into_iter().collect();

    let mut conn = state.db.write().await?;
    let own_org = me.org_id.ok_or_else(AppError::forbidden)?;
    let region_id = input.region_id.unwrap_or(own_org);
    if region_id != own_org && Some(region_id) != me.regiment_id {
        return Err(AppError::Validation("归属地区只能是本账号所属的团场或连队".into()));
    }
    let region = crate::orgs::require(&mut conn, region_id).await?;
    let regiment_id = region.area_regiment().ok_or_else(|| AppError::Validation("归属地区须为团场或连队".into()))?;
    if !matches!(region.kind(), OrgKind::Regiment | OrgKind::Company) {
        return Err(AppError::Validation("归属地区须为团场或连队".into()));
    }
    let plots = check_plots(&mut conn, me, season, &plot_ids).await?;
    let rules = crate::season::rules_for(&mut conn, season).await?;
    rules.check_unit_area(total_area(&plots))?;
    if let Some(taken) = plot_taken(&mut conn, &plot_ids, None).await? {
        return Err(taken);
    }

    let now = Utc::now().naive_utc();
    let lp = input.legal_person;
    let placeholder = format!("TMP-{}", crate::auth::random_token(16));
    let new = NewUnitRow {
        code: &placeholder,
        name: &name,
        kind: input.kind.as_str(),
        season,
        status: UnitStatus::Pending.as_str(),
        region_id: region.id,
        regiment_id,
        creator_account_id: me.account_id,
        creator_org_id: own_org,
        legal_name: lp.as_ref().map(|l| l.name.as_str()),
        legal_id_number: lp.as_ref().map(|l| l.id_number.as_str()),
        legal_credit_code: lp.as_ref().map(|l| l.credit_code.as_str()),
        legal_phone: lp.as_ref().map(|l| l.phone.as_str()),
        processing: false,
        created_at: now,
        updated_at: now,
    };
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let id = store::insert(tx.conn(), &new).await?;
        // A readable code: TU + season + serial.
        let unit = store::set_code(tx.conn(), id, &format!("TU{season}-{id:06}")).await?;
        store::add_plots(tx.conn(), id, &plot_ids, now).await?;
        store::insert_review(tx.conn(), &review_values(id, "SUBMIT", None, me.account_id, now)).await?;
        tx.emit(unit_event(EventTopic::UnitChanged, &unit)).await?;
        Ok(unit)
    }
    .await;
    let result = tx.finish(outcome).await;
    plot_taken_on_unique(&mut conn, result, &plot_ids, None).await
}

/// After the unit of work: a unique violation on a plot (a concurrent save won)
/// becomes PLOT_TAKEN.
async fn plot_taken_on_unique(
    conn: &mut DbConn,
    result: AppResult<UnitRow>,
    plot_ids: &[i64],
    unit_id: Option<i64>,
) -> AppResult<UnitRow> {
    match result {
        Err(e) if e.is_unique_violation() => Err(plot_taken(conn, plot_ids, unit_id)
            .await?
            .unwrap_or_else(|| super::UnitError::PlotTakenConcurrently.into())),
        other => other,
    }
}

/// Applies `action` to a unit whose status must still be `from` (so a concurrent
/// change is caught), with its review record and event, in one transaction.
async fn transition(
    state: &AppState,
    conn: &mut DbConn,
    me: &Principal,
    unit: &UnitRow,
    to: UnitStatus,
    action: &str,
    reason: Option<String>,
    topic: EventTopic,
) -> AppResult<UnitRow> {
    let now = Utc::now().naive_utc();
    let from = unit.status().as_str();
    let dissolve = to == UnitStatus::Dissolved;
    let id = unit.id;
    let mut tx = Tx::begin(state, conn).await?;
    let outcome = async {
        let updated = store::set_status_if(tx.conn(), id, from, to.as_str(), None, now).await?;
        let Some(updated) = updated else {
            return Err(AppError::Conflict("追溯单元状态已变化，请刷新后重试".into()));
        };
        if dissolve {
            store::release_all_plots(tx.conn(), id, now).await?;
        }
        store::insert_review(tx.conn(), &review_values(id, action, reason, me.account_id, now)).await?;
        tx.emit(unit_event(topic, &updated)).await?;
        Ok(updated)
    }
    .await;
    tx.finish(outcome).await
}

pub async fn update(state: &AppState, me: &Principal, id: crate::ids::UnitId, change: UnitChange) -> AppResult<UnitRow> {
    let id = crate::ids::TypedId::get(id);
    let mut conn = state.db.write().await?;
    let unit = require_unit(&mut conn, id).await?;
    if !super::can_manage(me, &unit) {
        return Err(AppError::Forbidden("只能修改本账号建立的追溯单元".into()));
    }
    let to = next_status(unit.status(), UnitAction::Modify, unit.processing)?;
    let name = change.name.as_deref().map(|n| validate_name(n, "追溯单元名称")).transpose()?;
    if change.legal_person.is_some() && unit.kind() != UnitKind::Cooperative {
        return Err(AppError::Validation("只有合作社组团需要法人信息".into()));
    }
    let current: BTreeSet<i64> = live_plot_ids(&mut conn, id).await?.into_iter().collect();
    let remove: BTreeSet<i64> = change.remove_plot_ids.iter().copied().collect();
    if let Some(p) = remove.iter().find(|p| !current.contains(p)) {
        return Err(AppError::Validation(format!("地块（编号 {p}）不在该追溯单元中")));
    }
    let add: Vec<i64> = change
        .add_plot_ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|p| !current.contains(p))
        .collect();
    check_plots(&mut conn, me, unit.season, &add).await?;
    let next: Vec<i64> = current.iter().copied().filter(|p| !remove.contains(p)).chain(add.iter().copied()).collect();
    let next_plots = crate::rosters::plots_by_ids(&mut conn, &next).await?;
    // Removing members must not bring the area below the minimum (rules §4).
    crate::season::rules_for(&mut conn, unit.season).await?.check_unit_area(total_area(&next_plots))?;
    if let Some(taken) = plot_taken(&mut conn, &add, Some(id)).await? {
        return Err(taken);
    }

    let now = Utc::now().naive_utc();
    let from = unit.status().as_str();
    let lp = change.legal_person;
    let remove: Vec<i64> = remove.into_iter().collect();
    let mut tx = Tx::begin(state, &mut conn).await?;
    let outcome = async {
        let updated = store::set_status_if(tx.conn(), id, from, to.as_str(), name.as_deref(), now).await?;
        let Some(mut updated) = updated else {
            return Err(AppError::Conflict("追溯单元状态已变化，请刷新后重试".into()));
        };
        if let Some(lp) = &lp {
            let fields =
                LegalFields { name: &lp.name, id_number: &lp.id_number, credit_code: &lp.credit_code, phone: &lp.phone };
            updated = store::set_legal_person(tx.conn(), id, &fields).await?;
        }
        if !remove.is_empty() {
            store::release_plots(tx.conn(), id, &remove, now).await?;
        }
        if !add.is_empty() {
            store::add_plots(tx.conn(), id, &add, now).await?;
        }
        store::insert_review(tx.conn(), &review_values(id, "MODIFY", None, me.account_id, now)).await?;
        tx.emit(unit_event(EventTopic::UnitChanged, &updated)).await?;
        Ok(updated)
    }
    .await;
    let result = tx.finish(outcome).await;
    plot_taken_on_unique(&mut conn, result, &add, Some(id)).await
}

pub async fn dissolve(state: &AppState, me: &Principal, id: crate::ids::UnitId) -> AppResult<UnitRow> {
    let id = crate::ids::TypedId::get(id);
    let mut conn = state.db.write().await?;
    let unit = require_unit(&mut conn, id).await?;
    if !super::can_manage(me, &unit) {
        return Err(AppError::Forbidden("只能解散本账号建立的追溯单元".into()));
    }
    let to = next_status(unit.status(), UnitAction::Dissolve, unit.processing)?;
    transition(state, &mut conn, me, &unit, to, "DISSOLVE", None, EventTopic::UnitChanged).await
}

pub async fn review(state: &AppState, me: &Principal, id: crate::ids::UnitId, approve: bool, reason: Option<String>) -> AppResult<UnitRow> {
    let id = crate::ids::TypedId::get(id);
    let mut conn = state.db.write().await?;
    let unit = require_unit(&mut conn, id).await?;
    if !super::can_review(me, &unit) {
        return Err(AppError::Forbidden("只有追溯单元归属地区的团级单位可以审核".into()));
    }
    let action = if approve { UnitAction::Approve } else { UnitAction::Reject };
    let to = next_status(unit.status(), action, unit.processing)?;
    let reason = match (approve, reason.as_deref().map(str::trim).filter(|r| !r.is_empty())) {
        (false, None) => return Err(AppError::Validation("驳回时须填写原因".into())),
        (_, Some(r)) => Some(validate_reason(r)?),
        (true, None) => None,
    };
    let code = if approve { "APPROVE" } else { "REJECT" };
    transition(state, &mut conn, me, &unit, to, code, reason, EventTopic::UnitReviewed).await
}

pub async fn revoke(state: &AppState, me: &Principal, id: crate::ids::UnitId, reason: &str) -> AppResult<UnitRow> {
    let id = crate::ids::TypedId::get(id);
    let mut conn = state.db.write().await?;
    let unit = require_unit(&mut conn, id).await?;
    if !super::can_review(me, &unit) {
        return Err(AppError::Forbidden("只有追溯单元归属地区的团级单位可以撤销审核".into()));
    }
    let to = next_status(unit.status(), UnitAction::Revoke, unit.processing)?;
    let reason = validate_reason(reason).map_err(|_| AppError::Validation("撤销审核须填写原因".into()))?;
    transition(state, &mut conn, me, &unit, to, "REVOKE", Some(reason), EventTopic::UnitReviewed).await
}
