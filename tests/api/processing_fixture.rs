//! Shared fixture of the processing and quality tests (issues 6 and 7): a roster
//! with phones (growers sign in by SMS), approved units of every kind the
//! allocation rules distinguish, trace cards, online VI line operations, signed
//! IV/V upload files and inspection files.
//!
//! ```text
//! setup_tree (R121 ─ R121-01 company A1, E65121 enterprise qy_a; R122 ─ R122-01 company B1)
//!   + E65122 enterprise qy_b (regiment A), + initiator 13800000009 of company A1
//! season 2026, every plot 100 mu, minimum unit area lowered to 1 mu:
//!   G1 A1-01-1, A1-01-2 ───────────── U1  "单户追溯单元"   COMPANY      (lian_a1)    APPROVED
//!   G2 A1-02-1 ─┐
//!   G3 A1-03-1 ─┼──────────────────── U3  "三户追溯单元"   COMPANY      (lian_a1)    APPROVED
//!   G4 A1-04-1 ─┘
//!   G5 A1-05-1 ─┬──────────────────── UC  "合作社追溯单元" COOPERATIVE  (initiator)  APPROVED
//!   G6 A1-06-1 ─┘
//!   G7 A1-07-1 ───────────────────── UW  "加工追溯单元"   COMPANY      (lian_a1)    APPROVED
//!   G7 A1-07-2 ───────────────────── UP  "待审核追溯单元" COMPANY      (lian_a1)    PENDING
//!   G8 B1-08-1 (company B1) ───────── UB  "二二团追溯单元" COMPANY      (lian_b1)    APPROVED by tuan_b
//! ```

#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use cotton_plugin_host::PluginRegistry;
use cotton_plugin_host::abi::wire::{CollectorModel, ProcessingEvent, ProcessingRecord, RecordUpload};
use cotton_plugin_host::signing::signing_key_from_base64;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::ginning::{self, Pr, SEASON, Tk, rfc3339};
use crate::harness::*;
use crate::unit_fixtures::{self, row};

pub use crate::ginning::{opts, plugins_dir, unknown_card_no, wrong_check_digit};

pub const PROMPT_NOT_FOUND: &str = "当前追溯卡号不存在，请从客户端导入信息。";
pub const PROMPT_FINISHED: &str = "扫描追溯卡号已经结束，无法使用";
pub const PROMPT_NEED_DELAY: &str = "请企业输入当前加工需要延迟的包数";
pub const PROMPT_IN_PROGRESS: &str = "扫描追溯卡号正在加工，请勿扫描";

/// The enterprise verification account (校验账号) the tests set.
pub const VERIFIER: &str = "jiaoyan01";
pub const VERIFIER_PW: &str = "Jiaoyan#2026";

pub const INITIATOR_PHONE: &str = "13800000009";

// ---------------------------------------------------------------- operations

pub const LINE_STATE_FIELDS: &str = "queue { card { cardNo status processedLintKg } delayBales } tracing pendingDelay";
pub const BALE_FIELDS: &str = "barcode netKg conditionedKg traced pressedAt card { cardNo }";

pub const CREATE_LINE: &str = "mutation($n: String!, $m: CollectorModel!) { createProductionLine(name: $n, collectorModel: $m) { id name collectorModel lineRef deviceKey } }";
pub const SET_VERIFIER: &str = "mutation($u: String!, $p: String!) { setVerificationAccount(username: $u, password: $p) }";
pub const SCAN: &str = "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { cardNo outcome message } }";
pub const IMPORT_INSPECTIONS: &str = "mutation($file: Upload!) { importInspections(file: $file) { created updated skipped failed rows { row status message } } }";
pub const UPLOAD_FILE: &str = "mutation($l: ID!, $file: Upload!) { uploadProcessingFile(lineId: $l, file: $file) { accepted duplicates rejected errors } }";

