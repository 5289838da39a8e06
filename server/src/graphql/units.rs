//! `TraceUnit` and its parts, `traceUnit`/`traceUnits`, the unit mutations, and the
//! growers' side: `growerLogin` and `myResults`.

use crate::graphql::Batch;
use cotton_service::ids::{OrgId, PlotId, TypedId, UnitId};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use cotton_service::domain::identity::mask_id_number;
use cotton_service::domain::units::{UnitKind, UnitStatus};
use rust_decimal::Decimal;

use cotton_service::units::service::{self, LegalPerson as LegalPersonValue, NewUnit, UnitChange};
use cotton_service::units::{AccountsById, LivePlotsOfUnit, ReviewRow, ReviewsOfUnit, UnitRow, UnitsById};
use crate::graphql::accounts::{Account, AuthPayload};
use cotton_service::error::{AppError, AppResult};
use crate::graphql::relay::{self, PageInfo};
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed, typed_as};
use crate::graphql::orgs::Org;
use crate::graphql::rosters::{Grower, Plot, load_grower};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UnitKind")]
pub enum GqlUnitKind {
    Free,
    Company,
    Cooperative,
}

impl From<GqlUnitKind> for UnitKind {
    fn from(k: GqlUnitKind) -> Self {
        match k {
            GqlUnitKind::Free => UnitKind::Free,
            GqlUnitKind::Company => UnitKind::Company,
            GqlUnitKind::Cooperative => UnitKind::Cooperative,
        }
    }
}

