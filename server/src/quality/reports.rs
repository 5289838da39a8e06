//! Reports (manual §1.7, §2.5): the regiment's area by company and unit, and the
//! enterprise's lint association with premium status — as queries and as xlsx.

use std::collections::{BTreeMap, HashMap};

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use cotton_domain::orgs::Role;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use crate::cards::graphql::FileOutput;
use crate::cards::RenderedFile;
use crate::db::{DbConn, Dec};
use cotton_store::quality as store;
use crate::error::{AppError, AppResult};
use crate::graphql::relay::{self, PageInfo};
use crate::graphql::scalars::GqlDecimal;
use crate::graphql::{CtxExt, parse_id};
use crate::units::UnitRow;
use crate::units::graphql::TraceUnit;

/// One unit's line in the area report.
#[derive(Debug, Clone)]
pub struct UnitFigures {
    pub unit: UnitRow,
    pub region_name: String,
    pub delivered_kg: Decimal,
    pub carded_kg: Decimal,
    pub bales: i64,
    pub lint_kg: Decimal,
    pub premium_kg: Decimal,
}

fn rate(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() { Decimal::ZERO } else { (part * Decimal::from(100) / whole).round_dp(2) }
}

/// Figures for every unit of `regiment` in `season`, in bulk queries (no per-unit queries).
pub async fn area_figures(conn: &mut DbConn, regiment: i64, season: i32) -> AppResult<Vec<UnitFigures>> {
    let units = store::area_units(conn, regiment, season).await?;
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    // Delivered: tickets whose plots lie in the unit (live membership).
    let delivered = store::delivered_to_units(conn, &ids).await?;
    let carded = store::carded_of_units(conn, &ids).await?;
    let unit_bales = store::bales_of_units(conn, &ids).await?;
    let barcodes: Vec<String> = unit_bales.iter().map(|(_, b, _)| b.clone()).collect();
    let insp = super::inspections_by_barcodes(conn, &barcodes).await?;
    let rules = crate::season::rules_for(conn, season).await?;
    let net = |g: Dec, t: Option<Dec>| g.0 - t.map(|t| t.0).unwrap_or_default();
    let mut seen_tickets: HashMap<(i64, i64), ()> = HashMap::new();
    let mut by_unit: BTreeMap<i64, (Decimal, Decimal, i64, Decimal, Decimal)> = BTreeMap::new();
    for (u, t, g, tare) in delivered {
        if seen_tickets.insert((u, t), ()).is_none() {
            by_unit.entry(u).or_default().0 += net(g, tare);
        }
    }
    for (u, g, tare) in carded {
        by_unit.entry(u).or_default().1 += net(g, tare);
    }
    for (u, barcode, kg) in unit_bales {
        let i = insp.get(&barcode);
        let w = super::lint_kg(kg.0, i);
        let e = by_unit.entry(u).or_default();
        e.2 += 1;
        e.3 += w;
        if i.is_some_and(|i| i.premium(&rules)) {
            e.4 += w;
        }
    }
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut out = Vec::new();
    for unit in units {
        if let std::collections::hash_map::Entry::Vacant(v) = names.entry(unit.region_id) {
            v.insert(crate::orgs::require(conn, unit.region_id).await?.name);
        }
        let (d, c, b, l, p) = by_unit.get(&unit.id).copied().unwrap_or_default();
        out.push(UnitFigures {
            region_name: names[&unit.region_id].clone(),
            unit,
            delivered_kg: d,
            carded_kg: c,
            bales: b,
            lint_kg: l,
            premium_kg: p.round_dp(2),
        });
    }
    Ok(out)
}

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
    status: crate::units::graphql::GqlUnitStatus,
    count: i32,
}

/// Trace cards of the area's units, by status.
#[derive(SimpleObject, Default)]
pub struct AreaCards {
    printed: i32,
    exported: i32,
    processing: i32,
    finished: i32,
}