pub fn delay_q() -> String {
    format!("mutation($l: ID!, $c: String!, $n: Int!) {{ enterDelayBales(lineId: $l, cardNo: $c, count: $n) {{ {LINE_STATE_FIELDS} }} }}")
}
pub fn bale_q() -> String {
    format!(
        "mutation($l: ID!, $b: String!, $n: Decimal!, $m: Decimal, $t: DateTime!) {{ recordBale(lineId: $l, barcode: $b, netKg: $n, moisturePct: $m, pressedAt: $t) {{ bale {{ {BALE_FIELDS} }} finishedCard {{ cardNo status processedLintKg }} state {{ {LINE_STATE_FIELDS} }} }} }}"
    )
}
pub fn end_q() -> String {
    format!("mutation($l: ID!) {{ endCurrentCard(lineId: $l) {{ {LINE_STATE_FIELDS} }} }}")
}
pub fn reprocess_q() -> String {
    format!(
        "mutation($l: ID!, $c: String!, $u: String!, $p: String!) {{ reprocessCard(lineId: $l, cardNo: $c, verifierUsername: $u, verifierPassword: $p) {{ {LINE_STATE_FIELDS} }} }}"
    )
}
pub fn line_state_q() -> String {
    format!("query($l: ID!) {{ lineState(lineId: $l) {{ {LINE_STATE_FIELDS} }} }}")
}
pub fn card_q() -> String {
    format!(
        "query($c: String!) {{ traceCard(cardNo: $c) {{ cardNo status targetLintKg processedLintKg processableBales traceUnit {{ id processing }} bales {{ {BALE_FIELDS} inspection {{ premium lengthMm strength micronaire conditionedKg }} }} }} }}"
    )
}

// ---------------------------------------------------------------- the world

pub struct GrowerFx {
    pub name: &'static str,
    pub id_number: String,
    pub phone: String,
}

pub struct Mill {
    pub t: Tree,
    /// Second enterprise E65122 (regiment A) and its account qy_b.
    pub enterprise_b: String,
    pub qy_b: String,
    /// The group initiator of company A1 who created the cooperative unit.
    pub initiator: String,
    /// G1..G8 at index 1..=8 (index 0 unused).
    pub growers: Vec<GrowerFx>,
    /// plot code → plot id
    pub plots: HashMap<String, String>,
    pub u1: String,
    pub u3: String,
    pub uc: String,
    pub uw: String,
    pub up: String,
    pub ub: String,
}

const NAMES: [&str; 9] = ["", "张建国", "王秀英", "李志强", "刘桂兰", "陈德明", "杨玉梅", "赵金花", "孙立新"];

impl Mill {
    pub fn plot(&self, code: &str) -> String {
        self.plots.get(code).unwrap_or_else(|| panic!("no plot {code}")).clone()
    }
    pub fn id(&self, g: usize) -> String {
        self.growers[g].id_number.clone()
    }
    pub fn phone(&self, g: usize) -> String {
        self.growers[g].phone.clone()
    }
    pub fn qy_a(&self) -> &str {
        &self.t.qy_a
    }
}

async fn create_unit(srv: &TestServer, token: &str, input: Value) -> String {
    let resp = srv
        .gql(Some(token), "mutation($i: CreateTraceUnitInput!) { createTraceUnit(input: $i) { id status } }", json!({ "i": input }))
        .await;
    let u = data(&resp)["createTraceUnit"].clone();
    assert_eq!(u["status"], "PENDING", "{u}");
    s(&u["id"])
}

async fn approve(srv: &TestServer, token: &str, unit: &str) {
    let d = srv
        .ok(Some(token), "mutation($id: ID!) { reviewTraceUnit(id: $id, approve: true) { status } }", json!({ "id": unit }))
        .await;
    assert_eq!(d["reviewTraceUnit"]["status"], "APPROVED");
}

/// Starts a server with the driver plugins and builds the world above.
pub async fn start(backend: Backend) -> (TestServer, Mill) {
    let srv = TestServer::start(backend, opts()).await;
    let m = setup(&srv).await;
    (srv, m)
}

