//! Registration in the API: SMS codes, initiators and enterprises signing up.

use async_graphql::{Context, ID, Object, Result};
use cotton_service::accounts::registration;
use cotton_service::error::AppError;

use crate::graphql::accounts::AuthPayload;
use crate::graphql::CtxExt;

#[derive(Default)]
pub struct RegistrationQuery;

#[Object]
impl RegistrationQuery {
    /// Dev/demo mode only: the codes the log sender has "sent" to this number, newest first.
    async fn dev_sms_codes(&self, ctx: &Context<'_>, phone: String) -> Result<Vec<String>> {
        if !ctx.config().dev_mode {
            return Err(AppError::Forbidden("仅开发或演示模式可查看验证码".into()).into());
        }
        Ok(ctx.state().sms.sent_codes(phone.trim()).unwrap_or_default())
    }
}

#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Sends a 6-digit code (valid 5 minutes, single use; 1 a minute, 10 a day per number).
    async fn send_sms_code(&self, ctx: &Context<'_>, phone: String) -> Result<bool> {
        registration::send_code(ctx.state(), &phone).await?;
        Ok(true)
    }

    /// A group initiator registers with phone + SMS code under a regiment or company.
    async fn register_initiator(
        &self,
        ctx: &Context<'_>,
        phone: String,
        code: String,
        password: String,
        name: String,
        org_id: ID,
    ) -> Result<AuthPayload> {
        Ok(registration::register_initiator(ctx.state(), &phone, &code, password, &name, &org_id).await?.into())
    }

    /// A ginning enterprise registers itself; its account name is `qts` + enterprise code.
    async fn register_enterprise(
        &self,
        ctx: &Context<'_>,
        enterprise_code: String,
        name: String,
        regiment_id: ID,
        password: String,
        phone: String,
    ) -> Result<AuthPayload> {
        Ok(registration::register_enterprise(ctx.state(), &enterprise_code, &name, &regiment_id, password, &phone).await?.into())
    }
}
