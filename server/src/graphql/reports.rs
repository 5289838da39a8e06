//! Reports (manual §1.7, §2.5) in the API: the area report and the enterprise's
//! lint association as GraphQL objects and xlsx files.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use cotton_service::quality::reports::{self, AreaCards, AreaTotals, UnitFigures, rate};

use crate::graphql::cards::FileOutput;
use crate::graphql::relay::{self, PageInfo};
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::units::{GqlUnitStatus, TraceUnit};
use crate::graphql::CtxExt;

pub struct UnitReportRow(UnitFigures);

#[Object]
impl UnitReportRow {
    async fn unit(&self) -> TraceUnit {
        TraceUnit(self.0.unit.clone())
    }
    /// The unit's region (company, or the regiment for initiators' units).
    async fn region_name(&self) -> &str {
        &self.0.region_name
    }
    /// Net seed cotton delivered from the unit's plots, kg.
    async fn delivered_seed_kg(&self) -> GqlDecimal {
        self.0.delivered_kg.into()
    }
    /// Of it, on tickets with a trace card, kg.
    async fn carded_seed_kg(&self) -> GqlDecimal {
        self.0.carded_kg.into()
    }
    async fn bales_linked(&self) -> i32 {
        self.0.bales as i32
    }
    async fn lint_kg(&self) -> GqlDecimal {
        self.0.lint_kg.into()
    }
    async fn premium_kg(&self) -> GqlDecimal {
        self.0.premium_kg.into()
    }
    /// premium / lint × 100, %.
    async fn premium_rate_pct(&self) -> GqlDecimal {
        rate(self.0.premium_kg, self.0.lint_kg).into()
    }
}

#[derive(SimpleObject)]
pub struct StatusCount {
    status: GqlUnitStatus,
    count: i32,
}

/// Trace cards of the area's units, by status.
#[derive(SimpleObject)]
#[graphql(name = "AreaCards")]
pub struct AreaCardsObject {
    printed: i32,
    exported: i32,
    processing: i32,
    finished: i32,
}

impl From<AreaCards> for AreaCardsObject {
    fn from(c: AreaCards) -> Self {
        AreaCardsObject { printed: c.printed, exported: c.exported, processing: c.processing, finished: c.finished }
    }
}

#[derive(SimpleObject)]
pub struct AreaReport {
    season: i32,
    units_by_status: Vec<StatusCount>,
    cards: AreaCardsObject,
    delivered_seed_kg: GqlDecimal,
    carded_seed_kg: GqlDecimal,
    bales_linked: i32,
    lint_kg: GqlDecimal,
    premium_kg: GqlDecimal,
    premium_rate_pct: GqlDecimal,
    units: Vec<UnitReportRow>,
}

fn area_report(season: i32, figures: Vec<UnitFigures>, totals: AreaTotals) -> AreaReport {
    AreaReport {
        season,
        units_by_status: totals
            .units_by_status
            .iter()
            .map(|(status, count)| StatusCount { status: (*status).into(), count: *count })
            .collect(),
        cards: totals.cards.into(),
        delivered_seed_kg: totals.delivered_kg.into(),
        carded_seed_kg: totals.carded_kg.into(),
        bales_linked: totals.bales as i32,
        lint_kg: totals.lint_kg.into(),
        premium_kg: totals.premium_kg.into(),
        premium_rate_pct: totals.premium_rate_pct.into(),
        units: figures.into_iter().map(UnitReportRow).collect(),
    }
}

#[derive(SimpleObject)]
pub struct LintLinkEdge {
    cursor: String,
    node: LintLink,
}

/// The enterprise's lint association as a Relay connection, in the order the
/// bales were recorded.
#[derive(SimpleObject)]
pub struct LintLinkConnection {
    edges: Vec<LintLinkEdge>,
    page_info: PageInfo,
    total_count: i32,
}

/// One bale in the enterprise's lint association: card → bale, with inspection.
#[derive(SimpleObject)]
pub struct LintLink {
    card_no: Option<String>,
    ticket_no: Option<String>,
    grower_name: Option<String>,
    unit_name: Option<String>,
    bale_barcode: String,
    conditioned_kg: GqlDecimal,
    premium: bool,
    inspected: bool,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// A regiment's area in a season: units by status, seed cotton delivered and
    /// carded, bales linked, premium total and rate, per unit. The admin names the regiment.
    async fn area_report(&self, ctx: &Context<'_>, season: i32, region_id: Option<ID>) -> Result<AreaReport> {
        let me = ctx.principal()?;
        let (figures, totals) = reports::area_report(ctx.state(), me, season, region_id.as_ref().map(|r| r.as_str())).await?;
        Ok(area_report(season, figures, totals))
    }

    /// The same as an Excel workbook: the unit rows with a 合计 row, and a sheet
    /// 地区汇总 with every total (units and cards by status, seed cotton, bales,
    /// lint, premium and its rate).
    async fn area_report_xlsx(&self, ctx: &Context<'_>, season: i32, region_id: Option<ID>) -> Result<FileOutput> {
        let me = ctx.principal()?;
        Ok(reports::area_report_xlsx(ctx.state(), me, season, region_id.as_ref().map(|r| r.as_str())).await?.into())
    }

    /// The enterprise's lint association: the traced bales of the season, in the
    /// order they were recorded, each with its card, ticket, grower, unit,
    /// inspection and premium status; a Relay connection (`first`/`after`,
    /// `last`/`before`).
    async fn lint_association(
        &self,
        ctx: &Context<'_>,
        season: i32,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LintLinkConnection> {
        let me = ctx.principal()?;
        let window = relay::window(first, after.as_deref(), last, before.as_deref())?;
        let (total, fetched) = reports::lint_association(ctx.state(), me, season, window).await?;
        let (edges, page_info) = relay::page(fetched, |l| l.id);
        Ok(LintLinkConnection {
            edges: edges
                .into_iter()
                .map(|(cursor, l)| LintLinkEdge {
                    cursor,
                    node: LintLink {
                        card_no: l.card_no,
                        ticket_no: l.ticket_no,
                        grower_name: l.grower_name,
                        unit_name: l.unit_name,
                        bale_barcode: l.barcode,
                        conditioned_kg: l.conditioned_kg.into(),
                        premium: l.premium,
                        inspected: l.inspected,
                    },
                })
                .collect(),
            page_info,
            total_count: total as i32,
        })
    }

    /// Trace-code usage and lint association as an Excel workbook.
    async fn enterprise_report_xlsx(&self, ctx: &Context<'_>, season: i32) -> Result<FileOutput> {
        let me = ctx.principal()?;
        Ok(reports::enterprise_report_xlsx(ctx.state(), me, season).await?.into())
    }
}
