//! The processing interface (rules §7 export, §8 processing): the records that
//! cross between the platform and the collector devices on a gin line.
//!
//! Every collector — the file-based IV and V devices and the online VI devices —
//! is adapted by a driver plugin to **these** records, so the platform has one
//! processing model whatever the hardware:
//!
//! - platform → device: a [`CardExport`] of [`ExportedCard`]s (the cards of the
//!   enterprise that are not yet processed, for one production line);
//! - device → platform: a [`RecordUpload`] of [`ProcessingRecord`]s (scan, delay
//!   entered, bale pressed, card ended, card finished, reprocess).
//!
//! # Encoding
//!
//! The serde form is the plugin wire format (JSON, version
//! [`PROCESSING_WIRE_VERSION`]): field names in `camelCase`, enums in
//! `SCREAMING_SNAKE_CASE`, decimals as strings (`"3907.56"`), times as RFC 3339
//! in UTC. A processing record is an object with `seq`, `at` and a `type` tag plus
//! the fields of its kind, e.g.
//!
//! ```json
//! {"seq":7,"at":"2026-10-02T08:15:00Z","type":"BALE_PRESSED",
//!  "barcode":"65001202600000001","netKg":"227.50","moisturePct":"7.8","cardNo":"TC2600000000011"}
//! ```
//!
//! # Validation
//!
//! Nothing read from a device is trusted: [`CardExport::validate`] and
//! [`RecordUpload::validate`] check every field (card numbers with their check
//! digit, weights, percentages, the per-model limit of cards per scan, strictly
//! increasing sequence numbers) and return a Chinese [`RuleError`] naming the
//! first bad record.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::card_no::normalize_card_no;
use crate::weights::{validate_moisture_pct, validate_weight_kg};
use crate::{RuleError, decimal_places};

/// Version of the JSON encoding of these records. Bumped on any incompatible
/// change; additive, optional fields do not bump it.
pub const PROCESSING_WIRE_VERSION: u32 = 1;
/// Cards one scan may carry on IV and V devices (rules §5).
pub const MAX_CARDS_PER_SCAN_FILE: usize = 10;
/// Cards one scan may carry on VI devices (rules §5).
pub const MAX_CARDS_PER_SCAN_ONLINE: usize = 20;
/// Most cards one export may carry.
pub const MAX_EXPORT_CARDS: usize = 100_000;
/// Most records one upload may carry.
pub const MAX_UPLOAD_RECORDS: usize = 1_000_000;
/// Largest delay bale count an operator may enter.
pub const MAX_DELAY_BALES: u32 = 1_000;
/// Heaviest net weight accepted for one lint bale, kg (a nominal bale is 227 kg).
pub const MAX_BALE_NET_KG: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);
/// Longest bale barcode, characters.
pub const MAX_BARCODE_LEN: usize = 32;

/// The collector types of rules §0. Serialised as `"IV"`, `"V"`, `"VI"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CollectorModel {
    #[serde(rename = "IV")]
    Iv,
    #[serde(rename = "V")]
    V,
    #[serde(rename = "VI")]
    Vi,
}

impl CollectorModel {
    pub const ALL: [CollectorModel; 3] = [CollectorModel::Iv, CollectorModel::V, CollectorModel::Vi];

    /// `"IV"`, `"V"`, `"VI"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectorModel::Iv => "IV",
            CollectorModel::V => "V",
            CollectorModel::Vi => "VI",
        }
    }

    /// Inverse of [`CollectorModel::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// VI devices talk to the platform online; IV and V exchange files.
    pub fn is_online(self) -> bool {
        self == CollectorModel::Vi
    }

    /// Cards one scan may carry by default: 10 on IV and V, 20 on VI (rules §5,
    /// the manual). The season rules may change it (`SeasonRules::cards_per_scan`).
    pub fn max_cards_per_scan(self) -> usize {
        if self.is_online() {
            MAX_CARDS_PER_SCAN_ONLINE
        } else {
            MAX_CARDS_PER_SCAN_FILE
        }
    }

    /// The most cards a season's rule may allow in one scan on this model: what
    /// a device record is checked against (the rule itself is judged by the line).
    pub fn cards_per_scan_cap(self) -> usize {
        if self.is_online() {
            crate::season::MAX_CARDS_PER_SCAN_VI as usize
        } else {
            crate::season::MAX_CARDS_PER_SCAN_IV_V as usize
        }
    }
}