pub async fn setup(srv: &TestServer) -> Mill {
    let t = setup_tree(srv).await;
    let enterprise_b = srv.create_org(&t.admin, "ENTERPRISE", "E65122", "一二一团第二轧花厂", Some(&t.regiment_a)).await;
    srv.create_account(&t.admin, "qy_b", PW, "ENTERPRISE", &enterprise_b).await;
    let qy_b = srv.login("qy_b", PW).await;
    unit_fixtures::set_min_area(srv, &t.admin, i64::from(SEASON), "1").await;

    let growers: Vec<GrowerFx> = (0..9)
        .map(|i| GrowerFx {
            name: NAMES[i],
            id_number: ginning::id_number(300 + i as u32),
            phone: unit_fixtures::phone(300 + i as u32),
        })
        .collect();
    let r = |g: usize, plot: &str| row(growers[g].name, &growers[g].id_number, &growers[g].phone, plot, "100");
    let rows_a = vec![
        r(1, "A1-01-1"),
        r(1, "A1-01-2"),
        r(2, "A1-02-1"),
        r(3, "A1-03-1"),
        r(4, "A1-04-1"),
        r(5, "A1-05-1"),
        r(6, "A1-06-1"),
        r(7, "A1-07-1"),
        r(7, "A1-07-2"),
    ];
    let rep = unit_fixtures::import_roster(srv, &t.lian_a1, &t.company_a1, i64::from(SEASON), &rows_a).await;
    assert_eq!(unit_fixtures::counts(&rep), [9, 0, 0, 0], "roster A1: {rep}");
    let rep = unit_fixtures::import_roster(srv, &t.lian_b1, &t.company_b1, i64::from(SEASON), &[r(8, "B1-08-1")]).await;
    assert_eq!(unit_fixtures::counts(&rep), [1, 0, 0, 0], "roster B1: {rep}");
    let mut plots = HashMap::new();
    for (token, company) in [(&t.lian_a1, &t.company_a1), (&t.lian_b1, &t.company_b1)] {
        for (code, p) in unit_fixtures::plots(srv, token, company, i64::from(SEASON)).await {
            plots.insert(code, s(&p["id"]));
        }
    }
    assert_eq!(plots.len(), 10, "{plots:?}");
    let p = |codes: &[&str]| codes.iter().map(|c| plots[*c].clone()).collect::<Vec<_>>();
    let company = |name: &str, codes: &[&str]| json!({ "kind": "COMPANY", "name": name, "season": SEASON, "plotIds": p(codes) });

    let u1 = create_unit(srv, &t.lian_a1, company("单户追溯单元", &["A1-01-1", "A1-01-2"])).await;
    let u3 = create_unit(srv, &t.lian_a1, company("三户追溯单元", &["A1-02-1", "A1-03-1", "A1-04-1"])).await;
    let uw = create_unit(srv, &t.lian_a1, company("加工追溯单元", &["A1-07-1"])).await;
    let up = create_unit(srv, &t.lian_a1, company("待审核追溯单元", &["A1-07-2"])).await;
    let ub = create_unit(srv, &t.lian_b1, company("二二团追溯单元", &["B1-08-1"])).await;
    let initiator = srv.register_initiator(INITIATOR_PHONE, &t.company_a1).await;
    let mut coop = json!({ "kind": "COOPERATIVE", "name": "合作社追溯单元", "season": SEASON, "plotIds": p(&["A1-05-1", "A1-06-1"]) });
    coop["legalPerson"] = unit_fixtures::legal_person();
    let uc = create_unit(srv, &initiator, coop).await;
    for u in [&u1, &u3, &uw, &uc] {
        approve(srv, &t.tuan_a, u).await;
    }
    approve(srv, &t.tuan_b, &ub).await;

    Mill { t, enterprise_b, qy_b, initiator, growers, plots, u1, u3, uc, uw, up, ub }
}

// ---------------------------------------------------------------- tickets and cards

