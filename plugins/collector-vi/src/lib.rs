//! Type VI collector driver (VI型采集器): **online** devices that talk to the
//! platform in JSON messages, one per line (NDJSON), times as Unix seconds,
//! decimals as strings, up to **20 cards per scan**.
//!
//! Platform → device (`ENCODE_CARDS`): the answer to the device's pull of
//! unprocessed cards, one message:
//!
//! ```text
//! {"msg":"CARDS","line":"L1","ent":"65001","ts":1790928000,"n":1,
//!  "cards":[{"no":"TC2600000000011","ticket":"BD2026000001","grower":"李四","unitId":"U101",
//!            "unit":"…","target":"3917.69","bales":18,"module":"F","modules":2}]}
//! ```
//!
//! (`module`: `Y` round, `F` rectangular, `S` loose.)
//!
//! Device → platform (`DECODE_RECORDS`): a `HELLO` naming the line, device and
//! number of messages that follow, then one message per record:
//!
//! | message | fields | processing record |
//! |---|---|---|
//! | `HELLO` | `line`, `device`, `ts`, `n` | (the upload's header) |
//! | `SCAN` | `sn`, `ts`, `cards` (1–20) | `SCAN` |
//! | `DELAY` | `sn`, `ts`, `card`, `bales` | `DELAY_ENTERED` |
//! | `BALE` | `sn`, `ts`, `code`, `net`, `mr`?, `card`? | `BALE_PRESSED` |
//! | `END` | `sn`, `ts`, `card` | `CARD_ENDED` |
//! | `DONE` | `sn`, `ts`, `card` | `CARD_FINISHED` |
//! | `REDO` | `sn`, `ts`, `card`, `checker` | `REPROCESS` |
//!
//! Online messages are not signed files: the online API authenticates the
//! device. Times keep whole seconds.

use chrono::{DateTime, TimeZone, Utc};
use cotton_plugin_abi::sdk::{CollectorDriver, DriverError};
use cotton_plugin_abi::wire::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const MAX_SCAN: usize = 20;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Card {
    no: String,
    ticket: String,
    grower: String,
    #[serde(rename = "unitId")]
    unit_id: String,
    unit: String,
    target: Decimal,
    bales: u32,
    module: String,
    modules: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
enum Down {
    Cards { line: String, ent: String, ts: i64, n: usize, cards: Vec<Card> },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
enum Up {
    Hello { line: String, device: String, ts: i64, n: usize },
    Scan { sn: u64, ts: i64, cards: Vec<String> },
    Delay { sn: u64, ts: i64, card: String, bales: u32 },
    Bale {
        sn: u64,
        ts: i64,
        code: String,
        net: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mr: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<String>,
    },
    End { sn: u64, ts: i64, card: String },
    Done { sn: u64, ts: i64, card: String },
    Redo { sn: u64, ts: i64, card: String, checker: String },
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> Result<DateTime<Utc>, DriverError> {
    Utc.timestamp_opt(s, 0).single().ok_or_else(|| DriverError::input(format!("时间戳{s}无效")))
}

fn module_code(m: ModuleType) -> &'static str {
    match m {
        ModuleType::RoundModule => "Y",
        ModuleType::RectangularModule => "F",
        ModuleType::Loose => "S",
    }
}

fn module_of(c: &str) -> Result<ModuleType, DriverError> {
    match c {
        "Y" => Ok(ModuleType::RoundModule),
        "F" => Ok(ModuleType::RectangularModule),
        "S" => Ok(ModuleType::Loose),
        _ => Err(DriverError::input(format!("模块类型“{c}”无法识别"))),
    }
}

fn json_line(v: &impl Serialize, out: &mut Vec<u8>) -> Result<(), DriverError> {
    serde_json::to_writer(&mut *out, v).map_err(|e| DriverError::internal(format!("JSON编码失败：{e}")))?;
    out.push(b'\n');
    Ok(())
}

fn messages<T: for<'a> Deserialize<'a>>(payload: &[u8]) -> Result<Vec<T>, DriverError> {
    let text = std::str::from_utf8(payload).map_err(|_| DriverError::input("VI型采集器消息必须是UTF-8编码"))?;
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| DriverError::input(format!("第{}条消息无法识别：{e}", i + 1))))
        .collect()
}

