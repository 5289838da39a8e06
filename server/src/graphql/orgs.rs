//! `Org` in the API, `orgs` and `createOrg`.

use crate::graphql::Batch;
use cotton_service::ids::OrgId;
use async_graphql::{Context, ID, Object, Result};
use cotton_service::domain::orgs::OrgKind;

use cotton_service::orgs::{OrgRow, OrgsById};
use crate::graphql::{CtxExt, typed_as};

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
        let parent = parent_id.as_ref().map(|p| typed_as::<OrgId>(p, "上级机构")).transpose()?;
        Ok(cotton_service::orgs::list_orgs(ctx.state(), kind.map(Into::into), parent).await?.into_iter().map(Org).collect())
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
        let parent_id = parent_id.as_ref().map(|p| typed_as::<OrgId>(p, "上级机构")).transpose()?;
        let row = cotton_service::orgs::create_org(ctx.state(), me, kind.into(), &code, &name, parent_id).await?;
        Ok(Org(row))
    }
}
