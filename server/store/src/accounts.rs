//! `accounts`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::{DbConn, StoreResult};
use cotton_domain::orgs::Role;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub phone: Option<String>,
    pub display_name: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub org_id: Option<i64>,
    pub phone: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

impl AccountRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).expect("database CHECK keeps roles valid")
    }
}

impl NewAccount<'_> {
    pub async fn insert(&self, conn: &mut DbConn) -> StoreResult<AccountRow> {
        Ok(db_run!(conn: {
            diesel::insert_into(accounts::table).values(self).returning(AccountRow::as_returning()).get_result(conn).await?
        }))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = login_attempts)]
pub struct Attempts {
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: i64,
    pub account_id: i64,
    pub family: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sms_codes)]
pub struct CodeRow {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i32,
}