/// How the seed cotton of a ticket was delivered. Serialised as
/// `"ROUND_MODULE"`, `"RECTANGULAR_MODULE"`, `"LOOSE"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModuleType {
    RoundModule,
    RectangularModule,
    Loose,
}

impl ModuleType {
    pub const ALL: [ModuleType; 3] = [ModuleType::RoundModule, ModuleType::RectangularModule, ModuleType::Loose];

    /// `"ROUND_MODULE"`, `"RECTANGULAR_MODULE"`, `"LOOSE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleType::RoundModule => "ROUND_MODULE",
            ModuleType::RectangularModule => "RECTANGULAR_MODULE",
            ModuleType::Loose => "LOOSE",
        }
    }

    /// Inverse of [`ModuleType::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// 圆模块, 方模块, 散装籽棉.
    pub fn label_zh(self) -> &'static str {
        match self {
            ModuleType::RoundModule => "圆模块",
            ModuleType::RectangularModule => "方模块",
            ModuleType::Loose => "散装籽棉",
        }
    }
}

/// One trace card as a collector device needs it (rules §7 export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedCard {
    /// Canonical card number, e.g. `TC2600000123452`.
    pub card_no: String,
    /// The purchase weigh ticket the card was printed for.
    pub ticket_no: String,
    /// The grower (棉花实际种植者) of the ticket.
    pub grower_name: String,
    /// The trace unit the ticket's plots belong to: its id and name.
    pub unit_id: String,
    pub unit_name: String,
    /// 折皮棉公定重量: the lint the card may receive, kg (> 0, 2 decimals).
    pub target_lint_kg: Decimal,
    /// ceil(target / nominal bale weight), ≥ 1.
    pub processable_bales: u32,
    pub module_type: ModuleType,
    /// 棉膜件数 (0 for loose cotton).
    pub module_count: u32,
}

/// What a production line's collector receives: every not-yet-processed card of
/// the enterprise, for one line (rules §7). For VI devices the same data is
/// pulled online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardExport {
    /// The production line the export is for; see [`validate_line_id`].
    pub line_id: String,
    pub model: CollectorModel,
    /// Code of the ginning enterprise.
    pub enterprise_code: String,
    pub issued_at: DateTime<Utc>,
    pub cards: Vec<ExportedCard>,
    /// The enterprise's verification account (校验账号) for offline checks of a
    /// reprocess on the device: the name and the Argon2id hash, never the
    /// password. Absent when the enterprise has not set one (the device then
    /// refuses every reprocess).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<VerifierCredential>,
    /// The conditioning standards (R0, Z0) of the seasons of the exported cards,
    /// so the device computes a bale's conditioned weight — and so when a card
    /// finishes — exactly as the platform does. A season missing here counts
    /// with the defaults of rules §5 (8.5 %, 2.5 %).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standards: Vec<SeasonStandards>,
}

/// Longest Argon2id PHC string an export may carry.
pub const MAX_PASSWORD_HASH_LEN: usize = 160;

/// The verification account as an export carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifierCredential {
    /// The account name (an account name: 3–32 letters, digits, `_`, `.`, `-`).
    pub username: String,
    /// Argon2id PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
    pub password_hash: String,
}

impl VerifierCredential {
    /// A valid account name and an Argon2id PHC string of printable ASCII (at
    /// most [`MAX_PASSWORD_HASH_LEN`] characters, no spaces).
    pub fn validate(&self) -> Result<(), RuleError> {
        let name = crate::orgs::validate_username(&self.username)
            .map_err(|e| RuleError::invalid(format!("校验账号：{e}")))?;
        if name != self.username {
            return Err(RuleError::invalid("校验账号首尾不能有空格"));
        }
        let h = &self.password_hash;
        if !h.starts_with("$argon2id$")
            || h.len() > MAX_PASSWORD_HASH_LEN
            || !h.bytes().all(|b| b.is_ascii_graphic())
            || h.split('$').count() < 5
        {
            return Err(RuleError::invalid("校验账号的密码摘要应为Argon2id格式（PHC字符串）"));
        }
        Ok(())
    }
}

/// The season rules a device applies itself (rules §5): the conditioning
/// standards and the cards one scan may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeasonStandards {
    pub season: i32,
    /// R0, %.
    pub standard_moisture_pct: Decimal,
    /// Z0, %.
    pub standard_trash_pct: Decimal,
    /// Cards per scan on IV and V devices; absent: the manual's 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cards_per_scan_iv_v: Option<u32>,
    /// Cards per scan on VI devices; absent: the manual's 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cards_per_scan_vi: Option<u32>,
}