/// Uploads `tk` as `token` and prints its card (ZPL); returns the card number.
pub async fn card_of(srv: &TestServer, token: &str, tk: &Tk) -> String {
    let ticket = ginning::upload(srv, token, tk).await;
    let printed = ginning::print(srv, token, &s(&ticket["id"]), &Pr::default().printer("ZPL")).await;
    s(&printed["card"]["cardNo"])
}

/// A ticket of grower `g` from `plot`: gross, tare, lint yield 38.5 %.
pub fn ticket(m: &Mill, no: &str, g: usize, plot: &str, gross: &str, tare: &str) -> Tk {
    Tk::new(no, &m.id(g), &[m.plot(plot)], gross).tare(tare).lint_yield("38.5")
}

/// A card of G7 (unit UW) with target 308 kg lint (net 800 × 38.5 %).
pub async fn work_card(srv: &TestServer, m: &Mill, token: &str, no: &str) -> String {
    card_of(srv, token, &ticket(m, no, 7, "A1-07-1", "1000", "200")).await
}

pub async fn trace_card(srv: &TestServer, token: &str, card_no: &str) -> Value {
    let d = srv.ok(Some(token), &card_q(), json!({ "c": card_no })).await;
    assert!(!d["traceCard"].is_null(), "card {card_no} exists");
    d["traceCard"].clone()
}

/// The barcodes of a card's bales, in press order.
pub fn bale_codes(card: &Value) -> Vec<String> {
    card["bales"].as_array().unwrap_or_else(|| panic!("bales in {card}")).iter().map(|b| s(&b["barcode"])).collect()
}

// ---------------------------------------------------------------- lines

#[derive(Clone, Debug)]
pub struct Line {
    pub id: String,
    pub line_ref: String,
    pub device_key: String,
    pub model: String,
}

pub async fn create_line(srv: &TestServer, token: &str, name: &str, model: &str) -> Line {
    let d = srv.ok(Some(token), CREATE_LINE, json!({ "n": name, "m": model })).await;
    let l = &d["createProductionLine"];
    assert_eq!(l["collectorModel"], model);
    Line { id: s(&l["id"]), line_ref: s(&l["lineRef"]), device_key: s(&l["deviceKey"]), model: model.into() }
}

pub async fn set_verifier(srv: &TestServer, token: &str) {
    let d = srv.ok(Some(token), SET_VERIFIER, json!({ "u": VERIFIER, "p": VERIFIER_PW })).await;
    assert_eq!(d["setVerificationAccount"], true);
}

pub async fn scan_resp(srv: &TestServer, token: &str, line: &str, cards: &[&str]) -> Value {
    srv.gql(Some(token), SCAN, json!({ "l": line, "c": cards })).await
}

/// scanCards → [(cardNo, outcome, message)] (panics when refused).
pub async fn scan(srv: &TestServer, token: &str, line: &str, cards: &[&str]) -> Vec<(String, String, Option<String>)> {
    let resp = scan_resp(srv, token, line, cards).await;
    data(&resp)["scanCards"]
        .as_array()
        .unwrap_or_else(|| panic!("scan results: {resp}"))
        .iter()
        .map(|r| (s(&r["cardNo"]), s(&r["outcome"]), r["message"].as_str().map(str::to_string)))
        .collect()
}

/// The expected scan result of a card with its prompt.
pub fn judged(card: &str, outcome: &str) -> (String, String, Option<String>) {
    let msg = match outcome {
        "NOT_FOUND" => Some(PROMPT_NOT_FOUND),
        "FINISHED" => Some(PROMPT_FINISHED),
        "NEED_DELAY" => Some(PROMPT_NEED_DELAY),
        "IN_PROGRESS" => Some(PROMPT_IN_PROGRESS),
        "QUEUED" | "STARTED" => None,
        other => panic!("unknown outcome {other}"),
    };
    (card.to_string(), outcome.to_string(), msg.map(str::to_string))
}

pub async fn delay_resp(srv: &TestServer, token: &str, line: &str, card: &str, n: i64) -> Value {
    srv.gql(Some(token), &delay_q(), json!({ "l": line, "c": card, "n": n })).await
}

