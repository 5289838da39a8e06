//! Type V collector driver (V型采集器): files in **JSON lines** (UTF-8, LF).
//!
//! Export file (`cards-<line>-<time>.jsonl`), platform → device: a header line,
//! then one card per line.
//!
//! ```text
//! {"format":"COTTON-V-CARDS","version":1,"lineId":"L1","enterpriseCode":"65001","issuedAt":"2026-10-02T08:00:00Z","cardCount":2}
//! {"cardNo":"TC2600000000011","ticketNo":"BD2026000001","growerName":"李四","unitId":"U101","unitName":"…","targetLintKg":"3917.69","processableBales":18,"moduleType":"RECTANGULAR_MODULE","moduleCount":2}
//! ```
//!
//! When the export carries them, the header also holds the enterprise's
//! verification account (`"verifier":{"username":…,"passwordHash":"$argon2id$…"}`,
//! the Argon2id hash, never the password) and the season standards
//! (`"standards":[{"season":2026,"standardMoisturePct":"8.5","standardTrashPct":"2.5","cardsPerScanIvV":10}]`,
//! `cardsPerScanIvV` absent in files of earlier versions: the manual's 10);
//! both are left out when absent.
//!
//! Upload file (`records-<line>-<time>.jsonl`), device → platform: a header
//! line, then one processing record per line in the platform's record encoding
//! (`seq`, `at`, `type` and the fields of the type).
//!
//! ```text
//! {"format":"COTTON-V-RECORDS","version":1,"lineId":"L1","deviceId":"SN-2026-0001","writtenAt":"2026-10-02T09:00:00Z","recordCount":1}
//! {"seq":1000,"at":"2026-10-02T08:01:00Z","type":"SCAN","cardNos":["TC2600000000011"]}
//! ```
//!
//! Both end with the platform's signature trailer line (`#CTSIG …`), which the
//! host adds and checks; this driver sees the body only. Blank lines are
//! ignored; the counts in the header must match.

use chrono::{DateTime, Utc};
use cotton_plugin_abi::cotton_domain::processing::{SeasonStandards, VerifierCredential};
use cotton_plugin_abi::sdk::{CollectorDriver, DriverError};
use cotton_plugin_abi::wire::*;
use serde::{Deserialize, Serialize};

const CARDS_FORMAT: &str = "COTTON-V-CARDS";
const RECORDS_FORMAT: &str = "COTTON-V-RECORDS";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CardsHeader {
    format: String,
    version: u32,
    line_id: String,
    enterprise_code: String,
    issued_at: DateTime<Utc>,
    card_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifier: Option<VerifierCredential>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    standards: Vec<SeasonStandards>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RecordsHeader {
    format: String,
    version: u32,
    line_id: String,
    device_id: String,
    written_at: DateTime<Utc>,
    record_count: usize,
}

#[derive(Default)]
pub struct CollectorV;

fn line(v: &impl Serialize, out: &mut Vec<u8>) -> Result<(), DriverError> {
    serde_json::to_writer(&mut *out, v).map_err(|e| DriverError::internal(format!("JSON编码失败：{e}")))?;
    out.push(b'\n');
    Ok(())
}

/// The non-blank lines of a UTF-8 body, numbered from 1.
fn lines(payload: &[u8]) -> Result<Vec<(usize, &str)>, DriverError> {
    let text = std::str::from_utf8(payload).map_err(|_| DriverError::input("V型文件必须是UTF-8编码"))?;
    Ok(text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect())
}

fn parse<'a, T: Deserialize<'a>>(n: usize, l: &'a str) -> Result<T, DriverError> {
    serde_json::from_str(l).map_err(|e| DriverError::input(format!("第{n}行无法识别：{e}")))
}

fn check_header(n: usize, format: &str, version: u32, want: &str) -> Result<(), DriverError> {
    if format != want {
        return Err(DriverError::input(format!("第{n}行：文件格式为“{format}”，应为“{want}”")));
    }
    if version != FORMAT_VERSION {
        return Err(DriverError::input(format!("不支持的V型文件版本{version}")));
    }
    Ok(())
}

fn check_count(declared: usize, found: usize) -> Result<(), DriverError> {
    if declared != found {
        return Err(DriverError::input(format!("文件头声明{declared}条，实际{found}条：文件不完整")));
    }
    Ok(())
}

impl CollectorDriver for CollectorV {
    fn info(&self) -> CollectorInfo {
        CollectorInfo {
            transport: Transport::File,
            max_cards_per_scan: CollectorModel::V.max_cards_per_scan() as u32,
            cards_payload: FileType::new("application/x-ndjson", "jsonl"),
            records_payload: FileType::new("application/x-ndjson", "jsonl"),
        }
    }

    fn encode_cards(&self, export: &CardExport) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        let header = CardsHeader {
            format: CARDS_FORMAT.into(),
            version: FORMAT_VERSION,
            line_id: export.line_id.clone(),
            enterprise_code: export.enterprise_code.clone(),
            issued_at: export.issued_at,
            card_count: export.cards.len(),
            verifier: export.verifier.clone(),
            standards: export.standards.clone(),
        };
        line(&header, &mut out)?;
        for c in &export.cards {
            line(c, &mut out)?;
        }
        Ok(out)
    }

    fn decode_cards(&self, payload: &[u8]) -> Result<CardExport, DriverError> {
        let lines = lines(payload)?;
        let Some(&(n, first)) = lines.first() else {
            return Err(DriverError::input("文件为空"));
        };
        let h: CardsHeader = parse(n, first)?;
        check_header(n, &h.format, h.version, CARDS_FORMAT)?;
        let cards = lines[1..].iter().map(|&(n, l)| parse::<ExportedCard>(n, l)).collect::<Result<Vec<_>, _>>()?;
        check_count(h.card_count, cards.len())?;
        Ok(CardExport {
            line_id: h.line_id,
            model: CollectorModel::V,
            enterprise_code: h.enterprise_code,
            issued_at: h.issued_at,
            cards,
            verifier: h.verifier,
            standards: h.standards,
        })
    }

    fn encode_records(&self, upload: &RecordUpload) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        let header = RecordsHeader {
            format: RECORDS_FORMAT.into(),
            version: FORMAT_VERSION,
            line_id: upload.line_id.clone(),
            device_id: upload.device_id.clone(),
            written_at: upload.written_at,
            record_count: upload.records.len(),
        };
        line(&header, &mut out)?;
        for r in &upload.records {
            line(r, &mut out)?;
        }
        Ok(out)
    }

    fn decode_records(&self, payload: &[u8]) -> Result<RecordUpload, DriverError> {
        let lines = lines(payload)?;
        let Some(&(n, first)) = lines.first() else {
            return Err(DriverError::input("文件为空"));
        };
        let h: RecordsHeader = parse(n, first)?;
        check_header(n, &h.format, h.version, RECORDS_FORMAT)?;
        let records = lines[1..]
            .iter()
            .map(|&(n, l)| parse::<ProcessingRecord>(n, l))
            .collect::<Result<Vec<_>, _>>()?;
        check_count(h.record_count, records.len())?;
        Ok(RecordUpload {
            line_id: h.line_id,
            model: CollectorModel::V,
            device_id: h.device_id,
            written_at: h.written_at,
            records,
        })
    }
}

