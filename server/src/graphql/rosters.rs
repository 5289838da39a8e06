//! `Grower`, `Plot`, `growers` (a Relay connection), `importRoster` and the
//! one-record edits (`addGrower`, `updateGrower`, `addPlot`, `updatePlot`, `removePlot`).

use crate::graphql::Batch;
use cotton_service::ids::{GrowerId, OrgId, PlotId};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Upload};
use cotton_service::domain::identity::mask_id_number;
use cotton_service::domain::season::validate_season;

use cotton_service::rosters::{GrowerRow, GrowerSeason, GrowersById, LiveUnitOfPlot, PlotRow, PlotsOfGrowerSeason};
use crate::graphql::account_import::ImportReportObject;
use cotton_service::error::AppError;
use crate::graphql::relay::{self, PageInfo};
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed, typed_as};
use crate::graphql::orgs::{Org, load_org};
use crate::graphql::units::{TraceUnit, load_unit};

pub struct Grower(pub GrowerRow);

#[Object]
impl Grower {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Masked (`6501**********1234`) for everyone but the grower themself.
    async fn id_number_masked(&self, ctx: &Context<'_>) -> String {
        let own = ctx
            .principal()
            .ok()
            .is_some_and(|p| p.scope.grower_phone().is_some() && p.scope.grower_phone() == self.0.phone.as_deref());
        if own { self.0.id_number.clone() } else { mask_id_number(&self.0.id_number) }
    }
    /// Masked (`138****8000`) for everyone but the grower themself, their company,
    /// its regiment and the admin.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(phone) = self.0.phone.as_deref() else { return Ok(None) };
        let me = ctx.principal().ok();
        let company_regiment = if me.is_some_and(|p| p.scope.regiment().is_some()) {
            load_org(ctx, Some(self.0.company_id)).await?.and_then(|o| o.0.area_regiment())
        } else {
            None
        };
        let unmasked = cotton_service::privacy::sees_grower_mobile(me, phone, self.0.company_id, company_regiment);
        Ok(Some(cotton_service::privacy::shown_mobile(phone, unmasked)))
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Org>> {
        load_org(ctx, Some(self.0.company_id)).await
    }
    async fn plots(&self, ctx: &Context<'_>, season: i32) -> Result<Vec<Plot>> {
        let rows = ctx
            .data_unchecked::<Batch<PlotsOfGrowerSeason>>()
            .load_one(GrowerSeason(self.0.id, season))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Plot).collect())
    }
}

pub struct Plot(pub PlotRow);

#[Object]
impl Plot {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn season(&self) -> i32 {
        self.0.season
    }
    async fn area_mu(&self) -> GqlDecimal {
        self.0.area_mu.0.into()
    }
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    async fn variety(&self) -> Option<&str> {
        self.0.variety.as_deref()
    }
    async fn grower(&self, ctx: &Context<'_>) -> Result<Grower> {
        load_grower(ctx, self.0.grower_id).await
    }
    /// The live trace unit this plot is in, if any.
    async fn trace_unit(&self, ctx: &Context<'_>) -> Result<Option<TraceUnit>> {
        let unit_id = ctx.data_unchecked::<Batch<LiveUnitOfPlot>>().load_one(self.0.id).await?;
        match unit_id {
            Some(id) => load_unit(ctx, id).await,
            None => Ok(None),
        }
    }
}

pub async fn load_grower(ctx: &Context<'_>, id: i64) -> Result<Grower> {
    ctx.data_unchecked::<Batch<GrowersById>>()
        .load_one(id)
        .await?
        .map(Grower)
        .ok_or_else(|| AppError::NotFound(format!("种植者不存在（编号 {id}）")).into())
}

#[derive(SimpleObject)]
pub struct GrowerEdge {
    cursor: String,
    node: Grower,
}

#[derive(SimpleObject)]
pub struct GrowerConnection {
    edges: Vec<GrowerEdge>,
    page_info: PageInfo,
    total_count: i32,
}

#[derive(Default)]
pub struct RosterQuery;