pub async fn delay(srv: &TestServer, token: &str, line: &str, card: &str, n: i64) -> Value {
    let resp = delay_resp(srv, token, line, card, n).await;
    data(&resp)["enterDelayBales"].clone()
}

pub async fn bale_resp(srv: &TestServer, token: &str, line: &str, barcode: &str, net: &str, moisture: Option<&str>) -> Value {
    srv.gql(Some(token), &bale_q(), json!({ "l": line, "b": barcode, "n": net, "m": moisture, "t": rfc3339(Utc::now()) }))
        .await
}

/// recordBale → BaleResult (panics when refused).
pub async fn bale(srv: &TestServer, token: &str, line: &str, barcode: &str, net: &str, moisture: Option<&str>) -> Value {
    let resp = bale_resp(srv, token, line, barcode, net, moisture).await;
    data(&resp)["recordBale"].clone()
}

pub async fn end_resp(srv: &TestServer, token: &str, line: &str) -> Value {
    srv.gql(Some(token), &end_q(), json!({ "l": line })).await
}

pub async fn end(srv: &TestServer, token: &str, line: &str) -> Value {
    let resp = end_resp(srv, token, line).await;
    data(&resp)["endCurrentCard"].clone()
}

pub async fn reprocess_resp(srv: &TestServer, token: &str, line: &str, card: &str, user: &str, pw: &str) -> Value {
    srv.gql(Some(token), &reprocess_q(), json!({ "l": line, "c": card, "u": user, "p": pw })).await
}

pub async fn line_state(srv: &TestServer, token: &str, line: &str) -> Value {
    srv.ok(Some(token), &line_state_q(), json!({ "l": line })).await["lineState"].clone()
}

/// A line state's queue as [(cardNo, delayBales)].
pub fn queue(state: &Value) -> Vec<(String, i64)> {
    state["queue"]
        .as_array()
        .unwrap_or_else(|| panic!("queue in {state}"))
        .iter()
        .map(|q| (s(&q["card"]["cardNo"]), q["delayBales"].as_i64().expect("delayBales")))
        .collect()
}

