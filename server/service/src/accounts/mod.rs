//! Accounts and sign-in: password login with throttling, rotating refresh tokens,
//! account creation by scope, self-registration and the bulk company import.

pub mod import;
pub mod registration;
pub mod sessions;

use chrono::Utc;
use cotton_domain::orgs::{self as rules, OrgKind, Role};

use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::ids::parse_id;
use crate::state::AppState;

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
    Ok(Principal::new(account.id, account.role(), account.org_id, regiment_id, phone))
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

/// `me`: the signed-in account (gone: sign in again).
pub async fn require_me(state: &AppState, me: &Principal) -> AppResult<AccountRow> {
    let mut conn = state.db.read().await?;
    find(&mut conn, me.account_id).await?.ok_or_else(|| AppError::Unauthenticated("账号不存在，请重新登录".into()))
}

/// `changePassword`: checks the old password, stores the new one's hash and signs
/// out every other session. Growers have no password (they sign in by SMS).
pub async fn change_password(state: &AppState, me: &Principal, old_password: String, new_password: String) -> AppResult<()> {
    if me.role == Role::Grower {
        return Err(AppError::Forbidden("种植者使用手机号和短信验证码登录，没有密码可修改".into()));
    }
    rules::validate_password(&new_password)?;
    let mut conn = state.db.write().await?;
    let account = find(&mut conn, me.account_id).await?.ok_or_else(|| AppError::Unauthenticated("账号不存在，请重新登录".into()))?;
    if !crate::auth::verify_password(old_password, account.password_hash.clone()).await {
        return Err(AppError::Unauthenticated("原密码错误".into()));
    }
    let hash = crate::auth::hash_password(new_password).await?;
    set_password_hash(&mut conn, account.id, &hash).await?;
    sessions::revoke_all(&mut conn, account.id).await?;
    Ok(())
}

/// `createAccount`: the admin creates regiment, company and enterprise accounts; a
/// regiment creates accounts only for its own companies.
pub async fn create_account(state: &AppState, me: &Principal, username: &str, password: String, role: Role, org_id: &str) -> AppResult<AccountRow> {
    if !matches!(me.role, Role::PlatformAdmin | Role::Regiment) {
        return Err(AppError::forbidden());
    }
    if !matches!(role, Role::Regiment | Role::Company | Role::Enterprise) {
        return Err(AppError::Validation("此类账号不能由此创建（管理员用命令行创建，发起人和种植者自行注册）".into()));
    }
    let org_id = parse_id(org_id, "机构")?;
    let username = rules::validate_username(username)?;
    rules::validate_password(&password)?;
    let mut conn = state.db.write().await?;
    let org = crate::orgs::require(&mut conn, org_id).await?;
    if me.role == Role::Regiment && (role != Role::Company || org.kind() != OrgKind::Company || org.parent_id != me.org_id) {
        return Err(AppError::Forbidden("团级单位只能为本团下属连队创建账号".into()));
    }
    if !rules::org_kinds_for_role(role).contains(&org.kind()) {
        return Err(AppError::Validation(format!(
            "{}账号必须属于{}",
            role_label(role),
            rules::org_kinds_for_role(role).iter().map(|k| k.label_zh()).collect::<Vec<_>>().join("或")
        ))
        );
    }
    let hash = crate::auth::hash_password(password).await?;
    create_org_account(&mut conn, &username, &hash, role, &org).await
}

/// Creates the account of an organisation (regiment, company, enterprise): the
/// org's name as display name, no mobile. A taken username is CONFLICT.
pub async fn create_org_account(conn: &mut DbConn, username: &str, password_hash: &str, role: Role, org: &crate::orgs::OrgRow) -> AppResult<AccountRow> {
    NewAccount {
        username,
        password_hash,
        role: role.as_str(),
        org_id: Some(org.id),
        phone: None,
        display_name: Some(&org.name),
        created_at: Utc::now().naive_utc(),
    }
    .create(conn)
    .await
}

/// The role's name in the interface's words.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::PlatformAdmin => "平台管理员",
        Role::Regiment => "团级单位",
        Role::Company => "连级单位",
        Role::Initiator => "组团发起人",
        Role::Enterprise => "加工企业",
        Role::Grower => "种植者",
    }
}