#[Object]
impl RosterQuery {
    /// A company's roster for a season: growers with plots that season, searchable
    /// by name, the tail of the ID number, or plot code.
    #[allow(clippy::too_many_arguments)]
    async fn growers(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        season: i32,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<GrowerConnection> {
        let me = ctx.principal()?;
        let company_id = typed_as::<OrgId>(&company_id, "连队")?;
        let season = validate_season(season)?;
        let window = relay::window(first, after.as_deref(), last, before.as_deref())?;
        let (total, fetched) = cotton_service::rosters::growers_page(ctx.state(), me, company_id, season, search.as_deref(), window).await?;
        let (edges, page_info) = relay::page(fetched, |g| g.id);
        Ok(GrowerConnection {
            edges: edges.into_iter().map(|(cursor, g)| GrowerEdge { cursor, node: Grower(g) }).collect(),
            page_info,
            total_count: total as i32,
        })
    }
}

/// A grower to put on a company's roster.
#[derive(InputObject)]
pub struct NewGrowerInput {
    pub name: String,
    /// 18 characters with the ISO 7064 MOD 11-2 check character.
    pub id_number: String,
    /// Mainland mobile; empty or left out: none.
    pub phone: Option<String>,
}

/// A plot of a grower for a season.
#[derive(InputObject)]
pub struct PlotInput {
    /// Unique on the company's roster of the season, 1–32 characters.
    pub code: String,
    /// Greater than 0, at most 2 decimals.
    pub area_mu: GqlDecimal,
    pub location: Option<String>,
    pub variety: Option<String>,
}

#[derive(Default)]
pub struct RosterMutation;

#[Object]
impl RosterMutation {
    /// Imports a company's roster for a season from xlsx (one row per plot):
    /// 姓名 | 身份证号 | 手机号 | 地块编号 | 面积（亩） | 位置 | 品种.
    /// Re-importing updates and never duplicates.
    async fn import_roster(&self, ctx: &Context<'_>, company_id: ID, season: i32, file: Upload) -> Result<ImportReportObject> {
        let me = ctx.principal()?;
        let company_id = typed_as::<OrgId>(&company_id, "连队")?;
        let read = || crate::upload::read_upload(ctx, &file).map(|(_, bytes)| bytes);
        Ok(cotton_service::rosters::import::import_roster(ctx.state(), me, company_id, season, read).await?.into())
    }

    /// Puts a grower on a company's roster (the accounts that may import it).
    /// An ID number already on a roster is `CONFLICT`.
    async fn add_grower(&self, ctx: &Context<'_>, company_id: ID, input: NewGrowerInput) -> Result<Grower> {
        let me = ctx.principal()?;
        let company_id = typed_as::<OrgId>(&company_id, "连队")?;
        let new = cotton_service::rosters::edit::NewGrower { name: input.name, id_number: input.id_number, phone: input.phone };
        Ok(Grower(cotton_service::rosters::edit::add_grower(ctx.state(), me, company_id, new).await?))
    }

    /// Changes a grower's name or mobile (left out or null: unchanged; an empty
    /// phone: none). The ID number never changes.
    async fn update_grower(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        phone: Option<String>,
    ) -> Result<Grower> {
        let me = ctx.principal()?;
        let id = typed::<GrowerId>(&id)?;
        Ok(Grower(cotton_service::rosters::edit::update_grower(ctx.state(), me, id, name, phone).await?))
    }

    /// Adds a plot of a grower for a season. A code already on the company's
    /// roster of that season is `CONFLICT`.
    async fn add_plot(&self, ctx: &Context<'_>, grower_id: ID, season: i32, input: PlotInput) -> Result<Plot> {
        let me = ctx.principal()?;
        let grower_id = typed::<GrowerId>(&grower_id)?;
        let new = cotton_service::rosters::edit::NewPlot {
            code: input.code,
            area_mu: input.area_mu.0,
            location: input.location,
            variety: input.variety,
        };
        Ok(Plot(cotton_service::rosters::edit::add_plot(ctx.state(), me, grower_id, season, new).await?))
    }

    /// Changes a plot's area, location or variety (left out or null:
    /// unchanged; an empty location or variety: none). The area of a plot in a
    /// live trace unit is `UNIT_LOCKED`.
    async fn update_plot(
        &self,
        ctx: &Context<'_>,
        id: ID,
        area_mu: Option<GqlDecimal>,
        location: Option<String>,
        variety: Option<String>,
    ) -> Result<Plot> {
        let me = ctx.principal()?;
        let id = typed::<PlotId>(&id)?;
        let area = area_mu.map(|a| a.0);
        Ok(Plot(cotton_service::rosters::edit::update_plot(ctx.state(), me, id, area, location, variety).await?))
    }

    /// Takes a plot off the roster: `UNIT_LOCKED` while it is in a live trace
    /// unit, `CONFLICT` once a unit or a weigh ticket has named it.
    async fn remove_plot(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let me = ctx.principal()?;
        let id = typed::<PlotId>(&id)?;
        Ok(cotton_service::rosters::edit::remove_plot(ctx.state(), me, id).await?)
    }
}
