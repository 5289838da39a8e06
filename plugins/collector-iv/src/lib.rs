//! Type IV collector driver (IV型采集器): **GBK fixed-width text** files with
//! CRLF line ends, as the older Windows devices write them.
//!
//! Every record is one line; fields have fixed widths **in bytes** (a Chinese
//! character is 2 bytes in GBK). Text is left-aligned and space-padded, numbers
//! right-aligned and space-padded, times are Beijing time (UTC+8) as
//! `yyyyMMddHHmmss` (seconds: finer parts are dropped). Text too long for its
//! field is cut at a character boundary; a character GBK cannot represent is
//! written as `?`. A reader pads a short line with spaces (editors strip
//! trailing blanks) and refuses a long one.
//!
//! # Export file (`cards-<line>-<time>.txt`), platform → device
//!
//! | record | field (bytes) |
//! |---|---|
//! | header `H` | `H`(1) version `01`(2) kind `C`(1) line id(32) enterprise code(32) issued at(14) card count(6) |
//! | standards `S` (optional, one per season) | `S`(1) season(4) standard moisture regain R0 %(8, up to 4 decimals) standard trash Z0 %(8, up to 4 decimals) cards per scan on IV/V(2, blank: the manual's 10) |
//! | verifier `V` (optional, at most one) | `V`(1) verification account(32) Argon2id PHC password hash(160) — never the password |
//! | card `D` | `D`(1) card no(15) ticket no(32) grower(32) unit id(32) unit name(60) target lint kg(12, 2 decimals) processable bales(5) module type(1: `Y` round, `F` rectangular, `S` loose) module count(5) |
//! | end `T` | `T`(1) card count(8) — the last line; a file without it is incomplete |
//!
//! The writer puts `S` and `V` lines between the header and the first `D`; the
//! reader takes them anywhere before `T`. They are not counted as cards.
//!
//! # Upload file (`records-<line>-<time>.txt`), device → platform
//!
//! | record | field (bytes) |
//! |---|---|
//! | header `H` | `H`(1) version `01`(2) kind `R`(1) line id(32) device id(32) written at(14) record count(8) |
//! | every record | type(2) seq(12) time(14), then by type: |
//! | `SC` scan | 10 × card no(15), unused slots blank |
//! | `DL` delay entered | card no(15) delay bales(4) |
//! | `BP` bale pressed | barcode(32) net kg(8, 2 decimals) moisture %(6, 2 decimals, blank if unknown) card no(15, blank if not traced) |
//! | `CE` card ended | card no(15) |
//! | `CF` card finished | card no(15) |
//! | `RP` reprocess | card no(15) verifier account(32) |
//! | end `T` | `T`(1) record count(8) — the last line; a file without it is incomplete |
//!
//! Both files end with the platform's signature trailer line (`#CTSIG …`),
//! which the host adds and checks; this driver sees the body only.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use cotton_plugin_abi::cotton_domain::processing::{SeasonStandards, VerifierCredential};
use cotton_plugin_abi::sdk::{CollectorDriver, DriverError};
use cotton_plugin_abi::wire::*;
use encoding_rs::GBK;
use rust_decimal::Decimal;

const VERSION: &str = "01";
const SCAN_SLOTS: usize = 10;
const CARD: usize = 15;

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing()).format("%Y%m%d%H%M%S").to_string()
}