#[derive(SimpleObject)]
pub struct AreaReport {
    season: i32,
    units_by_status: Vec<StatusCount>,
    cards: AreaCards,
    delivered_seed_kg: GqlDecimal,
    carded_seed_kg: GqlDecimal,
    bales_linked: i32,
    lint_kg: GqlDecimal,
    premium_kg: GqlDecimal,
    premium_rate_pct: GqlDecimal,
    units: Vec<UnitReportRow>,
}

/// Card counts by status over the units of `regiment` in `season`.
pub async fn area_cards(conn: &mut DbConn, regiment: i64, season: i32) -> AppResult<AreaCards> {
    let rows = store::area_cards_by_status(conn, regiment, season).await?;
    let get = |s: &str| rows.iter().find(|(k, _)| k == s).map(|(_, n)| *n as i32).unwrap_or(0);
    Ok(AreaCards { printed: get("PRINTED"), exported: get("EXPORTED"), processing: get("PROCESSING"), finished: get("FINISHED") })
}

/// The area's totals: what `areaReport` answers above its unit rows and what the
/// workbook's 合计 row and 地区汇总 sheet hold, computed once for both.
pub struct AreaTotals {
    pub units_by_status: Vec<(cotton_domain::units::UnitStatus, i32)>,
    pub cards: AreaCards,
    pub delivered_kg: Decimal,
    pub carded_kg: Decimal,
    pub bales: i64,
    pub lint_kg: Decimal,
    pub premium_kg: Decimal,
    pub premium_rate_pct: Decimal,
}

pub fn area_totals(figures: &[UnitFigures], cards: AreaCards) -> AreaTotals {
    use cotton_domain::units::UnitStatus;
    let sum = |f: &dyn Fn(&UnitFigures) -> Decimal| figures.iter().map(f).sum::<Decimal>();
    let lint = sum(&|u| u.lint_kg);
    let premium = sum(&|u| u.premium_kg);
    AreaTotals {
        units_by_status: UnitStatus::ALL
            .iter()
            .map(|s| (*s, figures.iter().filter(|u| u.unit.status() == *s).count() as i32))
            .collect(),
        cards,
        delivered_kg: sum(&|u| u.delivered_kg),
        carded_kg: sum(&|u| u.carded_kg),
        bales: figures.iter().map(|u| u.bales).sum::<i64>(),
        lint_kg: lint,
        premium_kg: premium,
        premium_rate_pct: rate(premium, lint),
    }
}

fn area_report(season: i32, figures: Vec<UnitFigures>, totals: AreaTotals) -> AreaReport {
    AreaReport {
        season,
        units_by_status: totals
            .units_by_status
            .iter()
            .map(|(status, count)| StatusCount { status: (*status).into(), count: *count })
            .collect(),
        cards: totals.cards,
        delivered_seed_kg: totals.delivered_kg.into(),
        carded_seed_kg: totals.carded_kg.into(),
        bales_linked: totals.bales as i32,
        lint_kg: totals.lint_kg.into(),
        premium_kg: totals.premium_kg.into(),
        premium_rate_pct: totals.premium_rate_pct.into(),
        units: figures.into_iter().map(UnitReportRow).collect(),
    }
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e)
}

/// A decimal as the number Excel stores (the figures carry at most 2 decimals).
fn xlsx_num(d: Decimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(0.0)
}

