//! The JSON that crosses [`crate::ffi::CottonPluginTable::call`], wire version
//! [`crate::ffi::COTTON_WIRE_VERSION`] (= 1).
//!
//! Encoding rules (the same as the GraphQL API's): UTF-8 JSON, field names in
//! `camelCase`, enum values in `SCREAMING_SNAKE_CASE`, decimals as strings
//! (`"227.50"`, never a JSON number), times as RFC 3339 UTC strings. Readers
//! ignore fields they do not know, so a field can be added without a version
//! bump; removing or changing one bumps the wire version.
//!
//! | operation | input | output |
//! |---|---|---|
//! | `DESCRIBE` | nothing | [`Describe`] |
//! | `RENDER` | [`PrintJob`] | printer bytes |
//! | `ENCODE_CARDS` | [`CardExport`] | device payload |
//! | `DECODE_CARDS` | device payload | [`CardExport`] |
//! | `ENCODE_RECORDS` | [`RecordUpload`] | device payload |
//! | `DECODE_RECORDS` | device payload | [`RecordUpload`] |

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use cotton_domain::RuleError;
pub use cotton_domain::processing::{
    CardExport, CollectorModel, ExportedCard, ModuleType, ProcessingEvent, ProcessingRecord, RecordUpload,
};

/// `"COLLECTOR"` or `"PRINTER"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PluginKind {
    Collector,
    Printer,
}

impl PluginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Collector => "COLLECTOR",
            PluginKind::Printer => "PRINTER",
        }
    }

    /// The `COTTON_KIND_*` code.
    pub fn code(self) -> u32 {
        match self {
            PluginKind::Collector => crate::ffi::COTTON_KIND_COLLECTOR,
            PluginKind::Printer => crate::ffi::COTTON_KIND_PRINTER,
        }
    }

    /// Inverse of [`PluginKind::code`].
    pub fn from_code(code: u32) -> Option<Self> {
        match code {
            crate::ffi::COTTON_KIND_COLLECTOR => Some(PluginKind::Collector),
            crate::ffi::COTTON_KIND_PRINTER => Some(PluginKind::Printer),
            _ => None,
        }
    }
}

/// How a collector exchanges data: files carried by hand (IV, V) or online (VI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Transport {
    File,
    Online,
}

/// A file type: MIME type and extension (without the dot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileType {
    pub mime_type: String,
    pub file_extension: String,
}

impl FileType {
    pub fn new(mime_type: &str, file_extension: &str) -> Self {
        FileType { mime_type: mime_type.into(), file_extension: file_extension.into() }
    }
}

/// What a printer driver produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrinterInfo {
    /// The output, e.g. `application/vnd.zebra.zpl` / `zpl`.
    pub output: FileType,
}

/// What a collector driver speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorInfo {
    pub transport: Transport,
    /// Most cards one scan may carry (10 for IV and V, 20 for VI).
    pub max_cards_per_scan: u32,
    /// The payload of `ENCODE_CARDS` (the export file).
    pub cards_payload: FileType,
    /// The payload of `ENCODE_RECORDS` (the upload file).
    pub records_payload: FileType,
}

/// The answer to `DESCRIBE`. `kind`, `name`, `model` and `version` must equal
/// the table's; exactly one of `printer` / `collector` is present, matching the
/// kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Describe {
    pub wire_version: u32,
    pub kind: PluginKind,
    pub name: String,
    pub model: String,
    pub version: String,
    /// One line for the operator, e.g. "Zebra ZPL II 标签打印机".
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer: Option<PrinterInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<CollectorInfo>,
}

/// A trace card as the label shows it (SPEC §7): card number (printed as
/// Code 128 and QR code), grower, unit, ticket, weights and module info.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintCard {
    pub card_no: String,
    pub season: i32,
    pub ticket_no: String,
    pub grower_name: String,
    pub unit_name: String,
    /// 毛重 / 皮重 / 净重 of the ticket, kg.
    pub gross_kg: Decimal,
    pub tare_kg: Decimal,
    pub net_kg: Decimal,
    /// 公定衣分率, %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint_yield_pct: Option<Decimal>,
    /// 折皮棉公定重量, kg.
    pub target_lint_kg: Decimal,
    pub processable_bales: u32,
    pub module_type: ModuleType,
    pub module_count: u32,
}

/// One print request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintJob {
    pub card: PrintCard,
    /// The ginning enterprise that prints.
    pub enterprise_name: String,
    /// Number of identical labels, 1..=[`MAX_COPIES`].
    pub copies: u32,
    /// A reprint (补打) keeps the card number; labels say 补打.
    #[serde(default)]
    pub reprint: bool,
    pub printed_at: DateTime<Utc>,
}

/// Most labels one print job may ask for.
pub const MAX_COPIES: u32 = 100;

fn text(s: &str, what: &str) -> Result<(), RuleError> {
    let checked = cotton_domain::orgs::validate_name(s, what)?;
    if checked != s {
        return Err(RuleError::invalid(format!("{what}首尾不能有空格")));
    }
    Ok(())
}