cotton_plugin_abi::export_collector!(
    name: "cotton-collector-v",
    model: "V",
    version: env!("CARGO_PKG_VERSION"),
    description: "V型采集器（JSON lines 文件）",
    driver: CollectorV,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_broken_files() {
        let d = CollectorV;
        let err = |b: &[u8]| d.decode_records(b).unwrap_err().message().to_string();
        assert_eq!(err(b""), "文件为空");
        assert_eq!(err(&[0xff, 0xfe]), "V型文件必须是UTF-8编码");
        assert!(err(b"{\"format\":\"COTTON-V-CARDS\",\"version\":1}").starts_with("第1行无法识别"));
        let h = r#"{"format":"COTTON-V-RECORDS","version":1,"lineId":"L1","deviceId":"D","writtenAt":"2026-10-02T08:00:00Z","recordCount":2}"#;
        let r = r#"{"seq":1,"at":"2026-10-02T08:00:00Z","type":"CARD_ENDED","cardNo":"TC2600000000011"}"#;
        assert_eq!(err(format!("{h}\n{r}\n").as_bytes()), "文件头声明2条，实际1条：文件不完整");
        assert!(err(format!("{h}\n{r}\nnot json\n").as_bytes()).starts_with("第3行无法识别"));
        let ok = d.decode_records(format!("{h}\r\n\r\n{r}\r\n{r}\r\n").as_bytes()).unwrap();
        assert_eq!(ok.records.len(), 2);
        assert!(d.decode_cards(h.as_bytes()).is_err());
    }

    #[test]
    fn verifier_and_standards_round_trip() {
        use chrono::TimeZone;
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$q0aNmVl1bJ0Wb3xwY5HqzVhYvR3o3W3xX1JdR6uC2aA";
        let mut e = CardExport {
            line_id: "L1".into(),
            model: CollectorModel::V,
            enterprise_code: "65001".into(),
            issued_at: Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap(),
            cards: vec![],
            verifier: None,
            standards: vec![],
        };
        let plain = String::from_utf8(CollectorV.encode_cards(&e).unwrap()).unwrap();
        assert!(!plain.contains("verifier") && !plain.contains("standards"), "absent fields are left out: {plain}");
        assert_eq!(CollectorV.decode_cards(plain.as_bytes()).unwrap(), e);
        e.verifier = Some(VerifierCredential { username: "qts65001".into(), password_hash: hash.into() });
        e.standards = vec![SeasonStandards {
            season: 2026,
            standard_moisture_pct: rust_decimal::Decimal::new(85, 1),
            standard_trash_pct: rust_decimal::Decimal::new(25, 1),
            cards_per_scan_iv_v: Some(6),
            cards_per_scan_vi: None,
        }];
        let body = String::from_utf8(CollectorV.encode_cards(&e).unwrap()).unwrap();
        let header: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
        assert_eq!(header["verifier"], serde_json::json!({"username":"qts65001","passwordHash":hash}));
        assert_eq!(header["standards"][0]["standardMoisturePct"], "8.5");
        assert_eq!(header["standards"][0]["cardsPerScanIvV"], 6);
        assert_eq!(CollectorV.decode_cards(body.as_bytes()).unwrap(), e);
    }
}
