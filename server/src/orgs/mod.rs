//! The organisation tree: corps → division → regiment → company, with cooperatives
//! and ginning enterprises under a regiment (their area).

pub mod graphql;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cotton_domain::orgs::OrgKind;
use crate::db::prelude::*;

use crate::db::schema::orgs;
use crate::db::{DbConn, DbPool};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orgs)]
pub struct OrgRow {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub regiment_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl OrgRow {
    pub fn kind(&self) -> OrgKind {
        OrgKind::parse(&self.kind).expect("database CHECK keeps org kinds valid")
    }

    /// The regiment whose area this org lies in (itself for a regiment).
    pub fn area_regiment(&self) -> Option<i64> {
        if self.kind() == OrgKind::Regiment { Some(self.id) } else { self.regiment_id }
    }
}

#[derive(Insertable)]
#[diesel(table_name = orgs)]
pub struct NewOrg<'a> {
    pub kind: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub parent_id: Option<i64>,
    pub regiment_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Database access for orgs ("database" methods in Vaultwarden's sense).
pub async fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<OrgRow>> {
    Ok(db_run!(conn: {
        orgs::table.find(id).select(OrgRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn find_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<OrgRow>> {
    Ok(db_run!(conn: {
        orgs::table.filter(orgs::code.eq(code)).select(OrgRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn require(conn: &mut DbConn, id: i64) -> AppResult<OrgRow> {
    find(conn, id).await?.ok_or_else(|| AppError::NotFound(format!("机构不存在（编号 {id}）")))
}

pub async fn list(conn: &mut DbConn, kind: Option<OrgKind>, parent_id: Option<i64>) -> AppResult<Vec<OrgRow>> {
    Ok(db_run!(conn: {
        let mut q = orgs::table.select(OrgRow::as_select()).order(orgs::id).into_boxed();
        if let Some(kind) = kind {
            q = q.filter(orgs::kind.eq(kind.as_str()));
        }
        if let Some(parent) = parent_id {
            q = q.filter(orgs::parent_id.eq(parent));
        }
        q.load(conn).await?
    }))
}

/// Batches `Org` lookups of one request (Account.org, Org.parent) into one query.
pub struct OrgLoader {
    pub db: DbPool,
}

impl async_graphql::dataloader::Loader<i64> for OrgLoader {
    type Value = OrgRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, OrgRow>, Self::Error> {
        let mut conn = self.db.read().await?;
        let keys = keys.to_vec();
        let rows: Vec<OrgRow> = db_run!(conn: {
            orgs::table
                .filter(orgs::id.eq_any(&keys))
                .select(OrgRow::as_select())
                .load(conn)
                .await
                .map_err(AppError::from)?
        });
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