#[derive(Default)]
pub struct CollectorVi;

impl CollectorDriver for CollectorVi {
    fn info(&self) -> CollectorInfo {
        CollectorInfo {
            transport: Transport::Online,
            max_cards_per_scan: MAX_SCAN as u32,
            cards_payload: FileType::new("application/x-ndjson", "jsonl"),
            records_payload: FileType::new("application/x-ndjson", "jsonl"),
        }
    }

    fn encode_cards(&self, export: &CardExport) -> Result<Vec<u8>, DriverError> {
        let msg = Down::Cards {
            line: export.line_id.clone(),
            ent: export.enterprise_code.clone(),
            ts: ts(export.issued_at),
            n: export.cards.len(),
            cards: export
                .cards
                .iter()
                .map(|c| Card {
                    no: c.card_no.clone(),
                    ticket: c.ticket_no.clone(),
                    grower: c.grower_name.clone(),
                    unit_id: c.unit_id.clone(),
                    unit: c.unit_name.clone(),
                    target: c.target_lint_kg,
                    bales: c.processable_bales,
                    module: module_code(c.module_type).into(),
                    modules: c.module_count,
                })
                .collect(),
        };
        let mut out = Vec::new();
        json_line(&msg, &mut out)?;
        Ok(out)
    }

    fn decode_cards(&self, payload: &[u8]) -> Result<CardExport, DriverError> {
        let mut msgs: Vec<Down> = messages(payload)?;
        if msgs.len() != 1 {
            return Err(DriverError::input(format!("应为1条CARDS消息，收到{}条", msgs.len())));
        }
        let Down::Cards { line, ent, ts, n, cards } = msgs.remove(0);
        if n != cards.len() {
            return Err(DriverError::input(format!("消息声明{n}张卡，实际{}张", cards.len())));
        }
        Ok(CardExport {
            line_id: line,
            model: CollectorModel::Vi,
            enterprise_code: ent,
            issued_at: from_ts(ts)?,
            cards: cards
                .into_iter()
                .map(|c| {
                    Ok(ExportedCard {
                        card_no: c.no,
                        ticket_no: c.ticket,
                        grower_name: c.grower,
                        unit_id: c.unit_id,
                        unit_name: c.unit,
                        target_lint_kg: c.target,
                        processable_bales: c.bales,
                        module_type: module_of(&c.module)?,
                        module_count: c.modules,
                    })
                })
                .collect::<Result<_, DriverError>>()?,
            // VI devices check the verification account online.
            verifier: None,
            standards: vec![],
        })
    }