impl From<UnitKind> for GqlUnitKind {
    fn from(k: UnitKind) -> Self {
        match k {
            UnitKind::Free => GqlUnitKind::Free,
            UnitKind::Company => GqlUnitKind::Company,
            UnitKind::Cooperative => GqlUnitKind::Cooperative,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UnitStatus")]
pub enum GqlUnitStatus {
    Pending,
    Approved,
    Rejected,
    Dissolved,
}

impl From<GqlUnitStatus> for UnitStatus {
    fn from(s: GqlUnitStatus) -> Self {
        match s {
            GqlUnitStatus::Pending => UnitStatus::Pending,
            GqlUnitStatus::Approved => UnitStatus::Approved,
            GqlUnitStatus::Rejected => UnitStatus::Rejected,
            GqlUnitStatus::Dissolved => UnitStatus::Dissolved,
        }
    }
}

impl From<UnitStatus> for GqlUnitStatus {
    fn from(s: UnitStatus) -> Self {
        match s {
            UnitStatus::Pending => GqlUnitStatus::Pending,
            UnitStatus::Approved => GqlUnitStatus::Approved,
            UnitStatus::Rejected => GqlUnitStatus::Rejected,
            UnitStatus::Dissolved => GqlUnitStatus::Dissolved,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    Submit,
    Approve,
    Reject,
    Revoke,
    Modify,
    Dissolve,
}

impl ReviewAction {
    fn parse(s: &str) -> ReviewAction {
        match s {
            "APPROVE" => ReviewAction::Approve,
            "REJECT" => ReviewAction::Reject,
            "REVOKE" => ReviewAction::Revoke,
            "MODIFY" => ReviewAction::Modify,
            "DISSOLVE" => ReviewAction::Dissolve,
            _ => ReviewAction::Submit,
        }
    }
}

#[derive(SimpleObject)]
pub struct LegalPerson {
    name: String,
    id_number_masked: String,
    credit_code: String,
    phone: String,
}

#[derive(InputObject)]
pub struct LegalPersonInput {
    name: String,
    id_number: String,
    credit_code: String,
    phone: String,
}

impl LegalPersonInput {
    fn validated(&self) -> AppResult<LegalPersonValue> {
        LegalPersonValue::validated(&self.name, &self.id_number, &self.credit_code, &self.phone)
    }
}

pub struct UnitMember {
    grower_id: i64,
    plots: Vec<cotton_service::rosters::PlotRow>,
}

#[Object]
impl UnitMember {
    async fn grower(&self, ctx: &Context<'_>) -> Result<Grower> {
        load_grower(ctx, self.grower_id).await
    }
    async fn plots(&self) -> Vec<Plot> {
        self.plots.iter().cloned().map(Plot).collect()
    }
    async fn area_mu(&self) -> GqlDecimal {
        self.plots.iter().map(|p| p.area_mu.0).sum::<Decimal>().into()
    }
}

pub struct Review(ReviewRow);

#[Object]
impl Review {
    async fn action(&self) -> ReviewAction {
        ReviewAction::parse(&self.0.action)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn by(&self, ctx: &Context<'_>) -> Result<Account> {
        crate::graphql::accounts::load_account(ctx, self.0.by_account).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at.and_utc()
    }
}

pub struct TraceUnit(pub UnitRow);

impl TraceUnit {
    async fn live_plots(&self, ctx: &Context<'_>) -> Result<Vec<cotton_service::rosters::PlotRow>> {
        Ok(ctx.data_unchecked::<Batch<LivePlotsOfUnit>>().load_one(self.0.id).await?.unwrap_or_default())
    }
}

#[Object]
impl TraceUnit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> GqlUnitKind {
        self.0.kind().into()
    }
    async fn season(&self) -> i32 {
        self.0.season
    }
    async fn status(&self) -> GqlUnitStatus {
        self.0.status().into()
    }
    async fn region(&self, ctx: &Context<'_>) -> Result<Org> {
        crate::graphql::orgs::load_org(ctx, Some(self.0.region_id))
            .await?
            .ok_or_else(|| AppError::NotFound("归属地区不存在".into()).into())
    }
    /// The legal person's mobile is masked for everyone but the unit's creator,
    /// its regiment and the admin.
    async fn legal_person(&self, ctx: &Context<'_>) -> Option<LegalPerson> {
        let u = &self.0;
        let unmasked = ctx.principal().ok().is_some_and(|me| {
            me.scope.is_admin() || cotton_service::units::can_manage(me, u) || cotton_service::units::can_review(me, u)
        });
        Some(LegalPerson {
            name: u.legal_name.clone()?,
            id_number_masked: mask_id_number(u.legal_id_number.as_deref()?),
            credit_code: u.legal_credit_code.clone()?,
            phone: cotton_service::privacy::shown_mobile(u.legal_phone.as_deref()?, unmasked),
        })
    }
    /// Members with their plots in this unit (the unit's live plots, by grower).
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<UnitMember>> {
        let mut members: Vec<UnitMember> = Vec::new();
        for plot in self.live_plots(ctx).await? {
            match members.iter_mut().find(|m| m.grower_id == plot.grower_id) {
                Some(m) => m.plots.push(plot),
                None => members.push(UnitMember { grower_id: plot.grower_id, plots: vec![plot] }),
            }
        }
        Ok(members)
    }
    async fn total_area_mu(&self, ctx: &Context<'_>) -> Result<GqlDecimal> {
        Ok(self.live_plots(ctx).await?.iter().map(|p| p.area_mu.0).sum::<Decimal>().into())
    }
    /// True once any trace card of the unit has had a bale: the unit is frozen.
    async fn processing(&self) -> bool {
        self.0.processing
    }
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<Review>> {
        let rows = ctx.data_unchecked::<Batch<ReviewsOfUnit>>().load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Review).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

pub async fn load_unit(ctx: &Context<'_>, id: i64) -> Result<Option<TraceUnit>> {
    Ok(ctx.data_unchecked::<Batch<UnitsById>>().load_one(id).await?.map(TraceUnit))
}

#[derive(SimpleObject)]
pub struct TraceUnitEdge {
    cursor: String,
    node: TraceUnit,
}

#[derive(SimpleObject)]
pub struct TraceUnitConnection {
    edges: Vec<TraceUnitEdge>,
    page_info: PageInfo,
    total_count: i32,
}

#[derive(SimpleObject)]
pub struct GrowerResults {
    /// The roster entries that are the signed-in grower (one per company that lists
    /// their mobile): a unit member whose `grower.id` is here is you.
    grower_ids: Vec<ID>,
    /// The units holding the grower's plots, with status and review history.
    units: Vec<TraceUnit>,
    /// The grower's weigh tickets, with their cards and the bales linked to them.
    tickets: Vec<crate::graphql::tickets::Ticket>,
    /// The grower's premium-cotton share in each unit.
    premium_shares: Vec<crate::graphql::quality::PremiumShareOfUnit>,
}

/// Loads, in one batch per kind, what a list of units usually asks for next
/// (members' plots, growers and their season plots, reviews and their authors,
/// regions), so the nested fields find it in the request's loader caches: the
/// number of queries does not depend on the number of units.
async fn prime_unit_loaders(ctx: &Context<'_>, units: &[UnitRow]) -> Result<()> {
    use cotton_service::rosters::{GrowerSeason, GrowersById, PlotsOfGrowerSeason};
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let regions: Vec<i64> = units.iter().map(|u| u.region_id).collect();
    let (plots, reviews, _) = futures_util::try_join!(
        ctx.data_unchecked::<Batch<LivePlotsOfUnit>>().load_many(ids.iter().copied()),
        ctx.data_unchecked::<Batch<ReviewsOfUnit>>().load_many(ids.iter().copied()),
        ctx.data_unchecked::<Batch<cotton_service::orgs::OrgsById>>().load_many(regions),
    )?;
    let season_of: std::collections::HashMap<i64, i32> = units.iter().map(|u| (u.id, u.season)).collect();
    let mut growers = std::collections::BTreeSet::new();
    for (unit, ps) in &plots {
        for p in ps {
            growers.insert(GrowerSeason(p.grower_id, season_of[unit]));
        }
    }
    let authors: std::collections::BTreeSet<i64> = reviews.values().flatten().map(|r| r.by_account).collect();
    futures_util::try_join!(
        ctx.data_unchecked::<Batch<GrowersById>>().load_many(growers.iter().map(|g| g.0)),
        ctx.data_unchecked::<Batch<PlotsOfGrowerSeason>>().load_many(growers.iter().copied()),
        ctx.data_unchecked::<Batch<AccountsById>>().load_many(authors),
    )?;
    Ok(())
}

#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    async fn trace_unit(&self, ctx: &Context<'_>, id: ID) -> Result<Option<TraceUnit>> {
        let me = ctx.principal()?;
        let id = typed::<UnitId>(&id)?;
        Ok(cotton_service::units::visible_unit(ctx.state(), me, id).await?.map(TraceUnit))
    }

    /// The units the caller may see: the admin all, a regiment its area, a company
    /// its own, an initiator theirs, a grower those holding their plots.
    #[allow(clippy::too_many_arguments)]
    async fn trace_units(
        &self,
        ctx: &Context<'_>,
        season: Option<i32>,
        status: Option<GqlUnitStatus>,
        kind: Option<GqlUnitKind>,
        region_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<TraceUnitConnection> {
        let me = ctx.principal()?;
        let region = region_id.as_ref().map(|r| r.as_str());
        let window = relay::window(first, after.as_deref(), last, before.as_deref())?;
        let filter = cotton_service::units::UnitListing { season, status: status.map(UnitStatus::from), kind: kind.map(UnitKind::from) };
        let (total, fetched) = cotton_service::units::visible_units(ctx.state(), me, &filter, region, window).await?;
        prime_unit_loaders(ctx, &fetched.rows).await?;
        let (edges, page_info) = relay::page(fetched, |u| u.id);
        Ok(TraceUnitConnection {
            edges: edges.into_iter().map(|(cursor, u)| TraceUnitEdge { cursor, node: TraceUnit(u) }).collect(),
            page_info,
            total_count: total as i32,
        })
    }

    /// A grower's own results. Tickets, cards, bales and premium shares join this
    /// with the later parts of the platform.
    // Read from the page kept in the database (`quality::results`).
    async fn my_results(&self, ctx: &Context<'_>, season: Option<i32>) -> Result<GrowerResults> {
        let me = ctx.principal()?;
        // Only when selected: it needs every unit's allocation.
        let with_shares = ctx.look_ahead().field("premiumShares").exists();
        let page = cotton_service::quality::results::my_results(ctx.state(), me, season, with_shares).await?;
        let premium_shares = page
            .shares
            .iter()
            .map(|(unit, seed, share)| crate::graphql::quality::PremiumShareOfUnit { unit: TraceUnit(unit.clone()), seed_kg: (*seed).into(), share_kg: (*share).into() })
            .collect();
        let grower_ids = page.grower_ids.iter().map(|id| ID(id.to_string())).collect();
        let units: Vec<TraceUnit> = page.units.iter().cloned().map(TraceUnit).collect();
        let tickets = page.tickets.iter().cloned().map(crate::graphql::tickets::Ticket).collect();
        prime_results_loaders(ctx, page).await;
        Ok(GrowerResults { grower_ids, units, tickets, premium_shares })
    }
}

/// Feeds what the results page holds to the request's loaders, so the nested
/// fields (a ticket's card, a card's bales, a bale's card and inspection, the
/// season rules of its premium flag, a card's unit) answer without a statement.
async fn prime_results_loaders(ctx: &Context<'_>, page: cotton_service::quality::results::ResultsPage) {
    use cotton_service::cards::{CardsById, CardsByTicket};
    use cotton_service::processing::BalesByCard;
    use cotton_service::quality::{InspectionsByBarcode, SeasonRulesBySeason};
    let cotton_service::quality::results::ResultsPage { units, cards, bales, inspections, rules, .. } = page;
    ctx.data_unchecked::<Batch<UnitsById>>().feed_many(units.into_iter().map(|u| (u.id, u))).await;
    ctx.data_unchecked::<Batch<CardsByTicket>>().feed_many(cards.iter().map(|c| (c.ticket_id, c.clone()))).await;
    ctx.data_unchecked::<Batch<CardsById>>().feed_many(cards.into_iter().map(|c| (c.id, c))).await;
    ctx.data_unchecked::<Batch<BalesByCard>>().feed_many(bales).await;
    ctx.data_unchecked::<Batch<InspectionsByBarcode>>().feed_many(inspections).await;
    ctx.data_unchecked::<Batch<SeasonRulesBySeason>>().feed_many(rules).await;
}

#[derive(InputObject)]
pub struct CreateTraceUnitInput {
    kind: GqlUnitKind,
    name: String,
    season: i32,
    region_id: Option<ID>,
    legal_person: Option<LegalPersonInput>,
    plot_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateTraceUnitInput {
    name: Option<String>,
    legal_person: Option<LegalPersonInput>,
    add_plot_ids: Option<Vec<ID>>,
    remove_plot_ids: Option<Vec<ID>>,
}

fn parse_ids(ids: &[ID]) -> AppResult<Vec<i64>> {
    ids.iter().map(|i| typed::<PlotId>(i).map(TypedId::get)).collect()
}

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitMutation {
    /// Saves a new unit (PENDING review). Refused below the season's minimum area
    /// (AREA_TOO_SMALL) or when a plot is already in a live unit (PLOT_TAKEN).
    async fn create_trace_unit(&self, ctx: &Context<'_>, input: CreateTraceUnitInput) -> Result<TraceUnit> {
        let me = ctx.principal()?;
        let new = NewUnit {
            kind: input.kind.into(),
            name: input.name,
            season: input.season,
            region_id: input.region_id.as_ref().map(|r| typed_as::<OrgId>(r, "归属地区").map(TypedId::get)).transpose()?,
            legal_person: input.legal_person.as_ref().map(LegalPersonInput::validated).transpose()?,
            plot_ids: parse_ids(&input.plot_ids)?,
        };
        Ok(TraceUnit(service::create(ctx.state(), me, new).await?))
    }

    /// Changes a PENDING or REJECTED unit (a REJECTED one goes back to PENDING).
    async fn update_trace_unit(&self, ctx: &Context<'_>, id: ID, input: UpdateTraceUnitInput) -> Result<TraceUnit> {
        let me = ctx.principal()?;
        let id = typed::<UnitId>(&id)?;
        let change = UnitChange {
            name: input.name,
            legal_person: input.legal_person.as_ref().map(LegalPersonInput::validated).transpose()?,
            add_plot_ids: parse_ids(input.add_plot_ids.as_deref().unwrap_or_default())?,
            remove_plot_ids: parse_ids(input.remove_plot_ids.as_deref().unwrap_or_default())?,
        };
        Ok(TraceUnit(service::update(ctx.state(), me, id, change).await?))
    }

    /// Dissolves a PENDING or REJECTED unit and frees its plots.
    async fn dissolve_trace_unit(&self, ctx: &Context<'_>, id: ID) -> Result<TraceUnit> {
        let me = ctx.principal()?;
        Ok(TraceUnit(service::dissolve(ctx.state(), me, typed::<UnitId>(&id)?).await?))
    }

    /// The regiment of the unit's region approves or rejects (with a reason) a PENDING unit.
    async fn review_trace_unit(&self, ctx: &Context<'_>, id: ID, approve: bool, reason: Option<String>) -> Result<TraceUnit> {
        let me = ctx.principal()?;
        Ok(TraceUnit(service::review(ctx.state(), me, typed::<UnitId>(&id)?, approve, reason).await?))
    }

    /// The same regiment takes back an approval (not once processing has begun).
    async fn revoke_review(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<TraceUnit> {
        let me = ctx.principal()?;
        Ok(TraceUnit(service::revoke(ctx.state(), me, typed::<UnitId>(&id)?, &reason).await?))
    }

    /// A grower signs in with mobile + SMS code; the account is bound to the roster
    /// entries with that mobile.
    async fn grower_login(&self, ctx: &Context<'_>, phone: String, code: String) -> Result<AuthPayload> {
        Ok(cotton_service::rosters::grower_login(ctx.state(), &phone, &code).await?.into())
    }
}
