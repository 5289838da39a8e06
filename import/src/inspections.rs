//! `importInspections`: one row per bale of the official fibre inspection (公检).

use std::str::FromStr;

use cotton_domain::RuleError;
use rust_decimal::Decimal;

use crate::SheetRow;

/// Columns of the inspection file (CSV or xlsx), row 1 exactly.
pub const INSPECTION_HEADER: [&str; 9] =
    ["条码", "颜色级", "长度", "强度", "马克隆值", "整齐度", "含杂率", "回潮率", "公定重量"];

/// One parsed inspection row; decimals keep the precision the file gave
/// (`29.10` stays `29.10`, `4.2` stays `4.2`): fibre measurements are shown so.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionLine {
    pub barcode: String,
    pub color_grade: Option<String>,
    pub length_mm: Option<Decimal>,
    pub strength: Option<Decimal>,
    pub micronaire: Option<Decimal>,
    pub uniformity_pct: Option<Decimal>,
    pub trash_pct: Option<Decimal>,
    pub moisture_pct: Option<Decimal>,
    pub conditioned_kg: Option<Decimal>,
}

fn decimal_cell(row: &SheetRow, i: usize, what: &str, min_exclusive: Decimal, max_exclusive: Decimal) -> Result<Option<Decimal>, RuleError> {
    let cell = row.cell(i);
    if cell.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str(cell).map_err(|_| RuleError::invalid(format!("{what}“{cell}”不是有效数字")))?;
    if d <= min_exclusive || d >= max_exclusive {
        return Err(RuleError::invalid(format!("{what}{d}超出合理范围")));
    }
    cotton_domain::weights::validate_two_places(d, what)?;
    Ok(Some(d))
}

/// Most characters of a colour grade (GB 1103.1 grades are "11" … "54", with
/// sub-grades such as "21-1").
pub const MAX_COLOR_GRADE_CHARS: usize = 16;

fn color_grade(cell: &str) -> Result<Option<String>, RuleError> {
    let n = cell.chars().count();
    if n > MAX_COLOR_GRADE_CHARS {
        return Err(RuleError::invalid(format!("颜色级过长：最多{MAX_COLOR_GRADE_CHARS}个字符，当前为{n}个")));
    }
    Ok(Some(cell.to_string()).filter(|s| !s.is_empty()))
}

/// Parses and checks one row: a valid barcode, numbers in plausible ranges with
/// at most 2 decimals; empty cells are `None`.
pub fn parse_line(row: &SheetRow) -> Result<InspectionLine, RuleError> {
    let barcode = row.cell(0).to_string();
    cotton_domain::processing::validate_barcode(&barcode)?;
    let zero = Decimal::ZERO;
    Ok(InspectionLine {
        color_grade: color_grade(row.cell(1))?,
        length_mm: decimal_cell(row, 2, "长度", zero, Decimal::from(60))?,
        strength: decimal_cell(row, 3, "断裂比强度", zero, Decimal::from(80))?,
        micronaire: decimal_cell(row, 4, "马克隆值", zero, Decimal::from(10))?,
        uniformity_pct: decimal_cell(row, 5, "长度整齐度", zero, Decimal::from(101))?,
        trash_pct: decimal_cell(row, 6, "含杂率", Decimal::from(-1), Decimal::from(100))?,
        moisture_pct: decimal_cell(row, 7, "回潮率", Decimal::from(-1), Decimal::from(100))?,
        conditioned_kg: decimal_cell(row, 8, "公定重量", zero, Decimal::from(1000))?,
        barcode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row(cells: &[&str]) -> SheetRow {
        SheetRow { row: 2, cells: cells.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn parses_the_sample_and_refuses_bad_cells() {
        let l = parse_line(&row(&["B0001", "21", "29.10", "30", "4.2", "", "", "", "227.5"])).unwrap();
        assert_eq!(l.length_mm.map(|d| d.to_string()).as_deref(), Some("29.10"), "the file's precision");
        assert_eq!(l.micronaire.map(|d| d.to_string()).as_deref(), Some("4.2"));
        assert_eq!(l.uniformity_pct, None);
        assert_eq!(l.conditioned_kg, Some(dec!(227.5)));
        let e = parse_line(&row(&["B0001", "", "abc"])).unwrap_err().to_string();
        assert_eq!(e, "长度“abc”不是有效数字");
        let e = parse_line(&row(&["B0001", "", "61"])).unwrap_err().to_string();
        assert_eq!(e, "长度61超出合理范围");
        assert!(parse_line(&row(&["B0001", "", "29.123"])).is_err());
        assert!(parse_line(&row(&[""])).is_err());
    }
}