impl SeasonStandards {
    /// The defaults of rules §5: R0 = 8.5 %, Z0 = 2.5 %, the manual's cards per scan.
    pub fn defaults(season: i32) -> Self {
        Self::from_rules(&crate::season::SeasonRules::defaults(season))
    }

    /// What a device needs of a season's rules.
    pub fn from_rules(r: &crate::season::SeasonRules) -> Self {
        SeasonStandards {
            season: r.season,
            standard_moisture_pct: r.standard_moisture_pct,
            standard_trash_pct: r.standard_trash_pct,
            cards_per_scan_iv_v: Some(r.cards_per_scan_iv_v),
            cards_per_scan_vi: Some(r.cards_per_scan_vi),
        }
    }

    /// Cards one scan may carry on a device of `model` (the manual's figure when absent).
    pub fn cards_per_scan(&self, model: CollectorModel) -> usize {
        let rule = if model.is_online() { self.cards_per_scan_vi } else { self.cards_per_scan_iv_v };
        rule.map(|n| n as usize).unwrap_or_else(|| model.max_cards_per_scan())
    }

    /// The standards of `season` in `list`, else the defaults.
    pub fn of(list: &[SeasonStandards], season: i32) -> Self {
        list.iter().find(|s| s.season == season).copied().unwrap_or_else(|| Self::defaults(season))
    }

    /// Season 2000..=2100; R0 and Z0 in [0, 100) with at most 4 decimals; cards
    /// per scan 1..=10 (IV, V) and 1..=100 (VI).
    pub fn validate(&self) -> Result<(), RuleError> {
        crate::season::validate_season(self.season)?;
        for (v, model) in [(self.cards_per_scan_iv_v, CollectorModel::Iv), (self.cards_per_scan_vi, CollectorModel::Vi)] {
            let cap = model.cards_per_scan_cap() as u32;
            if let Some(n) = v.filter(|n| !(1..=cap).contains(n)) {
                return Err(RuleError::invalid(format!("{}年度每次扫描追溯卡数应为1至{cap}，当前为{n}", self.season)));
            }
        }
        for (v, what) in [(self.standard_moisture_pct, "标准回潮率"), (self.standard_trash_pct, "标准含杂率")] {
            if v < Decimal::ZERO || v >= Decimal::ONE_HUNDRED || decimal_places(v.normalize()) > 4 {
                return Err(RuleError::invalid(format!(
                    "{}年度{what}应在0至100之间且最多4位小数，当前为{v}",
                    self.season
                )));
            }
        }
        Ok(())
    }
}

/// One thing that happened on the line, as the device recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingRecord {
    /// The device's sequence number: strictly increasing within a line, so the
    /// platform can tell a re-upload (same `seq`) from a new record.
    pub seq: u64,
    /// When it happened; for a bale, the press time.
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: ProcessingEvent,
}

/// The kinds of [`ProcessingRecord`]. Tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProcessingEvent {
    /// Card numbers scanned together, judged in order (rules §8).
    #[serde(rename_all = "camelCase")]
    Scan { card_nos: Vec<String> },
    /// The operator entered a delay bale count for a card (请企业输入当前加工需要延迟的包数).
    #[serde(rename_all = "camelCase")]
    DelayEntered { card_no: String, count: u32 },
    /// The press labelled a bale. `card_no` is the card it was assigned to, or
    /// `None` when the bale did not take part in tracing (delay bale, no card).
    #[serde(rename_all = "camelCase")]
    BalePressed {
        barcode: String,
        net_kg: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moisture_pct: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card_no: Option<String>,
    },
    /// "结束": the operator ended the head card by hand.
    #[serde(rename_all = "camelCase")]
    CardEnded { card_no: String },
    /// The card reached its target and finished by itself.
    #[serde(rename_all = "camelCase")]
    CardFinished { card_no: String },
    /// A finished card re-queued with the enterprise's verification account
    /// (校验账号, checked on the device; the password never leaves it).
    #[serde(rename_all = "camelCase")]
    Reprocess { card_no: String, verifier: String },
}