fn fmt_kg(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

/// Writes one fixed-width line.
struct Line {
    buf: Vec<u8>,
}

impl Line {
    fn new(tag: &str) -> Self {
        Line { buf: tag.as_bytes().to_vec() }
    }

    /// GBK text, cut at a character boundary, `?` for what GBK lacks, left-aligned.
    fn text(mut self, s: &str, width: usize) -> Self {
        let mut used = 0;
        let mut tmp = [0u8; 4];
        for ch in s.chars() {
            let (bytes, _, unmappable) = GBK.encode(ch.encode_utf8(&mut tmp));
            let bytes: &[u8] = if unmappable { b"?" } else { &bytes };
            if used + bytes.len() > width {
                break;
            }
            self.buf.extend_from_slice(bytes);
            used += bytes.len();
        }
        self.buf.extend(std::iter::repeat_n(b' ', width - used));
        self
    }

    /// ASCII that must fit, left-aligned.
    fn ascii(mut self, s: &str, width: usize, what: &str) -> Result<Self, DriverError> {
        if !s.is_ascii() || s.len() > width {
            return Err(DriverError::input(format!("{what}“{s}”超出IV型文件的{width}位宽度")));
        }
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend(std::iter::repeat_n(b' ', width - s.len()));
        Ok(self)
    }

    /// A number that must fit, right-aligned.
    fn num(mut self, s: &str, width: usize, what: &str) -> Result<Self, DriverError> {
        if s.len() > width {
            return Err(DriverError::input(format!("{what}“{s}”超出IV型文件的{width}位宽度")));
        }
        self.buf.extend(std::iter::repeat_n(b' ', width - s.len()));
        self.buf.extend_from_slice(s.as_bytes());
        Ok(self)
    }

    fn end(mut self, out: &mut Vec<u8>) {
        self.buf.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.buf);
    }
}

/// Reads one fixed-width line.
struct Fields {
    line: Vec<u8>,
    pos: usize,
    n: usize,
}

impl Fields {
    /// `raw` padded with spaces to `width`; a longer line is refused.
    fn new(n: usize, raw: &[u8], width: usize) -> Result<Self, DriverError> {
        if raw.len() > width {
            return Err(DriverError::input(format!("第{n}行长度为{}字节，超过该记录的{width}字节", raw.len())));
        }
        let mut line = raw.to_vec();
        line.resize(width, b' ');
        Ok(Fields { line, pos: 0, n })
    }

    fn raw(&mut self, width: usize) -> &[u8] {
        let s = &self.line[self.pos..self.pos + width];
        self.pos += width;
        s
    }

    fn bad(&self, what: &str) -> DriverError {
        DriverError::input(format!("第{}行的{what}无法识别", self.n))
    }

    /// GBK text, trimmed.
    fn text(&mut self, width: usize, what: &str) -> Result<String, DriverError> {
        let n = self.n;
        let raw = self.raw(width).to_vec();
        let s = GBK
            .decode_without_bom_handling_and_without_replacement(&raw)
            .ok_or_else(|| DriverError::input(format!("第{n}行的{what}不是有效的GBK文本")))?;
        Ok(s.trim_matches(' ').to_string())
    }

    /// ASCII, trimmed.
    fn ascii(&mut self, width: usize, what: &str) -> Result<String, DriverError> {
        let raw = self.raw(width).to_vec();
        match std::str::from_utf8(&raw) {
            Ok(s) if s.is_ascii() => Ok(s.trim_matches(' ').to_string()),
            _ => Err(self.bad(what)),
        }
    }

    fn opt_ascii(&mut self, width: usize, what: &str) -> Result<Option<String>, DriverError> {
        let s = self.ascii(width, what)?;
        Ok((!s.is_empty()).then_some(s))
    }

    fn uint<T: std::str::FromStr>(&mut self, width: usize, what: &str) -> Result<T, DriverError> {
        let s = self.ascii(width, what)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad(what));
        }
        s.parse().map_err(|_| self.bad(what))
    }

    fn decimal(&mut self, width: usize, what: &str) -> Result<Option<Decimal>, DriverError> {
        let s = self.ascii(width, what)?;
        if s.is_empty() {
            return Ok(None);
        }
        if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(self.bad(what));
        }
        s.parse::<Decimal>().map(Some).map_err(|_| self.bad(what))
    }

    fn time(&mut self, what: &str) -> Result<DateTime<Utc>, DriverError> {
        let s = self.ascii(14, what)?;
        let naive = NaiveDateTime::parse_from_str(&s, "%Y%m%d%H%M%S").map_err(|_| self.bad(what))?;
        beijing()
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| self.bad(what))
    }
}

/// Splits a body into its lines (CRLF or LF), numbered from 1, skipping blank
/// lines. GBK never uses the bytes of CR or LF inside a character.
fn lines(payload: &[u8]) -> Vec<(usize, &[u8])> {
    payload
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| l.iter().any(|&b| b != b' '))
        .collect()
}

