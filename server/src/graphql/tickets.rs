//! `Ticket`, `uploadTicket`, `growerTickets`.

use crate::graphql::{Batch, Loader};
use cotton_service::ids::{PlotId, TypedId};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use cotton_service::tickets::{TicketPlots, TicketRow, TicketUpload};
use crate::graphql::cards::TraceCard;
use cotton_service::cards::{CardRow, CardsByTicket};
use cotton_service::error::AppError;
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, typed};
use crate::graphql::rosters::{Grower, Plot, load_grower};
use crate::graphql::PlotUnitLoader;
use crate::graphql::units::{TraceUnit, load_unit};

#[derive(InputObject)]
pub struct TicketInput {
    ticket_no: String,
    season: i32,
    grower_id_number: String,
    plot_ids: Vec<ID>,
    gross_kg: GqlDecimal,
    tare_kg: Option<GqlDecimal>,
    moisture_pct: Option<GqlDecimal>,
    trash_pct: Option<GqlDecimal>,
    lint_yield_pct: Option<GqlDecimal>,
    module_count: Option<i32>,
    weighed_at: DateTime<Utc>,
}

pub struct Ticket(pub TicketRow);

/// The one live unit holding every plot of a ticket, if there is one.
pub async fn unit_of_plots(ctx: &Context<'_>, plot_ids: &[i64]) -> Result<Option<i64>> {
    let units = ctx.data_unchecked::<Loader<PlotUnitLoader>>().load_many(plot_ids.iter().copied()).await?;
    let mut holders = plot_ids.iter().map(|p| units.get(p).copied());
    let Some(Some(first)) = holders.next() else { return Ok(None) };
    Ok(holders.all(|u| u == Some(first)).then_some(first))
}

impl Ticket {
    async fn plot_ids(&self, ctx: &Context<'_>) -> Result<Vec<i64>> {
        Ok(ctx.data_unchecked::<Batch<TicketPlots>>().load_one(self.0.id).await?.unwrap_or_default())
    }
}

#[Object]
impl Ticket {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn ticket_no(&self) -> &str {
        &self.0.ticket_no
    }
    async fn season(&self) -> i32 {
        self.0.season
    }
    async fn grower(&self, ctx: &Context<'_>) -> Result<Grower> {
        load_grower(ctx, self.0.grower_id).await
    }
    async fn plots(&self, ctx: &Context<'_>) -> Result<Vec<Plot>> {
        let ids = self.plot_ids(ctx).await?;
        let rows = ctx.data_unchecked::<Loader<crate::graphql::PlotLoader>>().load_many(ids.iter().copied()).await?;
        Ok(ids.iter().filter_map(|id| rows.get(id).cloned()).map(Plot).collect())
    }
    /// The unit all the ticket's plots lie in (null when they lie in none or in several).
    async fn trace_unit(&self, ctx: &Context<'_>) -> Result<Option<TraceUnit>> {
        match card_unit(&self.0, ctx).await? {
            Some(unit) => load_unit(ctx, unit).await,
            None => match unit_of_plots(ctx, &self.plot_ids(ctx).await?).await? {
                Some(unit) => load_unit(ctx, unit).await,
                None => Ok(None),
            },
        }
    }
    async fn gross_kg(&self) -> GqlDecimal {
        self.0.gross_kg.0.into()
    }
    async fn tare_kg(&self) -> Option<GqlDecimal> {
        self.0.tare_kg.map(|d| d.0.into())
    }
    async fn net_kg(&self) -> Option<GqlDecimal> {
        self.0.net_kg().map(Into::into)
    }
    async fn moisture_pct(&self) -> Option<GqlDecimal> {
        self.0.moisture_pct.map(|d| d.0.into())
    }
    async fn trash_pct(&self) -> Option<GqlDecimal> {
        self.0.trash_pct.map(|d| d.0.into())
    }
    async fn lint_yield_pct(&self) -> Option<GqlDecimal> {
        self.0.lint_yield_pct.map(|d| d.0.into())
    }
    /// 折皮棉公定重量 = net × 公定衣分率 / 100 (kg, 2 decimals).
    async fn lint_target_kg(&self) -> Option<GqlDecimal> {
        self.0.lint_target_kg().map(Into::into)
    }
    async fn module_count(&self) -> Option<i32> {
        self.0.module_count
    }
    async fn weighed_at(&self) -> DateTime<Utc> {
        self.0.weighed_at.and_utc()
    }
    async fn uploaded_at(&self) -> DateTime<Utc> {
        self.0.uploaded_at.and_utc()
    }
    /// Uploaded later than the season's real-time window: no card can be printed.
    async fn late(&self) -> bool {
        self.0.late
    }
    async fn card(&self, ctx: &Context<'_>) -> Result<Option<TraceCard>> {
        Ok(ctx.data_unchecked::<Batch<CardsByTicket>>().load_one(self.0.id).await?.map(TraceCard))
    }
}