    fn encode_records(&self, upload: &RecordUpload) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        json_line(
            &Up::Hello {
                line: upload.line_id.clone(),
                device: upload.device_id.clone(),
                ts: ts(upload.written_at),
                n: upload.records.len(),
            },
            &mut out,
        )?;
        for r in &upload.records {
            let (sn, ts) = (r.seq, ts(r.at));
            let msg = match r.event.clone() {
                ProcessingEvent::Scan { card_nos } => {
                    if card_nos.len() > MAX_SCAN {
                        return Err(DriverError::input(format!("VI型采集器一次最多扫描{MAX_SCAN}张追溯卡")));
                    }
                    Up::Scan { sn, ts, cards: card_nos }
                }
                ProcessingEvent::DelayEntered { card_no, count } => Up::Delay { sn, ts, card: card_no, bales: count },
                ProcessingEvent::BalePressed { barcode, net_kg, moisture_pct, card_no } => {
                    Up::Bale { sn, ts, code: barcode, net: net_kg, mr: moisture_pct, card: card_no }
                }
                ProcessingEvent::CardEnded { card_no } => Up::End { sn, ts, card: card_no },
                ProcessingEvent::CardFinished { card_no } => Up::Done { sn, ts, card: card_no },
                ProcessingEvent::Reprocess { card_no, verifier } => Up::Redo { sn, ts, card: card_no, checker: verifier },
            };
            json_line(&msg, &mut out)?;
        }
        Ok(out)
    }

    fn decode_records(&self, payload: &[u8]) -> Result<RecordUpload, DriverError> {
        let msgs: Vec<Up> = messages(payload)?;
        let mut it = msgs.into_iter();
        let Some(Up::Hello { line, device, ts, n }) = it.next() else {
            return Err(DriverError::input("第一条消息应为HELLO"));
        };
        let mut records = Vec::new();
        for m in it {
            let (seq, at, event) = match m {
                Up::Hello { .. } => return Err(DriverError::input("HELLO消息重复")),
                Up::Scan { sn, ts, cards } => {
                    if cards.len() > MAX_SCAN {
                        return Err(DriverError::input(format!(
                            "VI型采集器一次最多扫描{MAX_SCAN}张追溯卡，收到{}张",
                            cards.len()
                        )));
                    }
                    (sn, ts, ProcessingEvent::Scan { card_nos: cards })
                }
                Up::Delay { sn, ts, card, bales } => (sn, ts, ProcessingEvent::DelayEntered { card_no: card, count: bales }),
                Up::Bale { sn, ts, code, net, mr, card } => {
                    (sn, ts, ProcessingEvent::BalePressed { barcode: code, net_kg: net, moisture_pct: mr, card_no: card })
                }
                Up::End { sn, ts, card } => (sn, ts, ProcessingEvent::CardEnded { card_no: card }),
                Up::Done { sn, ts, card } => (sn, ts, ProcessingEvent::CardFinished { card_no: card }),
                Up::Redo { sn, ts, card, checker } => (sn, ts, ProcessingEvent::Reprocess { card_no: card, verifier: checker }),
            };
            records.push(ProcessingRecord { seq, at: from_ts(at)?, event });
        }
        if n != records.len() {
            return Err(DriverError::input(format!("HELLO声明{n}条消息，实际{}条", records.len())));
        }
        Ok(RecordUpload { line_id: line, model: CollectorModel::Vi, device_id: device, written_at: from_ts(ts)?, records })
    }
}

cotton_plugin_abi::export_collector!(
    name: "cotton-collector-vi",
    model: "VI",
    version: env!("CARGO_PKG_VERSION"),
    description: "VI型采集器（在线消息，每次最多扫描20张卡）",
    driver: CollectorVi,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_messages_become_records() {
        let msgs = concat!(
            r#"{"msg":"HELLO","line":"L1","device":"VI-7","ts":1790928000,"n":2}"#, "\n",
            r#"{"msg":"SCAN","sn":1,"ts":1790928001,"cards":["TC2600000000011"]}"#, "\n",
            r#"{"msg":"BALE","sn":2,"ts":1790928060,"code":"B1","net":"227.5","card":"TC2600000000011"}"#, "\n",
        );
        let u = CollectorVi.decode_records(msgs.as_bytes()).unwrap();
        assert_eq!(u.device_id, "VI-7");
        assert_eq!(u.records[0].event, ProcessingEvent::Scan { card_nos: vec!["TC2600000000011".into()] });
        assert!(matches!(&u.records[1].event, ProcessingEvent::BalePressed { moisture_pct: None, .. }));
        assert_eq!(u.records[1].at.timestamp(), 1790928060);

        let many: Vec<String> = (0..21).map(|_| "\"TC2600000000011\"".to_string()).collect();
        let over = format!(
            "{{\"msg\":\"HELLO\",\"line\":\"L1\",\"device\":\"D\",\"ts\":0,\"n\":1}}\n{{\"msg\":\"SCAN\",\"sn\":1,\"ts\":0,\"cards\":[{}]}}\n",
            many.join(",")
        );
        assert_eq!(
            CollectorVi.decode_records(over.as_bytes()).unwrap_err().message(),
            "VI型采集器一次最多扫描20张追溯卡，收到21张"
        );
        assert!(CollectorVi.decode_records(b"{\"msg\":\"SCAN\",\"sn\":1,\"ts\":0,\"cards\":[]}").is_err());
        assert!(CollectorVi.decode_records(b"{\"msg\":\"HELLO\",\"line\":\"L1\",\"device\":\"D\",\"ts\":0,\"n\":0,\"x\":1}").is_err());
    }
}