fn module_code(m: ModuleType) -> &'static str {
    match m {
        ModuleType::RoundModule => "Y",
        ModuleType::RectangularModule => "F",
        ModuleType::Loose => "S",
    }
}

fn module_from_code(c: &str) -> Option<ModuleType> {
    match c {
        "Y" => Some(ModuleType::RoundModule),
        "F" => Some(ModuleType::RectangularModule),
        "S" => Some(ModuleType::Loose),
        _ => None,
    }
}

const CARDS_HEADER: usize = 1 + 2 + 1 + 32 + 32 + 14 + 6;
const CARD_RECORD: usize = 1 + CARD + 32 + 32 + 32 + 60 + 12 + 5 + 1 + 5;
const STANDARDS_RECORD: usize = 1 + 4 + 8 + 8 + 2;
const HASH: usize = cotton_plugin_abi::cotton_domain::processing::MAX_PASSWORD_HASH_LEN;
const VERIFIER_RECORD: usize = 1 + 32 + HASH;
const RECORDS_HEADER: usize = 1 + 2 + 1 + 32 + 32 + 14 + 8;
const RECORD_PREFIX: usize = 2 + 12 + 14;

fn header_of(lines: &[(usize, &[u8])], kind: &str, width: usize) -> Result<Fields, DriverError> {
    let Some(&(n, first)) = lines.first() else {
        return Err(DriverError::input("文件为空"));
    };
    let mut f = Fields::new(n, first, width)?;
    let (tag, version, k) = (f.ascii(1, "记录类型")?, f.ascii(2, "版本")?, f.ascii(1, "文件类型")?);
    if tag != "H" || k != kind {
        return Err(DriverError::input("不是IV型采集器文件：缺少文件头"));
    }
    if version != VERSION {
        return Err(DriverError::input(format!("不支持的IV型文件版本“{version}”")));
    }
    Ok(f)
}

