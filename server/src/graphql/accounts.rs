//! `Account`, `AuthPayload`, `me`, `login`, `refresh`, `changePassword`, `createAccount`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use cotton_service::domain::orgs::Role;

use cotton_service::accounts::sessions::{self, Session};
use cotton_service::accounts::AccountRow;
use crate::graphql::CtxExt;
use crate::graphql::orgs::{Org, load_org};

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
        let org_regiment = if me.is_some_and(|p| p.scope.regiment().is_some()) {
            load_org(ctx, self.0.org_id).await?.and_then(|o| o.0.area_regiment())
        } else {
            None
        };
        let unmasked = self.1 || cotton_service::privacy::sees_account_mobile(me, self.0.id, org_regiment);
        Ok(Some(cotton_service::privacy::shown_mobile(phone, unmasked)))
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
        let row = cotton_service::accounts::require_me(ctx.state(), me).await?;
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
        cotton_service::accounts::change_password(ctx.state(), me, old_password, new_password).await?;
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
        let row = cotton_service::accounts::create_account(ctx.state(), me, &username, password, role.into(), &org_id).await?;
        Ok(Account::of(row))
    }
}

pub use cotton_service::accounts::role_label;

/// The account `id` through the request's batched loader (NOT_FOUND when gone).
pub async fn load_account(ctx: &Context<'_>, id: i64) -> Result<Account> {
    ctx.data_unchecked::<crate::graphql::Batch<cotton_service::units::AccountsById>>()
        .load_one(id)
        .await?
        .map(Account::of)
        .ok_or_else(|| cotton_service::error::AppError::NotFound("账号不存在".into()).into())
}
