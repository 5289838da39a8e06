//! Accounts and sign-in: password login with throttling, rotating refresh tokens,
//! account creation by scope, self-registration and the bulk company import.

pub mod graphql;
pub mod import;
pub mod registration;
pub mod sessions;

use chrono::NaiveDateTime;
use cotton_domain::orgs::Role;
use crate::db::prelude::*;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::db::schema::accounts;
use crate::error::{AppError, AppResult};

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

impl AccountRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).expect("database CHECK keeps roles valid")
    }
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

impl NewAccount<'_> {
    /// Inserts the account; a taken username becomes a CONFLICT naming it.
    pub async fn insert(&self, conn: &mut DbConn) -> AppResult<AccountRow> {
        let result: AppResult<AccountRow> = db_run!(conn: {
            diesel::insert_into(accounts::table)
                .values(self)
                .returning(AccountRow::as_returning())
                .get_result(conn)
                .await
                .map_err(AppError::from)
        });
        result.map_err(|e| {
            if e.is_unique_violation() {
                AppError::Conflict(format!("账号 {} 已存在", self.username))
            } else {
                e
            }
        })
    }
}

pub async fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<AccountRow>> {
    Ok(db_run!(conn: {
        accounts::table.find(id).select(AccountRow::as_select()).first(conn).await.optional()?
    }))
}

pub async fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<AccountRow>> {
    Ok(db_run!(conn: {
        accounts::table
            .filter(accounts::username.eq(username))
            .select(AccountRow::as_select())
            .first(conn)
            .await
            .optional()?
    }))
}

pub async fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> AppResult<()> {
    db_run!(conn: {
        diesel::update(accounts::table.find(id)).set(accounts::password_hash.eq(hash)).execute(conn).await?;
    });
    Ok(())
}

/// The principal a token is issued for: role, org and the org's regiment area.
pub async fn principal_of(conn: &mut DbConn, account: &AccountRow) -> AppResult<Principal> {
    let regiment_id = match account.org_id {
        Some(org_id) => crate::orgs::require(conn, org_id).await?.area_regiment(),
        None => None,
    };
    let phone = (account.role() == Role::Grower).then(|| account.phone.clone()).flatten();
    Ok(Principal { account_id: account.id, role: account.role(), org_id: account.org_id, regiment_id, phone })
}

/// `cotton-trace admin create`: creates the platform admin. An admin of that name
/// is left as it is (so the command is safe to repeat); another account of that
/// name is an error.
pub async fn bootstrap_admin(db: &crate::db::DbPool, username: &str, password: &str) -> AppResult<String> {
    let username = cotton_domain::orgs::validate_username(username)?;
    cotton_domain::orgs::validate_password(password)?;
    let mut conn = db.write().await?;
    if let Some(existing) = find_by_username(&mut conn, &username).await? {
        return if existing.role() == Role::PlatformAdmin {
            Ok(format!("管理员 {username} 已存在，未作修改"))
        } else {
            Err(AppError::Conflict(format!("账号 {username} 已存在且不是平台管理员")))
        };
    }
    let hash = crate::auth::hash_password(password.to_string()).await?;
    NewAccount {
        username: &username,
        password_hash: &hash,
        role: Role::PlatformAdmin.as_str(),
        org_id: None,
        phone: None,
        display_name: Some("平台管理员"),
        created_at: chrono::Utc::now().naive_utc(),
    }
    .insert(&mut conn)
    .await?;
    Ok(format!("已创建平台管理员 {username}"))
}
