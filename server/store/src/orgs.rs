//! `orgs`: the organisation tree (corps → division → regiment → company, with
//! cooperatives and ginning enterprises under a regiment).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cotton_domain::orgs::OrgKind;

use crate::batch::BatchLookup;
use crate::prelude::*;
use crate::schema::orgs;
use crate::{DbConn, StoreResult};

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

pub async fn find(conn: &mut DbConn, id: i64) -> StoreResult<Option<OrgRow>> {
    Ok(db_run!(conn: {
        orgs::table.find(id).select(OrgRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn find_by_code(conn: &mut DbConn, code: &str) -> StoreResult<Option<OrgRow>> {
    Ok(db_run!(conn: {
        orgs::table.filter(orgs::code.eq(code)).select(OrgRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn list(conn: &mut DbConn, kind: Option<OrgKind>, parent_id: Option<i64>) -> StoreResult<Vec<OrgRow>> {
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

pub async fn insert(conn: &mut DbConn, new: &NewOrg<'_>) -> StoreResult<OrgRow> {
    Ok(db_run!(conn: {
        diesel::insert_into(orgs::table).values(new).returning(OrgRow::as_returning()).get_result(conn).await?
    }))
}

/// Orgs by id (Account.org, Org.parent, a unit's region).
pub struct OrgsById;

impl BatchLookup for OrgsById {
    type Key = i64;
    type Value = OrgRow;

    async fn lookup(conn: &mut DbConn, keys: &[i64]) -> StoreResult<HashMap<i64, OrgRow>> {
        let rows: Vec<OrgRow> = db_run!(conn: {
            orgs::table.filter(orgs::id.eq_any(keys)).select(OrgRow::as_select()).load(conn).await?
        });
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
