//! The organisation tree: corps → division → regiment → company, with cooperatives
//! and ginning enterprises under a regiment (their area).


use cotton_domain::orgs::{self as rules, OrgKind, Role};

use crate::auth::Principal;
use crate::db::DbConn;
use crate::state::AppState;
use crate::error::{AppError, AppResult};
use crate::events::{Event, EventTopic};
use crate::tx::Tx;

pub use cotton_store::orgs::{NewOrg, OrgRow, OrgsById};

pub async fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<OrgRow>> {
    Ok(cotton_store::orgs::find(conn, id).await?)
}

pub async fn find_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<OrgRow>> {
    Ok(cotton_store::orgs::find_by_code(conn, code).await?)
}

pub async fn require(conn: &mut DbConn, id: i64) -> AppResult<OrgRow> {
    find(conn, id).await?.ok_or_else(|| AppError::NotFound(format!("机构不存在（编号 {id}）")))
}

pub async fn list(conn: &mut DbConn, kind: Option<OrgKind>, parent_id: Option<i64>) -> AppResult<Vec<OrgRow>> {
    Ok(cotton_store::orgs::list(conn, kind, parent_id).await?)
}

/// Inserts an org as part of `tx` and emits its `ORG_CREATED` event.
pub async fn create(
    tx: &mut Tx<'_>,
    kind: OrgKind,
    code: &str,
    name: &str,
    parent_id: Option<i64>,
    regiment_id: Option<i64>,
) -> AppResult<OrgRow> {
    let new = NewOrg { kind: kind.as_str(), code, name, parent_id, regiment_id, created_at: chrono::Utc::now().naive_utc() };
    let row = cotton_store::orgs::insert(tx.conn(), &new).await.map_err(|e| {
        if e.is_unique_violation() { AppError::Conflict(format!("机构编码 {code} 已存在")) } else { e.into() }
    })?;
    let mut event = Event::new(EventTopic::OrgCreated);
    event.region_id = row.area_regiment();
    tx.emit(event).await?;
    Ok(row)
}

/// `orgs`: the organisation tree (public: registration forms need it).
pub async fn list_orgs(state: &AppState, kind: Option<OrgKind>, parent_id: Option<crate::ids::OrgId>) -> AppResult<Vec<OrgRow>> {
    let parent_id = parent_id.map(crate::ids::TypedId::get);
    let mut conn = state.db.read().await?;
    list(&mut conn, kind, parent_id).await
}

/// `createOrg`: the platform admin builds the tree; a regiment may add its own
/// companies (under itself when no parent is named).
pub async fn create_org(state: &AppState, me: &Principal, kind: OrgKind, code: &str, name: &str, parent_id: Option<crate::ids::OrgId>) -> AppResult<OrgRow> {
    let mut parent_id = parent_id.map(crate::ids::TypedId::get);
    match me.role {
        Role::PlatformAdmin => {}
        Role::Regiment => {
            if kind != OrgKind::Company {
                return Err(AppError::Forbidden("团级单位只能建立本团下属连队".into()));
            }
            let own = parent_id.get_or_insert(me.org_id.unwrap_or_default());
            if Some(*own) != me.org_id {
                return Err(AppError::Forbidden("只能在本团下建立连队".into()));
            }
        }
        _ => return Err(AppError::forbidden().into()),
    }
    let code = rules::validate_org_code(code)?;
    let name = rules::validate_name(name, "机构名称")?;

    let mut conn = state.db.write().await?;
    let parent = match parent_id {
        Some(id) => Some(require(&mut conn, id).await?),
        None => None,
    };
    rules::check_parent(kind, parent.as_ref().map(OrgRow::kind))?;
    let regiment_id = match kind {
        OrgKind::Company | OrgKind::Cooperative | OrgKind::Enterprise => parent.as_ref().map(|p| p.id),
        _ => None,
    };
    let mut tx = Tx::begin(state, &mut conn).await?;
    let created = create(&mut tx, kind, &code, &name, parent_id, regiment_id).await;
    let row = tx.finish(created).await?;
    Ok(row)
}