#[derive(SimpleObject)]
pub struct GrowerTickets {
    grower: Grower,
    tickets: Vec<Ticket>,
}

/// Where a ticket stands for printing: it may still get a card, has one, or
/// came too late for one.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "TicketStatus")]
pub enum GqlTicketStatus {
    Uncarded,
    Carded,
    Late,
}

impl From<GqlTicketStatus> for cotton_service::tickets::TicketStatusFilter {
    fn from(s: GqlTicketStatus) -> Self {
        use cotton_service::tickets::TicketStatusFilter as F;
        match s {
            GqlTicketStatus::Uncarded => F::Uncarded,
            GqlTicketStatus::Carded => F::Carded,
            GqlTicketStatus::Late => F::Late,
        }
    }
}

#[derive(SimpleObject)]
pub struct TicketEdge {
    cursor: String,
    node: Ticket,
}

#[derive(SimpleObject)]
pub struct TicketConnection {
    edges: Vec<TicketEdge>,
    page_info: crate::graphql::relay::PageInfo,
    total_count: i32,
}

#[derive(Default)]
pub struct TicketQuery;

#[Object]
impl TicketQuery {
    /// The enterprise's tickets of a season, newest first: all, or those that
    /// may still get a card (UNCARDED), have one (CARDED) or came too late
    /// (LATE); `search` matches part of the ticket number or the grower's name.
    #[allow(clippy::too_many_arguments)]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        season: i32,
        status: Option<GqlTicketStatus>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<TicketConnection> {
        let me = ctx.principal()?;
        let window = crate::graphql::relay::window(first, after.as_deref(), last, before.as_deref())?;
        let (total, fetched) =
            cotton_service::tickets::enterprise_tickets(ctx.state(), me, season, status.map(Into::into), search.as_deref(), window).await?;
        let (edges, page_info) = crate::graphql::relay::page(fetched, |t| t.id);
        Ok(TicketConnection {
            edges: edges.into_iter().map(|(cursor, t)| TicketEdge { cursor, node: Ticket(t) }).collect(),
            page_info,
            total_count: total as i32,
        })
    }

    /// For printing: the grower of an ID number and this enterprise's uploaded,
    /// not-yet-carded tickets of theirs, with the plots and unit each matches.
    async fn grower_tickets(&self, ctx: &Context<'_>, id_number: String, season: i32) -> Result<GrowerTickets> {
        let me = ctx.principal()?;
        let enterprise_id = cotton_service::tickets::enterprise_of(me)?;
        let (grower, rows) = cotton_service::tickets::uncarded_of_grower(ctx.state(), enterprise_id, &id_number, season).await?;
        Ok(GrowerTickets { grower: Grower(grower), tickets: rows.into_iter().map(Ticket).collect() })
    }
}

#[derive(Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Uploads a weigh ticket right after gross weighing (idempotent; later uploads
    /// of the same ticket may add tare, moisture, trash, lint yield, module count).
    async fn upload_ticket(&self, ctx: &Context<'_>, input: TicketInput) -> Result<Ticket> {
        let me = ctx.principal()?;
        let up = TicketUpload {
            ticket_no: input.ticket_no,
            season: input.season,
            grower_id_number: input.grower_id_number,
            plot_ids: input.plot_ids.iter().map(|p| typed::<PlotId>(p).map(TypedId::get)).collect::<Result<_, AppError>>()?,
            gross_kg: input.gross_kg.0,
            tare_kg: input.tare_kg.map(|d| d.0),
            moisture_pct: input.moisture_pct.map(|d| d.0),
            trash_pct: input.trash_pct.map(|d| d.0),
            lint_yield_pct: input.lint_yield_pct.map(|d| d.0),
            module_count: input.module_count,
            weighed_at: input.weighed_at,
        };
        Ok(Ticket(cotton_service::tickets::upload(ctx.state(), me, up).await?))
    }
}

/// A carded ticket's unit is the card's (fixed at printing).
async fn card_unit(ticket: &TicketRow, ctx: &Context<'_>) -> Result<Option<i64>> {
    let card: Option<CardRow> = ctx.data_unchecked::<Batch<CardsByTicket>>().load_one(ticket.id).await?;
    Ok(card.map(|c| c.unit_id))
}