/// The area report as an xlsx workbook with Chinese headers: sheet 追溯单元统计
/// (one row per unit, then a 合计 row), sheet 地区汇总 (every total of
/// `areaReport`: units by status, cards by status, seed cotton, bales, lint,
/// premium and its rate).
pub fn area_xlsx(season: i32, regiment_name: &str, figures: &[UnitFigures], totals: &AreaTotals) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let kg = Format::new().set_num_format("0.00");
    let bold_kg = Format::new().set_bold().set_num_format("0.00");
    let title = format!("{regiment_name} {season}年度 棉花质量追溯统计");

    let sheet = book.add_worksheet().set_name("追溯单元统计").map_err(xlsx_err)?;
    sheet.write_string_with_format(0, 0, &title, &bold).map_err(xlsx_err)?;
    let headers = ["连队/地区", "追溯单元编号", "追溯单元名称", "组团方式", "状态", "交售籽棉(kg)", "打卡籽棉(kg)", "关联棉包数", "皮棉公定重量(kg)", "优质棉(kg)", "优质棉率(%)"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold).map_err(xlsx_err)?;
    }
    for (i, f) in figures.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, &f.region_name).map_err(xlsx_err)?;
        sheet.write_string(r, 1, &f.unit.code).map_err(xlsx_err)?;
        sheet.write_string(r, 2, &f.unit.name).map_err(xlsx_err)?;
        sheet.write_string(r, 3, f.unit.kind().label_zh()).map_err(xlsx_err)?;
        sheet.write_string(r, 4, f.unit.status().label_zh()).map_err(xlsx_err)?;
        sheet.write_number_with_format(r, 5, xlsx_num(f.delivered_kg), &kg).map_err(xlsx_err)?;
        sheet.write_number_with_format(r, 6, xlsx_num(f.carded_kg), &kg).map_err(xlsx_err)?;
        sheet.write_number(r, 7, f.bales as f64).map_err(xlsx_err)?;
        sheet.write_number_with_format(r, 8, xlsx_num(f.lint_kg), &kg).map_err(xlsx_err)?;
        sheet.write_number_with_format(r, 9, xlsx_num(f.premium_kg), &kg).map_err(xlsx_err)?;
        sheet.write_number_with_format(r, 10, xlsx_num(rate(f.premium_kg, f.lint_kg)), &kg).map_err(xlsx_err)?;
    }
    // The 合计 row: the area's totals (not a SUM formula, so that a reader
    // without a formula engine sees the same figures as areaReport).
    let r = 3 + figures.len() as u32;
    sheet.write_string_with_format(r, 0, "合计", &bold).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 5, xlsx_num(totals.delivered_kg), &bold_kg).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 6, xlsx_num(totals.carded_kg), &bold_kg).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 7, totals.bales as f64, &bold).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 8, xlsx_num(totals.lint_kg), &bold_kg).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 9, xlsx_num(totals.premium_kg), &bold_kg).map_err(xlsx_err)?;
    sheet.write_number_with_format(r, 10, xlsx_num(totals.premium_rate_pct), &bold_kg).map_err(xlsx_err)?;
    sheet.autofit();

    let sum = book.add_worksheet().set_name("地区汇总").map_err(xlsx_err)?;
    sum.write_string_with_format(0, 0, &title, &bold).map_err(xlsx_err)?;
    for (c, h) in ["类别", "项目", "数值"].iter().enumerate() {
        sum.write_string_with_format(2, c as u16, *h, &bold).map_err(xlsx_err)?;
    }
    let c = &totals.cards;
    let mut lines: Vec<(&str, &str, f64, bool)> = totals
        .units_by_status
        .iter()
        .map(|(status, n)| ("追溯单元", status.label_zh(), *n as f64, false))
        .collect();
    lines.extend([
        ("追溯卡", "已打印", c.printed as f64, false),
        ("追溯卡", "已导出", c.exported as f64, false),
        ("追溯卡", "加工中", c.processing as f64, false),
        ("追溯卡", "已完成", c.finished as f64, false),
        ("籽棉", "交售籽棉(kg)", xlsx_num(totals.delivered_kg), true),
        ("籽棉", "打卡籽棉(kg)", xlsx_num(totals.carded_kg), true),
        ("皮棉", "关联棉包数", totals.bales as f64, false),
        ("皮棉", "皮棉公定重量(kg)", xlsx_num(totals.lint_kg), true),
        ("皮棉", "优质棉(kg)", xlsx_num(totals.premium_kg), true),
        ("皮棉", "优质棉率(%)", xlsx_num(totals.premium_rate_pct), true),
    ]);
    for (i, (group, item, value, decimal)) in lines.into_iter().enumerate() {
        let r = 3 + i as u32;
        sum.write_string(r, 0, group).map_err(xlsx_err)?;
        sum.write_string(r, 1, item).map_err(xlsx_err)?;
        if decimal {
            sum.write_number_with_format(r, 2, value, &kg).map_err(xlsx_err)?;
        } else {
            sum.write_number(r, 2, value).map_err(xlsx_err)?;
        }
    }
    sum.autofit();
    book.save_to_buffer().map_err(xlsx_err)
}