impl ProcessingEvent {
    /// `"SCAN"`, `"DELAY_ENTERED"`, `"BALE_PRESSED"`, `"CARD_ENDED"`,
    /// `"CARD_FINISHED"`, `"REPROCESS"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ProcessingEvent::Scan { .. } => "SCAN",
            ProcessingEvent::DelayEntered { .. } => "DELAY_ENTERED",
            ProcessingEvent::BalePressed { .. } => "BALE_PRESSED",
            ProcessingEvent::CardEnded { .. } => "CARD_ENDED",
            ProcessingEvent::CardFinished { .. } => "CARD_FINISHED",
            ProcessingEvent::Reprocess { .. } => "REPROCESS",
        }
    }
}

/// What a device sends back: its records for one line (rules §8 upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordUpload {
    pub line_id: String,
    pub model: CollectorModel,
    /// The device's own identifier (serial number), for the operator.
    pub device_id: String,
    pub written_at: DateTime<Utc>,
    pub records: Vec<ProcessingRecord>,
}

/// A production line id as it appears in files: 1..=32 ASCII letters, digits,
/// `-` or `_`.
pub fn validate_line_id(id: &str) -> Result<(), RuleError> {
    let n = id.len();
    if n == 0 || n > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(RuleError::invalid(format!(
            "生产线编号应为1至32位英文字母、数字、“-”或“_”，当前为“{}”",
            shorten(id)
        )));
    }
    Ok(())
}

/// A device id: 1..=32 printable ASCII characters without spaces.
pub fn validate_device_id(id: &str) -> Result<(), RuleError> {
    let n = id.len();
    if n == 0 || n > 32 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RuleError::invalid(format!(
            "采集器编号应为1至32位可见英文字符，当前为“{}”",
            shorten(id)
        )));
    }
    Ok(())
}

/// A bale barcode: 1..=32 ASCII letters and digits.
pub fn validate_barcode(code: &str) -> Result<(), RuleError> {
    let n = code.len();
    if n == 0 || n > MAX_BARCODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(RuleError::invalid(format!(
            "棉包条码应为1至{MAX_BARCODE_LEN}位英文字母或数字，当前为“{}”",
            shorten(code)
        )));
    }
    Ok(())
}

/// A card number exactly as the platform writes it (see
/// [`crate::card_no::normalize_card_no`]): files carry canonical numbers only.
pub fn validate_canonical_card_no(s: &str) -> Result<(), RuleError> {
    let canonical = normalize_card_no(s)?;
    if canonical != s {
        return Err(RuleError::invalid(format!(
            "追溯卡号应写作“{canonical}”，当前为“{}”",
            shorten(s)
        )));
    }
    Ok(())
}

/// At most 40 characters of a bad value, for an error message.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    }
}

/// A name in a file: 1..=64 characters, no control characters, no surrounding
/// whitespace.
fn validate_text(s: &str, what: &str) -> Result<(), RuleError> {
    let checked = crate::orgs::validate_name(s, what)?;
    if checked != s {
        return Err(RuleError::invalid(format!("{what}首尾不能有空格")));
    }
    Ok(())
}

/// An identifier in a file (ticket number, unit id): 1..=32 printable ASCII
/// characters without spaces.
fn validate_ident(s: &str, what: &str) -> Result<(), RuleError> {
    let n = s.len();
    if n == 0 || n > 32 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RuleError::invalid(format!(
            "{what}应为1至32位可见英文字符，当前为“{}”",
            shorten(s)
        )));
    }
    Ok(())
}

impl ExportedCard {
    /// Checks every field: canonical card number, ticket and unit ids, names,
    /// target > 0 kg with at most 2 decimals, at least one processable bale.
    pub fn validate(&self) -> Result<(), RuleError> {
        validate_canonical_card_no(&self.card_no)?;
        validate_ident(&self.ticket_no, "磅单号")?;
        validate_text(&self.grower_name, "种植者姓名")?;
        validate_ident(&self.unit_id, "追溯单元编号")?;
        validate_text(&self.unit_name, "追溯单元名称")?;
        validate_weight_kg(self.target_lint_kg, "折皮棉公定重量")?;
        if self.target_lint_kg <= Decimal::ZERO {
            return Err(RuleError::invalid(format!(
                "追溯卡{}的折皮棉公定重量必须大于0千克",
                self.card_no
            )));
        }
        if self.processable_bales == 0 {
            return Err(RuleError::invalid(format!(
                "追溯卡{}的可加工包数必须大于0",
                self.card_no
            )));
        }
        if self.module_count > 10_000 {
            return Err(RuleError::invalid(format!(
                "追溯卡{}的棉膜件数过大：{}",
                self.card_no, self.module_count
            )));
        }
        Ok(())
    }
}

