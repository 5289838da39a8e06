//! The organisation tree: corps → division → regiment → company, with cooperatives
//! and ginning enterprises under a regiment (their area).

pub mod graphql;

use cotton_domain::orgs::OrgKind;

use crate::db::DbConn;
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
