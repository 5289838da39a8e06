//! `Account`, `AuthPayload`, `me`, `login`, `refresh`, `changePassword`, `createAccount`.

use crate::accounts::CreateAccount as _;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use cotton_domain::orgs::{self as rules, OrgKind, Role};

use super::sessions::{self, Session};
use super::{AccountRow, NewAccount};
use crate::auth;
use crate::error::AppError;
use crate::graphql::{CtxExt, parse_id};
use crate::orgs::graphql::{Org, load_org};

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum GqlRole {
    PlatformAdmin,
    Regiment,
    Company,
    Initiator,
    Enterprise,
    Grower,
}

impl From<GqlRole> for Role {
    fn from(r: GqlRole) -> Self {
        match r {
            GqlRole::PlatformAdmin => Role::PlatformAdmin,
            GqlRole::Regiment => Role::Regiment,
            GqlRole::Company => Role::Company,
            GqlRole::Initiator => Role::Initiator,
            GqlRole::Enterprise => Role::Enterprise,
            GqlRole::Grower => Role::Grower,
        }
    }
}

impl From<Role> for GqlRole {
    fn from(r: Role) -> Self {
        match r {
            Role::PlatformAdmin => GqlRole::PlatformAdmin,
            Role::Regiment => GqlRole::Regiment,
            Role::Company => GqlRole::Company,
            Role::Initiator => GqlRole::Initiator,
            Role::Enterprise => GqlRole::Enterprise,
            Role::Grower => GqlRole::Grower,
        }
    }
}

/// An account as some caller sees it. The flag marks the account a sign-in,
/// refresh or registration answer was issued to: that answer is the caller's own
/// (before it carries a token), so its mobile is shown whole.
pub struct Account(pub AccountRow, pub bool);

impl Account {
    pub fn of(row: AccountRow) -> Self {
        Account(row, false)
    }
}

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn role(&self) -> GqlRole {
        self.0.role().into()
    }
    async fn org(&self, ctx: &Context<'_>) -> Result<Option<Org>> {
        load_org(ctx, self.0.org_id).await
    }
    /// Masked (`138****8000`) for everyone but the account itself, the admin and
    /// the regiment of the account's org.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(phone) = self.0.phone.as_deref() else { return Ok(None) };
        let me = ctx.principal().ok();
        let org_regiment = if me.is_some_and(|p| p.role == Role::Regiment) {
            load_org(ctx, self.0.org_id).await?.and_then(|o| o.0.area_regiment())
        } else {
            None
        };
        let unmasked = self.1 || crate::privacy::sees_account_mobile(me, self.0.id, org_regiment);
        Ok(Some(crate::privacy::shown_mobile(phone, unmasked)))
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    access_token: String,
    refresh_token: String,
    expires_at: DateTime<Utc>,
    account: Account,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_at: s.expires_at,
            account: Account(s.account, true),
        }
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account.
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        let me = ctx.principal()?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        let row = super::find(&mut conn, me.account_id)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("账号不存在，请重新登录".into()))?;
        Ok(Account::of(row))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<AuthPayload> {
        Ok(sessions::login(ctx.state(), &username, &password).await?.into())
    }

    /// Exchanges a refresh token for a new pair; each refresh token works once.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(sessions::refresh(ctx.state(), &refresh_token).await?.into())
    }

    /// Changes the caller's password and signs out every other session.
    async fn change_password(&self, ctx: &Context<'_>, old_password: String, new_password: String) -> Result<bool> {
        let me = ctx.principal()?;
        if me.role == Role::Grower {
            return Err(AppError::Forbidden("种植者使用手机号和短信验证码登录，没有密码可修改".into()).into());
        }
        let state = ctx.state();
        rules::validate_password(&new_password)?;
        let mut conn = state.db.write().await.map_err(crate::error::AppError::from)?;
        let account = super::find(&mut conn, me.account_id)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("账号不存在，请重新登录".into()))?;
        if !auth::verify_password(old_password, account.password_hash.clone()).await {
            return Err(AppError::Unauthenticated("原密码错误".into()).into());
        }
        let hash = auth::hash_password(new_password).await?;
        super::set_password_hash(&mut conn, account.id, &hash).await?;
        sessions::revoke_all(&mut conn, account.id).await?;
        Ok(true)
    }

    /// The admin creates regiment, company and enterprise accounts; a regiment
    /// creates accounts only for its own companies.
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
        role: GqlRole,
        org_id: ID,
    ) -> Result<Account> {
        let me = ctx.principal()?;
        let role: Role = role.into();
        if !matches!(me.role, Role::PlatformAdmin | Role::Regiment) {
            return Err(AppError::forbidden().into());
        }
        if !matches!(role, Role::Regiment | Role::Company | Role::Enterprise) {
            return Err(AppError::Validation("此类账号不能由此创建（管理员用命令行创建，发起人和种植者自行注册）".into()).into());
        }
        let org_id = parse_id(&org_id, "机构")?;
        let username = rules::validate_username(&username)?;
        rules::validate_password(&password)?;
        let state = ctx.state();
        let mut conn = state.db.write().await.map_err(crate::error::AppError::from)?;
        let org = crate::orgs::require(&mut conn, org_id).await?;
        if me.role == Role::Regiment && (role != Role::Company || org.kind() != OrgKind::Company || org.parent_id != me.org_id) {
            return Err(AppError::Forbidden("团级单位只能为本团下属连队创建账号".into()).into());
        }
        if !rules::org_kinds_for_role(role).contains(&org.kind()) {
            return Err(AppError::Validation(format!(
                "{}账号必须属于{}",
                role_label(role),
                rules::org_kinds_for_role(role).iter().map(|k| k.label_zh()).collect::<Vec<_>>().join("或")
            ))
            .into());
        }
        let hash = auth::hash_password(password).await?;
        let row = NewAccount {
            username: &username,
            password_hash: &hash,
            role: role.as_str(),
            org_id: Some(org.id),
            phone: None,
            display_name: Some(&org.name),
            created_at: Utc::now().naive_utc(),
        }
        .create(&mut conn)
        .await?;
        Ok(Account::of(row))
    }
}

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