pub fn q(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

// ---------------------------------------------------------------- shifts and upload files

/// One operator action on a line, the same online (VI) and in a device file (IV/V).
#[derive(Clone, Debug)]
pub enum Op {
    /// Scan cards (indexes into the shift's cards).
    Scan(Vec<usize>),
    Delay(usize, u32),
    /// A bale: barcode suffix, net kg, moisture %.
    Bale(&'static str, &'static str, Option<&'static str>),
    /// "结束" of the head card (its index: the device names the card it ends).
    End(usize),
    Reprocess(usize),
}

/// Feeds `ops` to a VI line online; returns the barcode of each bale in order.
pub async fn run_online(srv: &TestServer, token: &str, line: &str, cards: &[String], prefix: &str, ops: &[Op]) -> Vec<String> {
    let mut barcodes = Vec::new();
    for op in ops {
        match op {
            Op::Scan(ix) => {
                let nos: Vec<&str> = ix.iter().map(|i| cards[*i].as_str()).collect();
                scan(srv, token, line, &nos).await;
            }
            Op::Delay(i, n) => {
                delay(srv, token, line, &cards[*i], i64::from(*n)).await;
            }
            Op::Bale(sfx, net, m) => {
                let code = format!("{prefix}{sfx}");
                bale(srv, token, line, &code, net, *m).await;
                barcodes.push(code);
            }
            Op::End(_) => {
                end(srv, token, line).await;
            }
            Op::Reprocess(i) => {
                let resp = reprocess_resp(srv, token, line, &cards[*i], VERIFIER, VERIFIER_PW).await;
                data(&resp);
            }
        }
    }
    barcodes
}

/// The records a device writes for `ops` (sequence numbers from 1, one minute apart).
/// `device_links` are the cards the device assigned each bale to (informational:
/// the platform re-decides).
pub fn records(cards: &[String], prefix: &str, ops: &[Op], start: DateTime<Utc>) -> Vec<ProcessingRecord> {
    let mut out = Vec::new();
    let push = |event: ProcessingEvent, out: &mut Vec<ProcessingRecord>| {
        let seq = out.len() as u64 + 1;
        out.push(ProcessingRecord { seq, at: start + Duration::minutes(seq as i64), event });
    };
    for op in ops {
        let event = match op {
            Op::Scan(ix) => ProcessingEvent::Scan { card_nos: ix.iter().map(|i| cards[*i].clone()).collect() },
            Op::Delay(i, n) => ProcessingEvent::DelayEntered { card_no: cards[*i].clone(), count: *n },
            Op::Bale(sfx, net, m) => ProcessingEvent::BalePressed {
                barcode: format!("{prefix}{sfx}"),
                net_kg: net.parse::<Decimal>().unwrap(),
                moisture_pct: m.map(|m| m.parse::<Decimal>().unwrap()),
                card_no: None,
            },
            Op::End(i) => ProcessingEvent::CardEnded { card_no: cards[*i].clone() },
            Op::Reprocess(i) => ProcessingEvent::Reprocess { card_no: cards[*i].clone(), verifier: VERIFIER.into() },
        };
        push(event, &mut out);
    }
    out
}

pub fn model_of(m: &str) -> CollectorModel {
    match m {
        "IV" => CollectorModel::Iv,
        "V" => CollectorModel::V,
        "VI" => CollectorModel::Vi,
        other => panic!("model {other}"),
    }
}

/// The signed upload file a device of `model` writes for `line_ref`, signed with `key_b64`.
pub fn upload_file(registry: &PluginRegistry, model: &str, line_ref: &str, key_b64: &str, records: Vec<ProcessingRecord>) -> Vec<u8> {
    let model = model_of(model);
    let upload = RecordUpload {
        line_id: line_ref.to_string(),
        model,
        device_id: "SN-2026-001".into(),
        written_at: Utc::now(),
        records,
    };
    let key = signing_key_from_base64(key_b64).expect("deviceKey is a base64 Ed25519 signing key");
    registry
        .require_collector(model)
        .expect("collector plugin loaded")
        .upload_file(&upload, &key)
        .expect("the collector writes the upload file")
        .bytes
}

pub async fn upload_resp(srv: &TestServer, token: &str, line: &str, bytes: Vec<u8>) -> Value {
    srv.upload(Some(token), UPLOAD_FILE, json!({ "l": line }), "records.dat", bytes).await
}

// ---------------------------------------------------------------- inspections

pub const INSPECTION_HEADER: [&str; 9] = ["条码", "颜色级", "长度", "强度", "马克隆值", "整齐度", "含杂率", "回潮率", "公定重量"];

/// One inspection line: barcode, colour grade, length, strength, micronaire,
/// uniformity, trash, moisture, conditioned kg ("" = blank).
pub type InspRow = [&'static str; 9];

pub fn csv_of(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = header.join(",");
    text.push('\n');
    for r in rows {
        text.push_str(&r.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

pub fn inspection_csv(rows: &[InspRow]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    csv_of(&INSPECTION_HEADER, &rows)
}

pub fn inspection_xlsx(rows: &[InspRow]) -> Vec<u8> {
    let mut all = vec![INSPECTION_HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()));
    unit_fixtures::xlsx_text(&all)
}

pub async fn import_inspections_resp(srv: &TestServer, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    srv.upload(Some(token), IMPORT_INSPECTIONS, json!({}), name, bytes).await
}

pub async fn import_inspections(srv: &TestServer, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let resp = import_inspections_resp(srv, token, name, bytes).await;
    data(&resp)["importInspections"].clone()
}

/// [created, updated, skipped, failed] of an import report.
pub fn counts(report: &Value) -> [i64; 4] {
    unit_fixtures::counts(report)
}

/// [(row, status)] of an import report.
pub fn statuses(report: &Value) -> Vec<(i64, String)> {
    unit_fixtures::row_statuses(report)
}
