//! Reports (manual §1.7, §2.5): the regiment's area by company and unit, and the
//! enterprise's lint association with premium status — as queries and as xlsx.

use std::collections::{BTreeMap, HashMap};

use cotton_domain::orgs::Role;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use cotton_store::page::{Fetched, Window};
use cotton_store::quality as store;

use crate::auth::Principal;
use crate::db::{DbConn, Dec};
use crate::error::{AppError, AppResult};
use crate::files::RenderedFile;
use crate::ids::parse_id;
use crate::state::AppState;
use crate::units::UnitRow;

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

/// part / whole × 100 to 0.01 %, 0 when there is no whole.
pub fn rate(part: Decimal, whole: Decimal) -> Decimal {
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

/// Trace cards of the area's units, by status.
pub type AreaCards = crate::cards::CardCounts;

/// Card counts by status over the units of `regiment` in `season`.
pub async fn area_cards(conn: &mut DbConn, regiment: i64, season: i32) -> AppResult<AreaCards> {
    Ok(AreaCards::from_rows(&store::area_cards_by_status(conn, regiment, season).await?))
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
fn report_regiment(me: &Principal, region_id: Option<&str>) -> AppResult<i64> {
    match me.role {
        Role::Regiment => {
            let own = me.scope.regiment().ok_or_else(AppError::forbidden)?;
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

/// One bale of the enterprise's lint association: card → bale, with inspection.
pub struct LinkRow {
    pub id: i64,
    pub card_no: Option<String>,
    pub ticket_no: Option<String>,
    pub grower_name: Option<String>,
    pub unit_name: Option<String>,
    pub barcode: String,
    pub conditioned_kg: Decimal,
    pub premium: bool,
    pub inspected: bool,
}

/// The enterprise's traced bales of `season`'s cards, with card, ticket, grower,
/// unit and premium status, in the order they were recorded (bale id): the rows
/// of `window`, or all of them; with the count of all.
async fn lint_links(
    conn: &mut DbConn,
    enterprise_id: i64,
    season: i32,
    window: Option<Window>,
) -> AppResult<(i64, Fetched<LinkRow>)> {
    let (total, fetched) = store::lint_links(conn, enterprise_id, season, window).await?;
    let barcodes: Vec<String> = fetched.rows.iter().map(|t| t.1.clone()).collect();
    let insp = super::inspections_by_barcodes(conn, &barcodes).await?;
    let rules = crate::season::rules_for(conn, season).await?;
    let Fetched { rows, has_previous_page, has_next_page } = fetched;
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
    Ok((total, Fetched { rows, has_previous_page, has_next_page }))
}

fn links_xlsx(season: i32, usage: crate::cards::CardCounts, links: &[LinkRow]) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let s1 = book.add_worksheet().set_name("追溯码使用").map_err(xlsx_err)?;
    s1.write_string_with_format(0, 0, format!("{season}年度 追溯码使用情况"), &bold).map_err(xlsx_err)?;
    for (i, (label, n)) in [("已打印", usage.printed), ("已导出", usage.exported), ("加工中", usage.processing), ("已完成", usage.finished)].iter().enumerate() {
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

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `areaReport`: a regiment's area in a season, per unit and in total. The
/// regiment sees its own; the admin names the regiment (`region_id`).
pub async fn area_report(state: &AppState, me: &Principal, season: i32, region_id: Option<&str>) -> AppResult<(Vec<UnitFigures>, AreaTotals)> {
    let regiment = report_regiment(me, region_id)?;
    let mut conn = state.db.read().await?;
    let figures = area_figures(&mut conn, regiment, season).await?;
    let cards = area_cards(&mut conn, regiment, season).await?;
    let totals = area_totals(&figures, cards);
    Ok((figures, totals))
}

/// `areaReportXlsx`: the same as a workbook (see [`area_xlsx`]).
pub async fn area_report_xlsx(state: &AppState, me: &Principal, season: i32, region_id: Option<&str>) -> AppResult<RenderedFile> {
    let regiment = report_regiment(me, region_id)?;
    let mut conn = state.db.read().await?;
    let name = crate::orgs::require(&mut conn, regiment).await?.name;
    let figures = area_figures(&mut conn, regiment, season).await?;
    let cards = area_cards(&mut conn, regiment, season).await?;
    let totals = area_totals(&figures, cards);
    let bytes = area_xlsx(season, &name, &figures, &totals)?;
    Ok(RenderedFile { file_name: format!("追溯统计-{name}-{season}.xlsx"), mime_type: XLSX_MIME.into(), bytes })
}

/// `lintAssociation`: the enterprise's traced bales of `season` in `window`, with
/// the count of all.
pub async fn lint_association(state: &AppState, me: &Principal, season: i32, window: Window) -> AppResult<(i64, Fetched<LinkRow>)> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let mut conn = state.db.read().await?;
    lint_links(&mut conn, enterprise_id, season, Some(window)).await
}

/// `enterpriseReportXlsx`: trace-code usage and lint association as a workbook.
pub async fn enterprise_report_xlsx(state: &AppState, me: &Principal, season: i32) -> AppResult<RenderedFile> {
    let enterprise_id = crate::tickets::enterprise_of(me)?;
    let mut conn = state.db.read().await?;
    let usage = crate::cards::usage_of(&mut conn, enterprise_id, season).await?;
    let (_, links) = lint_links(&mut conn, enterprise_id, season, None).await?;
    let bytes = links_xlsx(season, usage, &links.rows)?;
    Ok(RenderedFile { file_name: format!("加工企业追溯报表-{season}.xlsx"), mime_type: XLSX_MIME.into(), bytes })
}