/// Which regiment's area `me` may report on (`regionId` for the admin).
fn report_regiment(me: &crate::auth::Principal, region_id: Option<&ID>) -> AppResult<i64> {
    match me.role {
        Role::Regiment => {
            let own = me.regiment_id.ok_or_else(AppError::forbidden)?;
            match region_id.map(|r| parse_id(r, "团场")).transpose()? {
                Some(r) if r != own => Err(AppError::Forbidden("团级单位只能查看本团的统计".into())),
                _ => Ok(own),
            }
        }
        Role::PlatformAdmin => region_id
            .map(|r| parse_id(r, "团场"))
            .transpose()?
            .ok_or_else(|| AppError::Validation("请指定团场（regionId）".into())),
        _ => Err(AppError::Forbidden("只有团级单位和平台管理员可以查看地区统计".into())),
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

struct LinkRow {
    id: i64,
    card_no: Option<String>,
    ticket_no: Option<String>,
    grower_name: Option<String>,
    unit_name: Option<String>,
    barcode: String,
    conditioned_kg: Decimal,
    premium: bool,
    inspected: bool,
}

/// The enterprise's traced bales of `season`'s cards, with card, ticket, grower,
/// unit and premium status, in the order they were recorded (bale id): the rows
/// of `window`, or all of them; with the count of all.
async fn lint_links(
    conn: &mut DbConn,
    enterprise_id: i64,
    season: i32,
    window: Option<relay::Window>,
) -> AppResult<(i64, relay::Fetched<LinkRow>)> {
    let (total, page) = store::lint_links(conn, enterprise_id, season, window.map(crate::cards::graphql::store_window)).await?;
    let fetched = crate::cards::graphql::fetched(page);
    let barcodes: Vec<String> = fetched.rows.iter().map(|t| t.1.clone()).collect();
    let insp = super::inspections_by_barcodes(conn, &barcodes).await?;
    let rules = crate::season::rules_for(conn, season).await?;
    let relay::Fetched { rows, has_previous_page, has_next_page } = fetched;
    let rows = rows
        .into_iter()
        .map(|(id, barcode, kg, card_no, ticket_no, grower, unit)| {
            let i = insp.get(&barcode);
            LinkRow {
                id,
                premium: i.is_some_and(|i| i.premium(&rules)),
                inspected: i.is_some(),
                conditioned_kg: super::lint_kg(kg.0, i),
                card_no: Some(card_no),
                ticket_no: Some(ticket_no),
                grower_name: Some(grower),
                unit_name: Some(unit),
                barcode,
            }
        })
        .collect();
    Ok((total, relay::Fetched { rows, has_previous_page, has_next_page }))
}

fn links_xlsx(season: i32, usage: (i64, i64, i64, i64), links: &[LinkRow]) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let s1 = book.add_worksheet().set_name("追溯码使用").map_err(xlsx_err)?;
    s1.write_string_with_format(0, 0, format!("{season}年度 追溯码使用情况"), &bold).map_err(xlsx_err)?;
    for (i, (label, n)) in [("已打印", usage.0), ("已导出", usage.1), ("加工中", usage.2), ("已完成", usage.3)].iter().enumerate() {
        s1.write_string(2 + i as u32, 0, *label).map_err(xlsx_err)?;
        s1.write_number(2 + i as u32, 1, *n as f64).map_err(xlsx_err)?;
    }
    let s2 = book.add_worksheet().set_name("皮棉关联").map_err(xlsx_err)?;
    let headers = ["追溯卡号", "磅单号", "种植者", "追溯单元", "棉包条码", "公定重量(kg)", "已公检", "优质棉"];
    for (c, h) in headers.iter().enumerate() {
        s2.write_string_with_format(0, c as u16, *h, &bold).map_err(xlsx_err)?;
    }
    for (i, l) in links.iter().enumerate() {
        let r = 1 + i as u32;
        s2.write_string(r, 0, l.card_no.as_deref().unwrap_or("")).map_err(xlsx_err)?;
        s2.write_string(r, 1, l.ticket_no.as_deref().unwrap_or("")).map_err(xlsx_err)?;
        s2.write_string(r, 2, l.grower_name.as_deref().unwrap_or("")).map_err(xlsx_err)?;
        s2.write_string(r, 3, l.unit_name.as_deref().unwrap_or("")).map_err(xlsx_err)?;
        s2.write_string(r, 4, &l.barcode).map_err(xlsx_err)?;
        s2.write_number(r, 5, l.conditioned_kg.to_string().parse::<f64>().unwrap_or(0.0)).map_err(xlsx_err)?;
        s2.write_string(r, 6, if l.inspected { "是" } else { "否" }).map_err(xlsx_err)?;
        s2.write_string(r, 7, if l.premium { "是" } else { "否" }).map_err(xlsx_err)?;
    }
    s2.autofit();
    book.save_to_buffer().map_err(xlsx_err)
}

async fn usage_counts(conn: &mut DbConn, enterprise_id: i64, season: i32) -> AppResult<(i64, i64, i64, i64)> {
    let rows = cotton_store::cards::count_by_status(conn, enterprise_id, season).await?;
    let get = |s: &str| rows.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
    Ok((get("PRINTED"), get("EXPORTED"), get("PROCESSING"), get("FINISHED")))
}

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// A regiment's area in a season: units by status, seed cotton delivered and
    /// carded, bales linked, premium total and rate, per unit. The admin names the regiment.
    async fn area_report(&self, ctx: &Context<'_>, season: i32, region_id: Option<ID>) -> Result<AreaReport> {
        let me = ctx.principal()?;
        let regiment = report_regiment(me, region_id.as_ref())?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        let figures = area_figures(&mut conn, regiment, season).await?;
        let cards = area_cards(&mut conn, regiment, season).await?;
        let totals = area_totals(&figures, cards);
        Ok(area_report(season, figures, totals))
    }

    /// The same as an Excel workbook: the unit rows with a 合计 row, and a sheet
    /// 地区汇总 with every total (units and cards by status, seed cotton, bales,
    /// lint, premium and its rate).
    async fn area_report_xlsx(&self, ctx: &Context<'_>, season: i32, region_id: Option<ID>) -> Result<FileOutput> {
        let me = ctx.principal()?;
        let regiment = report_regiment(me, region_id.as_ref())?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        let name = crate::orgs::require(&mut conn, regiment).await?.name;
        let figures = area_figures(&mut conn, regiment, season).await?;
        let cards = area_cards(&mut conn, regiment, season).await?;
        let totals = area_totals(&figures, cards);
        let bytes = area_xlsx(season, &name, &figures, &totals)?;
        Ok(RenderedFile { file_name: format!("追溯统计-{name}-{season}.xlsx"), mime_type: XLSX_MIME.into(), bytes }.into())
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
        let enterprise_id = crate::tickets::enterprise_of(me)?;
        let window = relay::window(first, after.as_deref(), last, before.as_deref())?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        let (total, fetched) = lint_links(&mut conn, enterprise_id, season, Some(window)).await?;
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
        let enterprise_id = crate::tickets::enterprise_of(me)?;
        let mut conn = ctx.state().db.read().await.map_err(crate::error::AppError::from)?;
        let usage = usage_counts(&mut conn, enterprise_id, season).await?;
        let (_, links) = lint_links(&mut conn, enterprise_id, season, None).await?;
        let bytes = links_xlsx(season, usage, &links.rows)?;
        Ok(RenderedFile { file_name: format!("加工企业追溯报表-{season}.xlsx"), mime_type: XLSX_MIME.into(), bytes }.into())
    }
}