/// The lines between the header and the end record `T`, which must be last.
fn end_record<'a>(lines: &'a [(usize, &'a [u8])]) -> Result<&'a [(usize, &'a [u8])], DriverError> {
    match lines.last() {
        Some((_, l)) if lines.len() >= 2 && l.first() == Some(&b'T') => Ok(&lines[1..lines.len() - 1]),
        _ => Err(DriverError::input("文件不完整：缺少结束记录")),
    }
}

/// The count in the end record.
fn end_count(lines: &[(usize, &[u8])]) -> Result<usize, DriverError> {
    let &(n, raw) = lines.last().expect("checked by end_record");
    let mut f = Fields::new(n, raw, 1 + 8)?;
    f.raw(1);
    f.uint(8, "结束记录")
}

fn check_count(declared: usize, found: usize) -> Result<(), DriverError> {
    if declared != found {
        return Err(DriverError::input(format!("文件头声明{declared}条，实际{found}条：文件不完整")));
    }
    Ok(())
}

#[derive(Default)]
pub struct CollectorIv;

impl CollectorDriver for CollectorIv {
    fn info(&self) -> CollectorInfo {
        CollectorInfo {
            transport: Transport::File,
            max_cards_per_scan: CollectorModel::Iv.max_cards_per_scan() as u32,
            cards_payload: FileType::new("text/plain; charset=GBK", "txt"),
            records_payload: FileType::new("text/plain; charset=GBK", "txt"),
        }
    }

    fn encode_cards(&self, export: &CardExport) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        Line::new("H")
            .ascii(VERSION, 2, "版本")?
            .ascii("C", 1, "文件类型")?
            .ascii(&export.line_id, 32, "生产线编号")?
            .ascii(&export.enterprise_code, 32, "企业代码")?
            .ascii(&fmt_time(export.issued_at), 14, "导出时间")?
            .num(&export.cards.len().to_string(), 6, "卡数")?
            .end(&mut out);
        for s in &export.standards {
            Line::new("S")
                .num(&s.season.to_string(), 4, "年度")?
                .num(&s.standard_moisture_pct.normalize().to_string(), 8, "标准回潮率")?
                .num(&s.standard_trash_pct.normalize().to_string(), 8, "标准含杂率")?
                .num(&s.cards_per_scan_iv_v.map(|n| n.to_string()).unwrap_or_default(), 2, "每次扫描卡数")?
                .end(&mut out);
        }
        if let Some(v) = &export.verifier {
            Line::new("V")
                .ascii(&v.username, 32, "校验账号")?
                .ascii(&v.password_hash, HASH, "校验账号密码摘要")?
                .end(&mut out);
        }
        for c in &export.cards {
            Line::new("D")
                .ascii(&c.card_no, CARD, "追溯卡号")?
                .ascii(&c.ticket_no, 32, "磅单号")?
                .text(&c.grower_name, 32)
                .ascii(&c.unit_id, 32, "追溯单元编号")?
                .text(&c.unit_name, 60)
                .num(&fmt_kg(c.target_lint_kg), 12, "折皮棉公定重量")?
                .num(&c.processable_bales.to_string(), 5, "可加工包数")?
                .ascii(module_code(c.module_type), 1, "模块类型")?
                .num(&c.module_count.to_string(), 5, "棉膜件数")?
                .end(&mut out);
        }
        Line::new("T").num(&export.cards.len().to_string(), 8, "卡数")?.end(&mut out);
        Ok(out)
    }

    fn decode_cards(&self, payload: &[u8]) -> Result<CardExport, DriverError> {
        let lines = lines(payload);
        let mut h = header_of(&lines, "C", CARDS_HEADER)?;
        let line_id = h.ascii(32, "生产线编号")?;
        let enterprise_code = h.ascii(32, "企业代码")?;
        let issued_at = h.time("导出时间")?;
        let count: usize = h.uint(6, "卡数")?;
        let body = end_record(&lines)?;
        let mut cards = Vec::with_capacity(count.min(100_000));
        let mut standards = Vec::new();
        let mut verifier = None;
        for &(n, raw) in body {
            match raw.first() {
                Some(b'S') => {
                    let mut f = Fields::new(n, raw, STANDARDS_RECORD)?;
                    f.raw(1);
                    standards.push(SeasonStandards {
                        season: f.uint(4, "年度")?,
                        standard_moisture_pct: f.decimal(8, "标准回潮率")?.ok_or_else(|| f.bad("标准回潮率"))?,
                        standard_trash_pct: f.decimal(8, "标准含杂率")?.ok_or_else(|| f.bad("标准含杂率"))?,
                        // Blank (or a line written before the field existed): the manual's figure.
                        cards_per_scan_iv_v: match f.opt_ascii(2, "每次扫描卡数")? {
                            None => None,
                            Some(n) => Some(n.parse().map_err(|_| f.bad("每次扫描卡数"))?),
                        },
                        cards_per_scan_vi: None,
                    });
                    continue;
                }
                Some(b'V') => {
                    let mut f = Fields::new(n, raw, VERIFIER_RECORD)?;
                    f.raw(1);
                    if verifier.is_some() {
                        return Err(DriverError::input(format!("第{n}行：校验账号重复")));
                    }
                    verifier = Some(VerifierCredential {
                        username: f.ascii(32, "校验账号")?,
                        password_hash: f.ascii(HASH, "校验账号密码摘要")?,
                    });
                    continue;
                }
                _ => {}
            }
            let mut f = Fields::new(n, raw, CARD_RECORD)?;
            if f.ascii(1, "记录类型")? != "D" {
                return Err(DriverError::input(format!("第{n}行不是追溯卡记录")));
            }
            let card_no = f.ascii(CARD, "追溯卡号")?;
            let ticket_no = f.ascii(32, "磅单号")?;
            let grower_name = f.text(32, "种植者")?;
            let unit_id = f.ascii(32, "追溯单元编号")?;
            let unit_name = f.text(60, "追溯单元名称")?;
            let target_lint_kg = f.decimal(12, "折皮棉公定重量")?.ok_or_else(|| f.bad("折皮棉公定重量"))?;
            let processable_bales = f.uint(5, "可加工包数")?;
            let module_type = module_from_code(&f.ascii(1, "模块类型")?).ok_or_else(|| f.bad("模块类型"))?;
            let module_count = f.uint(5, "棉膜件数")?;
            cards.push(ExportedCard {
                card_no,
                ticket_no,
                grower_name,
                unit_id,
                unit_name,
                target_lint_kg,
                processable_bales,
                module_type,
                module_count,
            });
        }
        check_count(count, cards.len())?;
        check_count(end_count(&lines)?, cards.len())?;
        Ok(CardExport { line_id, model: CollectorModel::Iv, enterprise_code, issued_at, cards, verifier, standards })
    }

    fn encode_records(&self, upload: &RecordUpload) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        Line::new("H")
            .ascii(VERSION, 2, "版本")?
            .ascii("R", 1, "文件类型")?
            .ascii(&upload.line_id, 32, "生产线编号")?
            .ascii(&upload.device_id, 32, "采集器编号")?
            .ascii(&fmt_time(upload.written_at), 14, "写入时间")?
            .num(&upload.records.len().to_string(), 8, "记录数")?
            .end(&mut out);
        for r in &upload.records {
            let (tag, _) = record_tag(&r.event);
            let l = Line::new(tag).num(&r.seq.to_string(), 12, "序号")?.ascii(&fmt_time(r.at), 14, "时间")?;
            let l = match &r.event {
                ProcessingEvent::Scan { card_nos } => {
                    if card_nos.len() > SCAN_SLOTS {
                        return Err(DriverError::input(format!("IV型采集器一次最多扫描{SCAN_SLOTS}张追溯卡")));
                    }
                    let mut l = l;
                    for i in 0..SCAN_SLOTS {
                        l = l.ascii(card_nos.get(i).map_or("", String::as_str), CARD, "追溯卡号")?;
                    }
                    l
                }
                ProcessingEvent::DelayEntered { card_no, count } => {
                    l.ascii(card_no, CARD, "追溯卡号")?.num(&count.to_string(), 4, "延迟包数")?
                }
                ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, card_no } => l
                    .ascii(barcode, 32, "棉包条码")?
                    .num(&fmt_kg(*net_kg), 8, "净重")?
                    .num(&moisture_pct.map(fmt_kg).unwrap_or_default(), 6, "回潮率")?
                    .ascii(card_no.as_deref().unwrap_or(""), CARD, "追溯卡号")?,
                ProcessingEvent::CardEnded { card_no } | ProcessingEvent::CardFinished { card_no } => {
                    l.ascii(card_no, CARD, "追溯卡号")?
                }
                ProcessingEvent::Reprocess { card_no, verifier } => {
                    l.ascii(card_no, CARD, "追溯卡号")?.ascii(verifier, 32, "校验账号")?
                }
            };
            l.end(&mut out);
        }
        Line::new("T").num(&upload.records.len().to_string(), 8, "记录数")?.end(&mut out);
        Ok(out)
    }

    fn decode_records(&self, payload: &[u8]) -> Result<RecordUpload, DriverError> {
        let lines = lines(payload);
        let mut h = header_of(&lines, "R", RECORDS_HEADER)?;
        let line_id = h.ascii(32, "生产线编号")?;
        let device_id = h.ascii(32, "采集器编号")?;
        let written_at = h.time("写入时间")?;
        let count: usize = h.uint(8, "记录数")?;
        let body = end_record(&lines)?;
        let mut records = Vec::with_capacity(count.min(1_000_000));
        for &(n, raw) in body {
            let tag = raw.get(..2).unwrap_or(raw);
            let Some(width) = payload_width(tag) else {
                return Err(DriverError::input(format!(
                    "第{n}行的记录类型“{}”无法识别",
                    String::from_utf8_lossy(tag)
                )));
            };
            let mut f = Fields::new(n, raw, RECORD_PREFIX + width)?;
            let tag = f.ascii(2, "记录类型")?;
            let seq = f.uint(12, "序号")?;
            let at = f.time("时间")?;
            let event = match tag.as_str() {
                "SC" => {
                    let mut card_nos = Vec::new();
                    for _ in 0..SCAN_SLOTS {
                        if let Some(c) = f.opt_ascii(CARD, "追溯卡号")? {
                            card_nos.push(c);
                        }
                    }
                    ProcessingEvent::Scan { card_nos }
                }
                "DL" => ProcessingEvent::DelayEntered { card_no: f.ascii(CARD, "追溯卡号")?, count: f.uint(4, "延迟包数")? },
                "BP" => ProcessingEvent::BalePressed {
                    barcode: f.ascii(32, "棉包条码")?,
                    net_kg: f.decimal(8, "净重")?.ok_or_else(|| f.bad("净重"))?,
                    moisture_pct: f.decimal(6, "回潮率")?,
                    card_no: f.opt_ascii(CARD, "追溯卡号")?,
                },
                "CE" => ProcessingEvent::CardEnded { card_no: f.ascii(CARD, "追溯卡号")? },
                "CF" => ProcessingEvent::CardFinished { card_no: f.ascii(CARD, "追溯卡号")? },
                "RP" => ProcessingEvent::Reprocess { card_no: f.ascii(CARD, "追溯卡号")?, verifier: f.ascii(32, "校验账号")? },
                _ => unreachable!("payload_width knows only these tags"),
            };
            records.push(ProcessingRecord { seq, at, event });
        }
        check_count(count, records.len())?;
        check_count(end_count(&lines)?, records.len())?;
        Ok(RecordUpload { line_id, model: CollectorModel::Iv, device_id, written_at, records })
    }
}