impl PrintJob {
    /// Checks the job: canonical card number, names, ticket number, weights
    /// (≥ 0, 2 decimals, net = gross − tare), 1..=100 copies.
    pub fn validate(&self) -> Result<(), RuleError> {
        let c = &self.card;
        cotton_domain::processing::validate_canonical_card_no(&c.card_no)?;
        cotton_domain::season::validate_season(c.season)?;
        let n = c.ticket_no.len();
        if n == 0 || n > 32 || !c.ticket_no.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(RuleError::invalid("磅单号应为1至32位可见英文字符"));
        }
        text(&c.grower_name, "种植者姓名")?;
        text(&c.unit_name, "追溯单元名称")?;
        text(&self.enterprise_name, "加工企业名称")?;
        use cotton_domain::weights::validate_weight_kg;
        validate_weight_kg(c.gross_kg, "毛重")?;
        validate_weight_kg(c.tare_kg, "皮重")?;
        validate_weight_kg(c.net_kg, "净重")?;
        validate_weight_kg(c.target_lint_kg, "折皮棉公定重量")?;
        if cotton_domain::weights::net_kg(c.gross_kg, c.tare_kg)? != c.net_kg {
            return Err(RuleError::invalid(format!(
                "净重（{}千克）应等于毛重减皮重（{}千克）",
                c.net_kg,
                c.gross_kg - c.tare_kg
            )));
        }
        if let Some(y) = c.lint_yield_pct {
            cotton_domain::weights::validate_lint_yield_pct(y)?;
        }
        if c.module_count > 10_000 {
            return Err(RuleError::invalid("棉膜件数过大"));
        }
        if self.copies == 0 || self.copies > MAX_COPIES {
            return Err(RuleError::invalid(format!(
                "打印份数应为1至{MAX_COPIES}，当前为{}",
                self.copies
            )));
        }
        Ok(())
    }
}

/// The lines every label shows, in order, as (label, value) pairs in Chinese —
/// the same for every printer driver, so labels look alike across printers.
/// Weights and percentages carry 2 decimals ("1000.00 kg", "38.00%") whatever
/// scale the job's decimals have.
pub fn label_lines(job: &PrintJob) -> Vec<(&'static str, String)> {
    let c = &job.card;
    let q = |d: rust_decimal::Decimal| format!("{:.2}", d);
    let mut lines = vec![
        ("追溯卡号", c.card_no.clone()),
        ("种植者", c.grower_name.clone()),
        ("追溯单元", c.unit_name.clone()),
        ("磅单号", c.ticket_no.clone()),
        ("毛重/皮重/净重", format!("{} / {} / {} kg", q(c.gross_kg), q(c.tare_kg), q(c.net_kg))),
        ("折皮棉公定重量", format!("{} kg（可加工{}包）", q(c.target_lint_kg), c.processable_bales)),
        ("模块", format!("{} × {}", c.module_type.label_zh(), c.module_count)),
        ("加工企业", job.enterprise_name.clone()),
    ];
    if let Some(y) = c.lint_yield_pct {
        lines.insert(5, ("公定衣分率", format!("{}%", q(y))));
    }
    let when = job
        .printed_at
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    lines.push((if job.reprint { "补打时间" } else { "打印时间" }, when));
    lines
}

/// The title line of a label: `棉花质量追溯卡` (with `（补打）` on a reprint).
pub fn label_title(job: &PrintJob) -> &'static str {
    if job.reprint { "棉花质量追溯卡（补打）" } else { "棉花质量追溯卡" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn label_weights_carry_two_decimals_whatever_the_job_sends() {
        let job = PrintJob {
            card: PrintCard {
                card_no: "TC2600000000011".into(),
                season: 2026,
                ticket_no: "T1".into(),
                grower_name: "张建国".into(),
                unit_name: "单户追溯单元".into(),
                gross_kg: dec!(1000),
                tare_kg: dec!(100.5),
                net_kg: dec!(899.5),
                lint_yield_pct: Some(dec!(38)),
                target_lint_kg: dec!(341.81),
                processable_bales: 2,
                module_type: cotton_domain::processing::ModuleType::Loose,
                module_count: 0,
            },
            enterprise_name: "一号轧花厂".into(),
            copies: 1,
            reprint: false,
            printed_at: chrono::DateTime::parse_from_rfc3339("2026-10-02T08:15:00.123456789Z").unwrap().with_timezone(&chrono::Utc),
        };
        let lines: std::collections::HashMap<_, _> = label_lines(&job).into_iter().collect();
        assert_eq!(lines["毛重/皮重/净重"], "1000.00 / 100.50 / 899.50 kg");
        assert_eq!(lines["公定衣分率"], "38.00%");
        assert_eq!(lines["折皮棉公定重量"], "341.81 kg（可加工2包）");
    }
}
