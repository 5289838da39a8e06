//! `Org` in the API, `orgs` and `createOrg`.

use crate::graphql::Batch;
use async_graphql::{Context, ID, Object, Result};
use cotton_domain::orgs::{self as rules, OrgKind, Role};

use super::{OrgRow, OrgsById};
use crate::error::AppError;
use crate::graphql::{CtxExt, parse_id};

/// The contract's `OrgKind`, bridged to the domain enum.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OrgKind")]
pub enum GqlOrgKind {
    Corps,
    Division,
    Regiment,
    Company,
    Cooperative,
    Enterprise,
}

impl From<GqlOrgKind> for OrgKind {
    fn from(k: GqlOrgKind) -> Self {
        match k {
            GqlOrgKind::Corps => OrgKind::Corps,
            GqlOrgKind::Division => OrgKind::Division,
            GqlOrgKind::Regiment => OrgKind::Regiment,
            GqlOrgKind::Company => OrgKind::Company,
            GqlOrgKind::Cooperative => OrgKind::Cooperative,
            GqlOrgKind::Enterprise => OrgKind::Enterprise,
        }
    }
}

impl From<OrgKind> for GqlOrgKind {
    fn from(k: OrgKind) -> Self {
        match k {
            OrgKind::Corps => GqlOrgKind::Corps,
            OrgKind::Division => GqlOrgKind::Division,
            OrgKind::Regiment => GqlOrgKind::Regiment,
            OrgKind::Company => GqlOrgKind::Company,
            OrgKind::Cooperative => GqlOrgKind::Cooperative,
            OrgKind::Enterprise => GqlOrgKind::Enterprise,
        }
    }
}

pub struct Org(pub OrgRow);

#[Object]
impl Org {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> GqlOrgKind {
        self.0.kind().into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Org>> {
        load_org(ctx, self.0.parent_id).await
    }
}

pub async fn load_org(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Org>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx.data_unchecked::<Batch<OrgsById>>().load_one(id).await?.map(Org))
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// The organisation tree. Public: registration forms need the regiments and companies.
    async fn orgs(&self, ctx: &Context<'_>, kind: Option<GqlOrgKind>, parent_id: Option<ID>) -> Result<Vec<Org>> {
        let parent = parent_id.as_ref().map(|p| parse_id(p, "上级机构")).transpose()?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        Ok(super::list(&mut conn, kind.map(Into::into), parent).await?.into_iter().map(Org).collect())
    }
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// The platform admin builds the tree; a regiment may add its own companies.
    async fn create_org(
        &self,
        ctx: &Context<'_>,
        kind: GqlOrgKind,
        code: String,
        name: String,
        parent_id: Option<ID>,
    ) -> Result<Org> {
        let me = ctx.principal()?;
        let state = ctx.state();
        let kind: OrgKind = kind.into();
        let mut parent_id = parent_id.as_ref().map(|p| parse_id(p, "上级机构")).transpose()?;
        match me.role {
            Role::PlatformAdmin => {}
            Role::Regiment => {
                if kind != OrgKind::Company {
                    return Err(AppError::Forbidden("团级单位只能建立本团下属连队".into()).into());
                }
                let own = parent_id.get_or_insert(me.org_id.unwrap_or_default());
                if Some(*own) != me.org_id {
                    return Err(AppError::Forbidden("只能在本团下建立连队".into()).into());
                }
            }
            _ => return Err(AppError::forbidden().into()),
        }
        let code = rules::validate_org_code(&code)?;
        let name = rules::validate_name(&name, "机构名称")?;

        let mut conn = state.db.write().await.map_err(crate::error::AppError::from)?;
        let parent = match parent_id {
            Some(id) => Some(super::require(&mut conn, id).await?),
            None => None,
        };
        rules::check_parent(kind, parent.as_ref().map(OrgRow::kind))?;
        let regiment_id = match kind {
            OrgKind::Company | OrgKind::Cooperative | OrgKind::Enterprise => parent.as_ref().map(|p| p.id),
            _ => None,
        };
        let mut tx = crate::tx::Tx::begin(state, &mut conn).await?;
        let created = super::create(&mut tx, kind, &code, &name, parent_id, regiment_id).await;
        let row = tx.finish(created).await?;
        Ok(Org(row))
    }
}