/// The record tag of an event and the width of its payload.
fn record_tag(e: &ProcessingEvent) -> (&'static str, usize) {
    let tag = match e {
        ProcessingEvent::Scan { .. } => "SC",
        ProcessingEvent::DelayEntered { .. } => "DL",
        ProcessingEvent::BalePressed { .. } => "BP",
        ProcessingEvent::CardEnded { .. } => "CE",
        ProcessingEvent::CardFinished { .. } => "CF",
        ProcessingEvent::Reprocess { .. } => "RP",
    };
    (tag, payload_width(tag.as_bytes()).expect("known tag"))
}

fn payload_width(tag: &[u8]) -> Option<usize> {
    Some(match tag {
        b"SC" => SCAN_SLOTS * CARD,
        b"DL" => CARD + 4,
        b"BP" => 32 + 8 + 6 + CARD,
        b"CE" | b"CF" => CARD,
        b"RP" => CARD + 32,
        _ => return None,
    })
}

cotton_plugin_abi::export_collector!(
    name: "cotton-collector-iv",
    model: "IV",
    version: env!("CARGO_PKG_VERSION"),
    description: "IV型采集器（GBK定长文本文件）",
    driver: CollectorIv,
);

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn export() -> CardExport {
        CardExport {
            line_id: "L1".into(),
            model: CollectorModel::Iv,
            enterprise_code: "65001".into(),
            issued_at: Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap(),
            cards: vec![ExportedCard {
                card_no: "TC2600000000011".into(),
                ticket_no: "BD1".into(),
                grower_name: "张三".into(),
                unit_id: "U1".into(),
                unit_name: "一连自由组团1号".into(),
                target_lint_kg: dec!(3907.5),
                processable_bales: 18,
                module_type: ModuleType::RoundModule,
                module_count: 12,
            }],
            verifier: None,
            standards: vec![],
        }
    }

    const HASH_SAMPLE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$q0aNmVl1bJ0Wb3xwY5HqzVhYvR3o3W3xX1JdR6uC2aA";

    #[test]
    fn verifier_and_standards_round_trip() {
        let mut e = export();
        e.verifier = Some(VerifierCredential { username: "qts65001".into(), password_hash: HASH_SAMPLE.into() });
        e.standards = vec![
            SeasonStandards { cards_per_scan_iv_v: Some(8), cards_per_scan_vi: None, ..SeasonStandards::defaults(2026) },
            SeasonStandards { season: 2025, standard_moisture_pct: dec!(9.1234), standard_trash_pct: dec!(0), cards_per_scan_iv_v: None, cards_per_scan_vi: None },
        ];
        let body = CollectorIv.encode_cards(&e).unwrap();
        let text = String::from_utf8_lossy(&body).to_string();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[1], "S2026     8.5     2.5 8");
        assert_eq!(lines[2], "S2025  9.1234       0  ");
        // A standards line of a file written before the cards-per-scan field: the manual's figure.
        // (Bytes, not the lossy text: the card line is GBK.)
        let at = body.windows(lines[1].len()).position(|w| w == lines[1].as_bytes()).unwrap();
        let mut old = body.clone();
        old.drain(at + lines[1].len() - 2..at + lines[1].len());
        assert_eq!(CollectorIv.decode_cards(&old).unwrap().standards[0].cards_per_scan(CollectorModel::Iv), 10);
        assert_eq!(lines[3].len(), VERIFIER_RECORD);
        assert!(lines[3].starts_with(&format!("V{:<32}{HASH_SAMPLE}", "qts65001")));
        assert!(lines[4].starts_with('D'));
        assert_eq!(CollectorIv.decode_cards(&body).unwrap(), e);
        // The end record still counts cards only.
        assert!(text.ends_with("T       1\r\n"));
        // Without them the file is as before.
        let plain = CollectorIv.encode_cards(&export()).unwrap();
        assert!(!String::from_utf8_lossy(&plain).contains("\r\nV"));
        // Two verifier lines are refused.
        let dup = text.replacen(lines[3], &format!("{}\r\n{}", lines[3], lines[3]), 1);
        assert!(CollectorIv.decode_cards(dup.as_bytes()).unwrap_err().message().contains("校验账号重复"));
    }

    #[test]
    fn export_layout_is_gbk_fixed_width() {
        let body = CollectorIv.encode_cards(&export()).unwrap();
        let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], b"T       1\r");
        assert!(lines.iter().all(|l| l.ends_with(b"\r")));
        assert_eq!(lines[0].len() - 1, CARDS_HEADER);
        assert_eq!(lines[1].len() - 1, CARD_RECORD);
        let header = std::str::from_utf8(lines[0]).unwrap();
        assert!(header.starts_with("H01CL1"));
        assert!(header.contains("20261002160000     1"), "Beijing time and count: {header}");
        // 张三 is D5C5 C8FD in GBK, at byte 1+15+32.
        assert_eq!(&lines[1][48..52], &[0xD5, 0xC5, 0xC8, 0xFD]);
        assert!(std::str::from_utf8(&lines[1][..16]).unwrap() == "DTC2600000000011");
        let back = CollectorIv.decode_cards(&body).unwrap();
        assert_eq!(back, export());
    }

    #[test]
    fn long_and_unmappable_text() {
        let mut e = export();
        e.cards[0].grower_name = "买买提·艾力·阿不都热合曼·吐尔逊".into(); // 17 chars, 34 bytes
        e.cards[0].unit_name = "😀组团".into();
        let back = CollectorIv.decode_cards(&CollectorIv.encode_cards(&e).unwrap()).unwrap();
        assert_eq!(back.cards[0].grower_name, "买买提·艾力·阿不都热合曼·吐尔");
        assert_eq!(back.cards[0].unit_name, "?组团");
    }

    #[test]
    fn refuses_broken_files() {
        let body = CollectorIv.encode_cards(&export()).unwrap();
        let err = |b: &[u8]| CollectorIv.decode_cards(b).unwrap_err().message().to_string();
        assert_eq!(err(b""), "文件为空");
        assert_eq!(err(b"hello\r\n"), "不是IV型采集器文件：缺少文件头");
        let mut long = body.clone();
        let end_line = body.len() - b"T       1\r\n".len();
        long.splice(end_line - 2..end_line - 2, b"XX".iter().copied());
        assert!(err(&long).contains("超过该记录的"));
        let first_line_end = body.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert_eq!(err(&body[..first_line_end]), "文件不完整：缺少结束记录");
        let mut no_card = body[..first_line_end].to_vec();
        no_card.extend_from_slice(b"T       1\r\n");
        assert_eq!(err(&no_card), "文件头声明1条，实际0条：文件不完整");
        let mut bad_gbk = body.clone();
        bad_gbk[first_line_end + 48] = 0xFF;
        bad_gbk[first_line_end + 49] = 0xFF;
        assert!(err(&bad_gbk).contains("不是有效的GBK文本"));
        // Trailing blanks stripped by an editor are tolerated.
        let stripped: Vec<u8> = String::from_utf8_lossy(&body[..first_line_end]).trim_end().as_bytes().to_vec();
        let mut s = stripped;
        s.extend_from_slice(b"\r\n");
        s.extend_from_slice(&body[first_line_end..]);
        assert_eq!(CollectorIv.decode_cards(&s).unwrap(), export());
    }
}
