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

/// A trace card as the label shows it (rules §7): card number (printed as
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

/// One line of a label as the host sends it: a caption and its value, printed
/// as `label：value` (a full-width colon), e.g. `种植者：张三丰`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelLine {
    pub label: String,
    pub value: String,
}

impl LabelLine {
    /// `label：value`, as every project printer prints it.
    pub fn text(&self) -> String {
        format!("{}：{}", self.label, self.value)
    }
}

/// One print request. Build it with [`PrintJob::new`]: that is how the host
/// builds every job it sends, so the weights have 2 decimals and the label's
/// `title` and `lines` are filled in.
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
    /// When the label is printed, UTC, as the host's clock gives it (RFC 3339
    /// with the fraction of the second: up to 9 digits, none when it is whole).
    pub printed_at: DateTime<Utc>,
    /// The label's title, ready to print: `棉花质量追溯卡`, or
    /// `棉花质量追溯卡（补打）` on a reprint. Sent by every host since the field
    /// was added (wire version 1, additive); empty when an older host sent none,
    /// and then the Rust SDK fills it in before the driver sees the job.
    #[serde(default)]
    pub title: String,
    /// The label's text lines, ready to print in this order (the first one is
    /// always `追溯卡号` with the card number). Same note as `title`: the Rust
    /// SDK fills them in when an older host sent none.
    #[serde(default)]
    pub lines: Vec<LabelLine>,
}

/// Rounded (half away from zero) and padded to exactly 2 decimals, as every
/// weight and percentage of a print job is.
fn two_decimals(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

impl PrintJob {
    /// The job the host sends for `card`: gross, tare, lint yield and target
    /// rounded and padded to 2 decimals whatever scale they were stored with,
    /// `net_kg` set to gross − tare (the value passed is ignored), and the
    /// label's [`title`](PrintJob::title) and [`lines`](PrintJob::lines) filled
    /// in from [`label_title`] and [`label_lines`]. The server builds every print
    /// job with this function, and the conformance kit its samples.
    pub fn new(mut card: PrintCard, enterprise_name: String, copies: u32, reprint: bool, printed_at: DateTime<Utc>) -> PrintJob {
        card.gross_kg = two_decimals(card.gross_kg);
        card.tare_kg = two_decimals(card.tare_kg);
        card.net_kg = card.gross_kg - card.tare_kg;
        card.lint_yield_pct = card.lint_yield_pct.map(two_decimals);
        card.target_lint_kg = two_decimals(card.target_lint_kg);
        let mut job = PrintJob { card, enterprise_name, copies, reprint, printed_at, title: String::new(), lines: Vec::new() };
        job.fill_label();
        job
    }

    /// Sets `title` and `lines` from the card (what [`PrintJob::new`] does;
    /// the SDK calls it for a job from a host that sent no lines).
    pub fn fill_label(&mut self) {
        self.title = label_title(self).to_string();
        self.lines = label_lines(self).into_iter().map(|(label, value)| LabelLine { label: label.to_string(), value }).collect();
    }
}

/// Most labels one print job may ask for.
pub const MAX_COPIES: u32 = 100;

/// Most text lines a print job may carry.
pub const MAX_LABEL_LINES: usize = 32;

fn text(s: &str, what: &str) -> Result<(), RuleError> {
    let checked = cotton_domain::orgs::validate_name(s, what)?;
    if checked != s {
        return Err(RuleError::invalid(format!("{what}首尾不能有空格")));
    }
    Ok(())
}

impl PrintJob {
    /// Checks the job: canonical card number, names, ticket number, weights
    /// (≥ 0, 2 decimals, net = gross − tare), 1..=100 copies, and a title and
    /// lines (when sent) of printable text within their limits. The lines are
    /// not compared with [`label_lines`]: a newer host may word them
    /// differently, and a driver prints what it is sent.
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
        let printable = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
        if !self.title.is_empty() && !printable(&self.title, 64) {
            return Err(RuleError::invalid("标签标题应为1至64个可打印字符"));
        }
        if self.lines.len() > MAX_LABEL_LINES {
            return Err(RuleError::invalid(format!("标签行数不能超过{MAX_LABEL_LINES}行")));
        }
        if let Some(bad) = self.lines.iter().find(|l| !printable(&l.label, 32) || !printable(&l.value, 256)) {
            return Err(RuleError::invalid(format!("标签行“{}”无效：标题应为1至32个、内容1至256个可打印字符", bad.label)));
        }
        Ok(())
    }
}