impl CardExport {
    /// Checks the line id, the enterprise code, the verification account and the
    /// season standards when present, every card, that no card number appears
    /// twice and that there are at most [`MAX_EXPORT_CARDS`] cards.
    /// The message names the first bad card (1-based).
    pub fn validate(&self) -> Result<(), RuleError> {
        validate_line_id(&self.line_id)?;
        crate::orgs::validate_org_code(&self.enterprise_code)?;
        if self.cards.len() > MAX_EXPORT_CARDS {
            return Err(RuleError::invalid(format!(
                "一次最多导出{MAX_EXPORT_CARDS}张追溯卡，当前为{}张",
                self.cards.len()
            )));
        }
        if let Some(v) = &self.verifier {
            v.validate()?;
        }
        let mut seasons = HashSet::new();
        for st in &self.standards {
            st.validate()?;
            if !seasons.insert(st.season) {
                return Err(RuleError::invalid(format!("{}年度的标准重复", st.season)));
            }
        }
        let mut seen = HashSet::with_capacity(self.cards.len());
        for (i, card) in self.cards.iter().enumerate() {
            card.validate()
                .map_err(|e| RuleError::invalid(format!("第{}张追溯卡：{e}", i + 1)))?;
            if !seen.insert(card.card_no.as_str()) {
                return Err(RuleError::invalid(format!(
                    "第{}张追溯卡：卡号{}重复",
                    i + 1,
                    card.card_no
                )));
            }
        }
        Ok(())
    }
}

impl ProcessingRecord {
    /// Checks the record for a device of `model`: canonical card numbers, 1 to
    /// `model.cards_per_scan_cap()` cards in a scan (the season's own rule is
    /// judged when the line replays the scan), delay 0..=[`MAX_DELAY_BALES`],
    /// bale barcode, net 0 < kg ≤ [`MAX_BALE_NET_KG`] with at most 2 decimals,
    /// moisture regain in [0, 100), a verifier account name.
    pub fn validate(&self, model: CollectorModel) -> Result<(), RuleError> {
        match &self.event {
            ProcessingEvent::Scan { card_nos } => {
                let max = model.cards_per_scan_cap();
                if card_nos.is_empty() {
                    return Err(RuleError::invalid("扫描记录中没有追溯卡号"));
                }
                if card_nos.len() > max {
                    return Err(RuleError::invalid(format!(
                        "{}型采集器一次最多扫描{max}张追溯卡，当前为{}张",
                        model.as_str(),
                        card_nos.len()
                    )));
                }
                for c in card_nos {
                    validate_canonical_card_no(c)?;
                }
            }
            ProcessingEvent::DelayEntered { card_no, count } => {
                validate_canonical_card_no(card_no)?;
                // 0 is a real answer to 请企业输入当前加工需要延迟的包数:
                // no delay, the card takes the next bale.
                if *count > MAX_DELAY_BALES {
                    return Err(RuleError::invalid(format!(
                        "延迟包数应为0至{MAX_DELAY_BALES}，当前为{count}"
                    )));
                }
            }
            ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, card_no } => {
                validate_barcode(barcode)?;
                validate_weight_kg(*net_kg, "棉包净重")?;
                if *net_kg <= Decimal::ZERO || *net_kg > MAX_BALE_NET_KG {
                    return Err(RuleError::invalid(format!(
                        "棉包{barcode}的净重应大于0且不超过{MAX_BALE_NET_KG}千克，当前为{net_kg}千克"
                    )));
                }
                if let Some(m) = moisture_pct {
                    validate_moisture_pct(*m)?;
                    if decimal_places(*m) > 2 {
                        return Err(RuleError::invalid(format!(
                            "棉包{barcode}的回潮率最多保留2位小数，当前为{m}"
                        )));
                    }
                }
                if let Some(c) = card_no {
                    validate_canonical_card_no(c)?;
                }
            }
            ProcessingEvent::CardEnded { card_no } | ProcessingEvent::CardFinished { card_no } => {
                validate_canonical_card_no(card_no)?;
            }
            ProcessingEvent::Reprocess { card_no, verifier } => {
                validate_canonical_card_no(card_no)?;
                crate::orgs::validate_username(verifier)
                    .map_err(|e| RuleError::invalid(format!("校验账号：{e}")))?;
            }
        }
        Ok(())
    }
}

