//! Accounts and sign-in: password login with throttling, rotating refresh tokens,
//! account creation by scope, self-registration and the bulk company import.

pub mod graphql;
pub mod import;
pub mod registration;
pub mod sessions;

use cotton_domain::orgs::Role;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

pub use cotton_store::accounts::{AccountRow, NewAccount};

/// Inserting an account, a taken username reported as a CONFLICT naming it.
pub trait CreateAccount {
    fn create(&self, conn: &mut DbConn) -> impl std::future::Future<Output = AppResult<AccountRow>> + Send;
}

impl CreateAccount for NewAccount<'_> {
    async fn create(&self, conn: &mut DbConn) -> AppResult<AccountRow> {
        self.insert(conn).await.map_err(|e| {
            if e.is_unique_violation() { AppError::Conflict(format!("账号 {} 已存在", self.username)) } else { e.into() }
        })
    }
}

pub async fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<AccountRow>> {
    Ok(cotton_store::accounts::find(conn, id).await?)
}

pub async fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<AccountRow>> {
    Ok(cotton_store::accounts::find_by_username(conn, username).await?)
}

pub async fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> AppResult<()> {
    Ok(cotton_store::accounts::set_password_hash(conn, id, hash).await?)
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
    .create(&mut conn)
    .await?;
    Ok(format!("已创建平台管理员 {username}"))
}