/// The lines every label shows, in order, as (label, value) pairs in Chinese —
/// the same for every printer driver, so labels look alike across printers.
/// The host sends them in the job ([`PrintJob::lines`]); a driver prints those.
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

    fn card() -> PrintCard {
        PrintCard {
            card_no: "TC2600000000011".into(),
            season: 2026,
            ticket_no: "T1".into(),
            grower_name: "张建国".into(),
            unit_name: "单户追溯单元".into(),
            gross_kg: dec!(1000),
            tare_kg: dec!(100.5),
            net_kg: dec!(0),
            lint_yield_pct: Some(dec!(38)),
            target_lint_kg: dec!(341.805),
            processable_bales: 2,
            module_type: cotton_domain::processing::ModuleType::Loose,
            module_count: 0,
        }
    }

    fn at() -> DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-10-02T08:15:00.123456789Z").unwrap().with_timezone(&chrono::Utc)
    }

    #[test]
    fn the_host_sends_two_decimals_and_the_ready_lines() {
        let job = PrintJob::new(card(), "一号轧花厂".into(), 1, false, at());
        job.validate().expect("a job built by the host is valid");
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["card"]["grossKg"], "1000.00");
        assert_eq!(json["card"]["tareKg"], "100.50");
        assert_eq!(json["card"]["netKg"], "899.50");
        assert_eq!(json["card"]["lintYieldPct"], "38.00");
        assert_eq!(json["card"]["targetLintKg"], "341.81");
        assert_eq!(json["printedAt"], "2026-10-02T08:15:00.123456789Z");
        assert_eq!(json["title"], "棉花质量追溯卡");
        let lines: Vec<(String, String)> =
            job.lines.iter().map(|l| (l.label.clone(), l.value.clone())).collect();
        assert_eq!(lines[0], ("追溯卡号".to_string(), "TC2600000000011".to_string()));
        let lines: std::collections::HashMap<_, _> = lines.into_iter().collect();
        assert_eq!(lines["毛重/皮重/净重"], "1000.00 / 100.50 / 899.50 kg");
        assert_eq!(lines["公定衣分率"], "38.00%");
        assert_eq!(lines["折皮棉公定重量"], "341.81 kg（可加工2包）");
        assert_eq!(lines["打印时间"], "2026-10-02 16:15", "Beijing time");
        assert_eq!(json["lines"][1], serde_json::json!({"label": "种植者", "value": "张建国"}));
        let reprint = PrintJob::new(card(), "一号轧花厂".into(), 2, true, at());
        assert_eq!(reprint.title, "棉花质量追溯卡（补打）");
        assert_eq!(reprint.lines.last().unwrap().label, "补打时间");
    }

    #[test]
    fn a_job_without_lines_still_reads_and_bad_lines_are_refused() {
        let job = PrintJob::new(card(), "一号轧花厂".into(), 1, false, at());
        let mut old = serde_json::to_value(&job).unwrap();
        old.as_object_mut().unwrap().remove("lines");
        old.as_object_mut().unwrap().remove("title");
        let mut read: PrintJob = serde_json::from_value(old).unwrap();
        assert!(read.lines.is_empty() && read.title.is_empty());
        read.validate().unwrap();
        read.fill_label();
        assert_eq!(read, job);
        let mut bad = job.clone();
        bad.lines[2].value = "一\n二".into();
        assert!(bad.validate().is_err());
        let mut bad = job.clone();
        bad.lines[2].label = " ".into();
        assert!(bad.validate().is_err());
        let mut bad = job;
        bad.lines = vec![LabelLine { label: "a".into(), value: "b".into() }; MAX_LABEL_LINES + 1];
        assert!(bad.validate().is_err());
    }
}