impl RecordUpload {
    /// Checks the line and device ids, every record for the upload's model, that
    /// sequence numbers strictly increase and that there are at most
    /// [`MAX_UPLOAD_RECORDS`] records. The message names the first bad record.
    pub fn validate(&self) -> Result<(), RuleError> {
        validate_line_id(&self.line_id)?;
        validate_device_id(&self.device_id)?;
        if self.records.len() > MAX_UPLOAD_RECORDS {
            return Err(RuleError::invalid(format!(
                "一次最多上传{MAX_UPLOAD_RECORDS}条加工记录，当前为{}条",
                self.records.len()
            )));
        }
        let mut last: Option<u64> = None;
        for r in &self.records {
            r.validate(self.model)
                .map_err(|e| RuleError::invalid(format!("第{}条加工记录（{}）：{e}", r.seq, r.event.type_name())))?;
            if let Some(prev) = last
                && r.seq <= prev
            {
                return Err(RuleError::invalid(format!(
                    "加工记录序号必须递增：{} 之后出现 {}",
                    prev, r.seq
                )));
            }
            last = Some(r.seq);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_no::format_card_no;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn t(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(s))
    }

    fn card(serial: u64) -> ExportedCard {
        ExportedCard {
            card_no: format_card_no(2026, serial),
            ticket_no: format!("BD{serial:06}"),
            grower_name: "张三".into(),
            unit_id: "U17".into(),
            unit_name: "一连自由组团1号".into(),
            target_lint_kg: dec!(3907.56),
            processable_bales: 18,
            module_type: ModuleType::RoundModule,
            module_count: 12,
        }
    }

    fn export() -> CardExport {
        CardExport {
            line_id: "L1".into(),
            model: CollectorModel::Iv,
            enterprise_code: "65001".into(),
            issued_at: t(0),
            cards: vec![card(1), card(2)],
            verifier: None,
            standards: vec![],
        }
    }

    fn rec(seq: u64, event: ProcessingEvent) -> ProcessingRecord {
        ProcessingRecord { seq, at: t(seq as u32), event }
    }

    fn upload(model: CollectorModel, records: Vec<ProcessingRecord>) -> RecordUpload {
        RecordUpload { line_id: "L1".into(), model, device_id: "SN-0001".into(), written_at: t(100), records }
    }

    fn all_kinds() -> Vec<ProcessingRecord> {
        let c1 = format_card_no(2026, 1);
        vec![
            rec(1, ProcessingEvent::Scan { card_nos: vec![c1.clone(), format_card_no(2026, 2)] }),
            rec(2, ProcessingEvent::DelayEntered { card_no: c1.clone(), count: 2 }),
            rec(3, ProcessingEvent::BalePressed { barcode: "6500120260001".into(), net_kg: dec!(227.5), moisture_pct: Some(dec!(7.8)), card_no: None }),
            rec(4, ProcessingEvent::BalePressed { barcode: "6500120260002".into(), net_kg: dec!(226), moisture_pct: None, card_no: Some(c1.clone()) }),
            rec(5, ProcessingEvent::CardEnded { card_no: c1.clone() }),
            rec(6, ProcessingEvent::CardFinished { card_no: c1.clone() }),
            rec(7, ProcessingEvent::Reprocess { card_no: c1, verifier: "qts65001".into() }),
        ]
    }

    #[test]
    fn models_and_module_types() {
        assert_eq!(CollectorModel::parse("VI"), Some(CollectorModel::Vi));
        assert_eq!(CollectorModel::parse("vi"), None);
        assert_eq!(CollectorModel::Iv.max_cards_per_scan(), 10);
        assert_eq!(CollectorModel::V.max_cards_per_scan(), 10);
        assert_eq!(CollectorModel::Vi.max_cards_per_scan(), 20);
        assert!(CollectorModel::Vi.is_online() && !CollectorModel::V.is_online());
        assert_eq!(serde_json::to_string(&CollectorModel::Iv).unwrap(), "\"IV\"");
        for m in ModuleType::ALL {
            assert_eq!(ModuleType::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }

    #[test]
    fn export_validates() {
        assert_eq!(export().validate(), Ok(()));
        let mut e = export();
        e.cards[1].card_no = e.cards[0].card_no.clone();
        assert!(e.validate().unwrap_err().to_string().contains("第2张追溯卡：卡号TC2600000000011重复"));
        let mut e = export();
        e.cards[0].card_no = "tc2600000000011".into();
        assert!(e.validate().unwrap_err().to_string().contains("应写作“TC2600000000011”"));
        let mut e = export();
        e.cards[0].card_no = "TC2600000000012".into();
        assert!(e.validate().is_err());
        let mut e = export();
        e.cards[0].target_lint_kg = dec!(0);
        assert!(e.validate().is_err());
        let mut e = export();
        e.cards[0].target_lint_kg = dec!(1.005);
        assert!(e.validate().is_err());
        let mut e = export();
        e.cards[0].processable_bales = 0;
        assert!(e.validate().is_err());
        let mut e = export();
        e.cards[0].grower_name = " 张三".into();
        assert!(e.validate().is_err());
        let mut e = export();
        e.cards[0].unit_name = "a\nb".into();
        assert!(e.validate().is_err());
        let mut e = export();
        e.line_id = "L 1".into();
        assert!(e.validate().unwrap_err().to_string().contains("生产线编号"));
        let mut e = export();
        e.cards.clear();
        assert_eq!(e.validate(), Ok(()), "an export with no card is valid");
    }

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$q0aNmVl1bJ0Wb3xwY5HqzVhYvR3o3W3xX1JdR6uC2aA";

    #[test]
    fn verifier_and_standards_in_exports() {
        let mut e = export();
        e.verifier = Some(VerifierCredential { username: "qts65001".into(), password_hash: HASH.into() });
        e.standards = vec![SeasonStandards::defaults(2026)];
        assert_eq!(e.validate(), Ok(()));
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["verifier"], serde_json::json!({"username":"qts65001","passwordHash":HASH}));
        assert_eq!(
            j["standards"][0],
            serde_json::json!({"season":2026,"standardMoisturePct":"8.5","standardTrashPct":"2.5","cardsPerScanIvV":10,"cardsPerScanVi":20})
        );
        let back: CardExport = serde_json::from_value(j).unwrap();
        assert_eq!(back, e);
        // Absent fields are omitted and read back as absent (additive).
        let plain = serde_json::to_value(export()).unwrap();
        assert!(plain.get("verifier").is_none() && plain.get("standards").is_none());
        let bad = |f: &dyn Fn(&mut CardExport)| {
            let mut x = e.clone();
            f(&mut x);
            x.validate().is_err()
        };
        assert!(bad(&|x| x.verifier.as_mut().unwrap().password_hash = "Cotton@2026".into()), "a plain password is refused");
        assert!(bad(&|x| x.verifier.as_mut().unwrap().password_hash = format!("{HASH} ")));
        assert!(bad(&|x| x.verifier.as_mut().unwrap().password_hash = format!("$argon2id${}", "a".repeat(200))));
        assert!(bad(&|x| x.verifier.as_mut().unwrap().username = "x".into()));
        assert!(bad(&|x| x.verifier.as_mut().unwrap().username = " qts65001".into()));
        assert!(bad(&|x| x.standards[0].standard_moisture_pct = dec!(100)));
        assert!(bad(&|x| x.standards[0].standard_trash_pct = dec!(-1)));
        assert!(bad(&|x| x.standards[0].standard_trash_pct = dec!(2.55555)));
        assert!(bad(&|x| x.standards[0].season = 1999));
        assert!(bad(&|x| x.standards[0].cards_per_scan_iv_v = Some(11)), "an IV device holds 10 cards a scan");
        assert!(bad(&|x| x.standards[0].cards_per_scan_vi = Some(0)));
        assert!(bad(&|x| x.standards.push(x.standards[0])));
        assert_eq!(SeasonStandards::of(&e.standards, 2027), SeasonStandards::defaults(2027));
        assert_eq!(SeasonStandards::defaults(2027).standard_moisture_pct, dec!(8.5));
    }

    #[test]
    fn records_validate() {
        assert_eq!(upload(CollectorModel::Iv, all_kinds()).validate(), Ok(()));
        let scan = |n: u64| rec(1, ProcessingEvent::Scan { card_nos: (1..=n).map(|s| format_card_no(2026, s)).collect() });
        assert_eq!(scan(10).validate(CollectorModel::Iv), Ok(()));
        assert_eq!(
            scan(11).validate(CollectorModel::V).unwrap_err().to_string(),
            "V型采集器一次最多扫描10张追溯卡，当前为11张"
        );
        assert_eq!(scan(20).validate(CollectorModel::Vi), Ok(()));
        // VI records are checked against the highest rule a season may set (100);
        // the season's own figure (default 20) is judged by the line.
        assert_eq!(scan(100).validate(CollectorModel::Vi), Ok(()));
        assert!(scan(101).validate(CollectorModel::Vi).is_err());
        assert!(scan(0).validate(CollectorModel::Vi).is_err());

        let bale = |net: Decimal, m: Option<Decimal>, code: &str| {
            rec(1, ProcessingEvent::BalePressed { barcode: code.into(), net_kg: net, moisture_pct: m, card_no: None })
                .validate(CollectorModel::Iv)
        };
        assert!(bale(dec!(227), None, "B1").is_ok());
        assert!(bale(dec!(1000), Some(dec!(99.99)), "B1").is_ok());
        assert!(bale(dec!(0), None, "B1").is_err());
        assert!(bale(dec!(1000.01), None, "B1").is_err());
        assert!(bale(dec!(227.001), None, "B1").is_err());
        assert!(bale(dec!(227), Some(dec!(100)), "B1").is_err());
        assert!(bale(dec!(227), Some(dec!(8.123)), "B1").is_err());
        assert!(bale(dec!(227), None, "").is_err());
        assert!(bale(dec!(227), None, "B-1").is_err());
        assert!(bale(dec!(227), None, &"9".repeat(33)).is_err());

        let delay = |n| rec(1, ProcessingEvent::DelayEntered { card_no: format_card_no(2026, 1), count: n }).validate(CollectorModel::V);
        assert!(delay(0).is_ok() && delay(1).is_ok() && delay(1000).is_ok() && delay(1001).is_err());
        assert!(
            rec(1, ProcessingEvent::Reprocess { card_no: format_card_no(2026, 1), verifier: "x".into() })
                .validate(CollectorModel::V)
                .unwrap_err()
                .to_string()
                .starts_with("校验账号：")
        );

        let mut recs = all_kinds();
        recs[3].seq = 2;
        assert_eq!(
            upload(CollectorModel::Iv, recs).validate().unwrap_err().to_string(),
            "加工记录序号必须递增：3 之后出现 2"
        );
        let mut u = upload(CollectorModel::Iv, all_kinds());
        u.device_id = "".into();
        assert!(u.validate().is_err());
        let mut recs = all_kinds();
        recs[4].event = ProcessingEvent::CardEnded { card_no: "TC2600000000019".into() };
        assert!(upload(CollectorModel::Iv, recs).validate().unwrap_err().to_string().starts_with("第5条加工记录（CARD_ENDED）："));
    }

    #[test]
    fn wire_format_is_documented_json() {
        let r = rec(
            7,
            ProcessingEvent::BalePressed {
                barcode: "65001202600000001".into(),
                net_kg: dec!(227.50),
                moisture_pct: Some(dec!(7.8)),
                card_no: Some("TC2600000000011".into()),
            },
        );
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"seq":7,"at":"2026-10-02T08:00:07Z","type":"BALE_PRESSED",
                "barcode":"65001202600000001","netKg":"227.50","moisturePct":"7.8","cardNo":"TC2600000000011"})
        );
        let s = rec(1, ProcessingEvent::Scan { card_nos: vec!["TC2600000000011".into()] });
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"seq":1,"at":"2026-10-02T08:00:01Z","type":"SCAN","cardNos":["TC2600000000011"]})
        );
        let c = serde_json::to_value(card(1)).unwrap();
        assert_eq!(c["cardNo"], "TC2600000000011");
        assert_eq!(c["targetLintKg"], "3907.56");
        assert_eq!(c["moduleType"], "ROUND_MODULE");
        // Round trips.
        for r in all_kinds() {
            let back: ProcessingRecord = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
            assert_eq!(back, r);
        }
        let e = export();
        let back: CardExport = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        // A bale without moisture or card omits the fields and reads back.
        let b: ProcessingRecord = serde_json::from_str(
            r#"{"seq":3,"at":"2026-10-02T08:00:03Z","type":"BALE_PRESSED","barcode":"B1","netKg":"226"}"#,
        )
        .unwrap();
        assert_eq!(
            b.event,
            ProcessingEvent::BalePressed { barcode: "B1".into(), net_kg: dec!(226), moisture_pct: None, card_no: None }
        );
        assert!(serde_json::from_str::<ProcessingRecord>(r#"{"seq":3,"at":"2026-10-02T08:00:03Z","type":"EXPLODE"}"#).is_err());
    }
}
