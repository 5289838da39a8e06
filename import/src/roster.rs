//! `importRoster`: the company's Excel sheet, one row per plot.

use std::str::FromStr;

use cotton_domain::RuleError;
use cotton_domain::identity::{validate_id_number, validate_mobile};
use cotton_domain::orgs::validate_name;
use cotton_domain::units::{validate_plot_area_mu, validate_plot_code, validate_plot_text};
use rust_decimal::Decimal;

use crate::SheetRow;

/// Columns of the roster sheet, row 1 exactly.
pub const ROSTER_HEADER: [&str; 7] = ["姓名", "身份证号", "手机号", "地块编号", "面积（亩）", "位置", "品种"];

/// One roster row: a grower and one of their plots, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterLine {
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub plot_code: String,
    pub area_mu: Decimal,
    pub location: Option<String>,
    pub variety: Option<String>,
}

/// Parses and checks one row with the roster rules of the domain crate, the
/// same the one-record edits (`addGrower`, `addPlot`, …) apply: name, ID number
/// with its check character, mobile, plot code of 1–32 characters, area in mu,
/// location and variety of at most 64 characters.
pub fn parse_line(row: &SheetRow) -> Result<RosterLine, RuleError> {
    let plot_code = validate_plot_code(row.cell(3))?;
    let area = Decimal::from_str(row.cell(4))
        .map_err(|_| RuleError::invalid(format!("面积“{}”不是有效数字", row.cell(4))))?;
    let phone = Some(row.cell(2)).filter(|p| !p.is_empty());
    Ok(RosterLine {
        name: validate_name(row.cell(0), "姓名")?,
        id_number: validate_id_number(row.cell(1))?,
        phone: phone.map(validate_mobile).transpose()?,
        plot_code,
        area_mu: validate_plot_area_mu(area)?,
        location: validate_plot_text(Some(row.cell(5)), "位置")?,
        variety: validate_plot_text(Some(row.cell(6)), "品种")?,
    })
}
