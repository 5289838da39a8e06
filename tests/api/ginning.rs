//! Shared fixture of the ginning-enterprise tests (issue 5: tickets, cards,
//! print records, production lines, export): the driver plugins, a roster with
//! trace units in every state, two enterprises, and the GraphQL operations.
//!
//! ```text
//! setup_tree (R121 ─ R121-01 company, E65121 enterprise qy_a) + E65122 enterprise qy_b
//! roster of R121-01, season 2026 (100 mu a plot; season min area lowered to 1 mu):
//!   G1 A1-01-1, A1-01-2 ─┐
//!   G2 A1-02-1 ──────────┼ unit OK   "一连第一追溯单元"  APPROVED
//!   G3 A1-03-1 ──────────┘
//!   G2 A1-02-2 ─────────── unit OK2  "一连第二追溯单元"  APPROVED (G2's plots are split over two units)
//!   G4 A1-04-1 ─────────── unit PENDING
//!   G5 A1-05-1 ─────────── unit REJECTED
//!   G6 A1-06-1 ─────────── in no unit
//! roster of R121-01, season 2025: G1 A1-01-9 (a plot of another season)
//! ```

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::harness::*;

/// The plugin build helper of the conformance kit (builds cdylibs into the
/// running test's target folder; made to be compiled into other tests by path).
#[path = "../../plugins/conformance/src/build.rs"]
mod plugin_build;

pub const SEASON: i32 = 2026;
pub const OTHER_SEASON: i32 = 2025;

/// The driver plugins the server needs for issue 5, by package.
pub const PLUGIN_PACKAGES: [&str; 6] = [
    "cotton-printer-pdf",
    "cotton-printer-zpl",
    "cotton-printer-tspl",
    "cotton-collector-iv",
    "cotton-collector-v",
    "cotton-collector-vi",
];

/// A folder holding (symlinks to) exactly the six project driver plugins, built
/// once per test binary with cargo (`-j2`). The folder lives next to the
/// libraries in the target folder, so nothing is left in /tmp; each link is
/// replaced atomically, so concurrent test processes do not disturb each other.
pub fn plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let libs = plugin_build::cargo_cdylibs(&PLUGIN_PACKAGES);
        let profile = libs[0].parent().expect("library folder");
        let profile = if profile.file_name().is_some_and(|n| n == "deps") { profile.parent().unwrap() } else { profile };
        let dir = profile.join("cotton-api-test-plugins");
        std::fs::create_dir_all(&dir).expect("create the test plugins folder");
        for lib in &libs {
            let name = lib.file_name().expect("library file name");
            let tmp = dir.join(format!(".{}.{}", name.to_string_lossy(), std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            std::os::unix::fs::symlink(lib, &tmp).expect("symlink a plugin");
            std::fs::rename(&tmp, dir.join(name)).expect("move the plugin link into place");
        }
        dir
    })
}

/// `serve --dev --plugins-dir <the six plugins>`.
pub fn opts() -> Opts {
    Opts::default().arg("--plugins-dir").arg(plugins_dir().to_str().expect("utf-8 path"))
}

// ---------------------------------------------------------------- identities

/// ISO 7064 MOD 11-2 check character of a resident ID number body (17 digits).
pub fn id_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// A valid ID number: area 650102, born 1980-0M-DD (from n), serial n % 1000.
pub fn id_number(n: u32) -> String {
    let body = format!("65010219800{}{:02}{:03}", 1 + n % 9, 1 + n % 28, n % 1000);
    assert_eq!(body.len(), 17);
    format!("{body}{}", id_check(&body))
}

/// The same ID number with a wrong check character.
pub fn bad_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{}{}", &id[..17], wrong)
}

/// `6501**********1234`.
pub fn masked(id: &str) -> String {
    format!("{}{}{}", &id[..4], "*".repeat(10), &id[14..])
}

// ---------------------------------------------------------------- card numbers

const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm check digit of ASCII digits.
pub fn damm(digits: &str) -> char {
    let i = digits.bytes().fold(0u8, |i, d| DAMM[usize::from(i)][usize::from(d - b'0')]);
    char::from(b'0' + i)
}

/// Asserts `TC` + 2-digit season + 10-digit serial + Damm check digit.
pub fn assert_card_no(card_no: &str, season: i32) {
    assert_eq!(card_no.len(), 15, "card number {card_no:?} has 15 characters");
    assert!(card_no.starts_with("TC"), "card number {card_no:?} starts with TC");
    let digits = &card_no[2..14];
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "card number {card_no:?}: 12 digits after TC");
    assert_eq!(&card_no[2..4], format!("{:02}", season % 100), "card number {card_no:?} carries the season");
    assert_eq!(card_no.chars().last().unwrap(), damm(digits), "card number {card_no:?}: Damm check digit");
}

/// The card number with its last (check) digit changed.
pub fn wrong_check_digit(card_no: &str) -> String {
    let last = card_no.chars().last().unwrap();
    let wrong = if last == '9' { '0' } else { char::from(last as u8 + 1) };
    format!("{}{}", &card_no[..14], wrong)
}

/// A well-formed card number nobody has printed (serial 9 999 999 999).
pub fn unknown_card_no(season: i32) -> String {
    let digits = format!("{:02}{}", season % 100, "9".repeat(10));
    format!("TC{digits}{}", damm(&digits))
}

// ---------------------------------------------------------------- times

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Now minus `minutes`, as RFC 3339.
pub fn minutes_ago(minutes: i64) -> String {
    rfc3339(Utc::now() - Duration::minutes(minutes))
}

pub fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("expected a DateTime, got {v}")))
        .unwrap_or_else(|e| panic!("not RFC 3339: {v}: {e}"))
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------- operations

pub const TICKET_FIELDS: &str = "id ticketNo season grossKg tareKg netKg moisturePct trashPct lintYieldPct lintTargetKg moduleCount weighedAt uploadedAt late grower { id name idNumberMasked } plots { id code season } traceUnit { id name status } card { id cardNo status }";
pub const CARD_FIELDS: &str = "id cardNo season status moduleType moduleCount targetLintKg processedLintKg processableBales traceUnit { id name status } ticket { id ticketNo grower { name } }";
pub const RECORD_FIELDS: &str = "id copies reprint printer at by { username } card { id cardNo }";

pub fn upload_query() -> String {
    format!("mutation($i: TicketInput!) {{ uploadTicket(input: $i) {{ {TICKET_FIELDS} }} }}")
}

pub fn print_query() -> String {
    format!(
        "mutation($t: ID!, $m: ModuleType!, $n: Int!, $c: Int, $p: String) {{ printTraceCard(ticketId: $t, moduleType: $m, moduleCount: $n, copies: $c, printer: $p) {{ card {{ {CARD_FIELDS} }} record {{ {RECORD_FIELDS} }} output {{ fileName mimeType base64 }} }} }}"
    )
}

pub fn reprint_query() -> String {
    format!(
        "mutation($c: String!, $n: Int!) {{ reprintTraceCard(cardNo: $c, copies: $n) {{ card {{ {CARD_FIELDS} }} record {{ {RECORD_FIELDS} }} output {{ fileName mimeType base64 }} }} }}"
    )
}

pub fn trace_card_query() -> String {
    format!("query($c: String!) {{ traceCard(cardNo: $c) {{ {CARD_FIELDS} }} }}")
}

pub fn grower_tickets_query() -> String {
    format!(
        "query($i: String!, $s: Int!) {{ growerTickets(idNumber: $i, season: $s) {{ grower {{ id name idNumberMasked }} tickets {{ {TICKET_FIELDS} }} }} }}"
    )
}

pub const CARD_USAGE: &str = "query($s: Int!) { cardUsage(season: $s) { printed exported processing finished } }";
pub const SET_RULES: &str = "mutation($s: Int!, $i: SeasonRulesInput!) { setSeasonRules(season: $s, input: $i) { season realtimeWindowMinutes minUnitAreaMu } }";
pub const CREATE_LINE: &str = "mutation($n: String!, $m: CollectorModel!) { createProductionLine(name: $n, collectorModel: $m) { id name collectorModel lineRef } }";
pub const LINES: &str = "{ productionLines { id name collectorModel lineRef } }";
pub const EXPORT: &str = "mutation($l: ID!) { exportTraceFile(lineId: $l) { fileName mimeType base64 cardCount } }";
pub const PUBLIC_KEY: &str = "{ platformPublicKey }";

const IMPORT_ROSTER: &str = "mutation($c: ID!, $s: Int!, $file: Upload!) { importRoster(companyId: $c, season: $s, file: $file) { created updated skipped failed rows { row status message } } }";
const CREATE_UNIT: &str = "mutation($i: CreateTraceUnitInput!) { createTraceUnit(input: $i) { id name status } }";
const REVIEW_UNIT: &str = "mutation($id: ID!, $a: Boolean!, $r: String) { reviewTraceUnit(id: $id, approve: $a, reason: $r) { id status } }";
const GROWERS: &str = "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s, first: 100) { edges { node { id name plots(season: $s) { id code } } } } }";

// ---------------------------------------------------------------- fixture

pub struct GrowerFx {
    pub name: &'static str,
    pub id_number: String,
}

pub struct Gin {
    pub t: Tree,
    /// The second enterprise (E65122, account qy_b) and its token.
    pub enterprise_b: String,
    pub qy_b: String,
    /// G1..G6 at index 1..=6 (index 0 unused).
    pub growers: Vec<GrowerFx>,
    /// Plot id by code (both seasons).
    pub plots: HashMap<String, String>,
    pub unit_ok: String,
    pub unit_ok2: String,
    pub unit_pending: String,
    pub unit_rejected: String,
}

const GROWER_NAMES: [&str; 7] = ["", "张建国", "王秀英", "李志强", "刘桂兰", "陈德明", "杨玉梅"];

fn roster_xlsx(rows: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "手机号", "地块编号", "面积（亩）", "位置", "品种"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, id, plot)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_string(r, 1, *id).unwrap();
        ws.write_string(r, 3, *plot).unwrap();
        ws.write_string(r, 4, "100").unwrap();
        ws.write_string(r, 5, "第一条田").unwrap();
        ws.write_string(r, 6, "新陆早84号").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

impl Gin {
    pub fn plot(&self, code: &str) -> String {
        self.plots.get(code).unwrap_or_else(|| panic!("no plot {code} in the fixture")).clone()
    }
    pub fn id(&self, grower: usize) -> String {
        self.growers[grower].id_number.clone()
    }
    pub fn qy_a(&self) -> &str {
        &self.t.qy_a
    }
}

async fn import_roster(srv: &TestServer, token: &str, company: &str, season: i32, rows: &[(&str, &str, &str)]) {
    let resp = srv
        .upload(Some(token), IMPORT_ROSTER, json!({ "c": company, "s": season }), "roster.xlsx", roster_xlsx(rows))
        .await;
    let report = data(&resp)["importRoster"].clone();
    assert_eq!(report["failed"], 0, "roster import failed rows: {report}");
    assert_eq!(report["created"], rows.len(), "roster rows created: {report}");
}

async fn create_unit(srv: &TestServer, token: &str, name: &str, plots: Vec<String>) -> String {
    let d = srv
        .ok(
            Some(token),
            CREATE_UNIT,
            json!({ "i": { "kind": "COMPANY", "name": name, "season": SEASON, "plotIds": plots } }),
        )
        .await;
    assert_eq!(d["createTraceUnit"]["status"], "PENDING");
    s(&d["createTraceUnit"]["id"])
}

async fn review(srv: &TestServer, token: &str, unit: &str, approve: bool, reason: Option<&str>) {
    let d = srv.ok(Some(token), REVIEW_UNIT, json!({ "id": unit, "a": approve, "r": reason })).await;
    assert_eq!(d["reviewTraceUnit"]["status"], if approve { "APPROVED" } else { "REJECTED" });
}

/// Starts a server with the plugins and builds the fixture described at the top.
pub async fn start(backend: Backend) -> (TestServer, Gin) {
    let srv = TestServer::start(backend, opts()).await;
    let g = setup(&srv).await;
    (srv, g)
}

pub async fn setup(srv: &TestServer) -> Gin {
    let t = setup_tree(srv).await;
    let enterprise_b = srv.create_org(&t.admin, "ENTERPRISE", "E65122", "一二一团第二轧花厂", Some(&t.regiment_a)).await;
    srv.create_account(&t.admin, "qy_b", PW, "ENTERPRISE", &enterprise_b).await;
    let qy_b = srv.login("qy_b", PW).await;
    srv.ok(Some(&t.admin), SET_RULES, json!({ "s": SEASON, "i": { "minUnitAreaMu": "1" } })).await;

    let growers: Vec<GrowerFx> =
        (0..7).map(|i| GrowerFx { name: GROWER_NAMES[i], id_number: id_number(100 + i as u32) }).collect();
    let row = |g: usize, plot: &'static str| (growers[g].name, growers[g].id_number.as_str(), plot);
    let rows = vec![
        row(1, "A1-01-1"),
        row(1, "A1-01-2"),
        row(2, "A1-02-1"),
        row(2, "A1-02-2"),
        row(3, "A1-03-1"),
        row(4, "A1-04-1"),
        row(5, "A1-05-1"),
        row(6, "A1-06-1"),
    ];
    import_roster(srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    import_roster(srv, &t.lian_a1, &t.company_a1, OTHER_SEASON, &[row(1, "A1-01-9")]).await;

    let mut plots = HashMap::new();
    for season in [SEASON, OTHER_SEASON] {
        let d = srv.ok(Some(&t.lian_a1), GROWERS, json!({ "c": t.company_a1, "s": season })).await;
        for e in d["growers"]["edges"].as_array().expect("growers") {
            for p in e["node"]["plots"].as_array().expect("plots") {
                plots.insert(s(&p["code"]), s(&p["id"]));
            }
        }
    }
    assert_eq!(plots.len(), 9, "every roster plot is listed: {plots:?}");
    let p = |c: &str| plots[c].clone();

    let unit_ok = create_unit(srv, &t.lian_a1, "一连第一追溯单元", vec![p("A1-01-1"), p("A1-01-2"), p("A1-02-1"), p("A1-03-1")]).await;
    let unit_ok2 = create_unit(srv, &t.lian_a1, "一连第二追溯单元", vec![p("A1-02-2")]).await;
    let unit_pending = create_unit(srv, &t.lian_a1, "一连待审核单元", vec![p("A1-04-1")]).await;
    let unit_rejected = create_unit(srv, &t.lian_a1, "一连被驳回单元", vec![p("A1-05-1")]).await;
    review(srv, &t.tuan_a, &unit_ok, true, None).await;
    review(srv, &t.tuan_a, &unit_ok2, true, None).await;
    review(srv, &t.tuan_a, &unit_rejected, false, Some("地块面积与实际不符")).await;

    Gin { t, enterprise_b, qy_b, growers, plots, unit_ok, unit_ok2, unit_pending, unit_rejected }
}

// ---------------------------------------------------------------- tickets

/// A `TicketInput` under construction; optional fields are left out (not null)
/// unless set.
#[derive(Clone, Debug)]
pub struct Tk(pub Map<String, Value>);

impl Tk {
    pub fn new(no: &str, id_number: &str, plots: &[String], gross: &str) -> Tk {
        let mut m = Map::new();
        m.insert("ticketNo".into(), json!(no));
        m.insert("season".into(), json!(SEASON));
        m.insert("growerIdNumber".into(), json!(id_number));
        m.insert("plotIds".into(), json!(plots));
        m.insert("grossKg".into(), json!(gross));
        m.insert("weighedAt".into(), json!(minutes_ago(5)));
        Tk(m)
    }
    pub fn set(mut self, k: &str, v: Value) -> Tk {
        self.0.insert(k.into(), v);
        self
    }
    pub fn without(mut self, k: &str) -> Tk {
        self.0.remove(k);
        self
    }
    pub fn tare(self, v: &str) -> Tk {
        self.set("tareKg", json!(v))
    }
    pub fn lint_yield(self, v: &str) -> Tk {
        self.set("lintYieldPct", json!(v))
    }
    pub fn moisture(self, v: &str) -> Tk {
        self.set("moisturePct", json!(v))
    }
    pub fn trash(self, v: &str) -> Tk {
        self.set("trashPct", json!(v))
    }
    pub fn gross(self, v: &str) -> Tk {
        self.set("grossKg", json!(v))
    }
    pub fn modules(self, n: i64) -> Tk {
        self.set("moduleCount", json!(n))
    }
    pub fn at(self, t: &str) -> Tk {
        self.set("weighedAt", json!(t))
    }
    pub fn season(self, s: i32) -> Tk {
        self.set("season", json!(s))
    }
    pub fn plots(self, plots: &[String]) -> Tk {
        self.set("plotIds", json!(plots))
    }
    pub fn grower(self, id_number: &str) -> Tk {
        self.set("growerIdNumber", json!(id_number))
    }
    /// A complete ticket: tare and lint yield set.
    pub fn complete(self) -> Tk {
        self.tare("200").lint_yield("38.5")
    }
}

pub async fn upload_raw(srv: &TestServer, token: &str, tk: &Tk) -> Value {
    srv.gql(Some(token), &upload_query(), json!({ "i": Value::Object(tk.0.clone()) })).await
}

/// Uploads and returns the ticket (panics when refused).
pub async fn upload(srv: &TestServer, token: &str, tk: &Tk) -> Value {
    let resp = upload_raw(srv, token, tk).await;
    data(&resp)["uploadTicket"].clone()
}

/// Uploads, expecting a refusal; returns its code.
pub async fn upload_code(srv: &TestServer, token: &str, tk: &Tk) -> String {
    let resp = upload_raw(srv, token, tk).await;
    assert!(resp["data"].is_null() || resp["data"]["uploadTicket"].is_null(), "expected a refusal: {resp}");
    err_code(&resp)
}

/// The enterprise's uncarded tickets of a grower.
pub async fn grower_tickets(srv: &TestServer, token: &str, id_number: &str, season: i32) -> Value {
    srv.ok(Some(token), &grower_tickets_query(), json!({ "i": id_number, "s": season })).await["growerTickets"].clone()
}

/// The ticket numbers among `growerTickets`.
pub async fn open_ticket_nos(srv: &TestServer, token: &str, id_number: &str, season: i32) -> Vec<String> {
    let gt = grower_tickets(srv, token, id_number, season).await;
    let mut v: Vec<String> = gt["tickets"].as_array().expect("tickets").iter().map(|t| s(&t["ticketNo"])).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- cards

/// `printTraceCard` arguments; `copies` / `printer` are left out unless set.
#[derive(Clone, Debug)]
pub struct Pr {
    pub module_type: &'static str,
    pub module_count: i64,
    pub copies: Option<i64>,
    pub printer: Option<&'static str>,
}

impl Default for Pr {
    fn default() -> Self {
        Pr { module_type: "ROUND_MODULE", module_count: 4, copies: None, printer: None }
    }
}

impl Pr {
    pub fn copies(mut self, n: i64) -> Pr {
        self.copies = Some(n);
        self
    }
    pub fn printer(mut self, p: &'static str) -> Pr {
        self.printer = Some(p);
        self
    }
    pub fn module(mut self, ty: &'static str, n: i64) -> Pr {
        self.module_type = ty;
        self.module_count = n;
        self
    }
}

pub async fn print_raw(srv: &TestServer, token: &str, ticket_id: &str, pr: &Pr) -> Value {
    let mut vars = json!({ "t": ticket_id, "m": pr.module_type, "n": pr.module_count });
    if let Some(c) = pr.copies {
        vars["c"] = json!(c);
    }
    if let Some(p) = pr.printer {
        vars["p"] = json!(p);
    }
    srv.gql(Some(token), &print_query(), vars).await
}

/// Prints and returns the `PrintResult` (panics when refused).
pub async fn print(srv: &TestServer, token: &str, ticket_id: &str, pr: &Pr) -> Value {
    let resp = print_raw(srv, token, ticket_id, pr).await;
    data(&resp)["printTraceCard"].clone()
}

/// Prints, expecting a refusal; returns its code.
pub async fn print_code(srv: &TestServer, token: &str, ticket_id: &str, pr: &Pr) -> String {
    let resp = print_raw(srv, token, ticket_id, pr).await;
    assert!(resp["data"].is_null() || resp["data"]["printTraceCard"].is_null(), "expected a refusal: {resp}");
    err_code(&resp)
}

/// Uploads a complete ticket of G1 (unit OK) and prints its card with `pr`.
pub async fn carded_ticket(srv: &TestServer, g: &Gin, token: &str, no: &str, pr: &Pr) -> Value {
    let tk = Tk::new(no, &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    let ticket = upload(srv, token, &tk).await;
    print(srv, token, &s(&ticket["id"]), pr).await
}

pub async fn trace_card(srv: &TestServer, token: &str, card_no: &str) -> Value {
    srv.gql(Some(token), &trace_card_query(), json!({ "c": card_no })).await
}

/// `cardUsage(season)` as [printed, exported, processing, finished].
pub async fn card_usage(srv: &TestServer, token: &str, season: i32) -> [i64; 4] {
    let u = srv.ok(Some(token), CARD_USAGE, json!({ "s": season })).await["cardUsage"].clone();
    ["printed", "exported", "processing", "finished"].map(|k| u[k].as_i64().unwrap_or_else(|| panic!("{k} in {u}")))
}

/// The decoded bytes of a `FileOutput` / `ExportedFile`.
pub fn file_bytes(output: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(output["base64"].as_str().unwrap_or_else(|| panic!("base64 in {output}")))
        .unwrap_or_else(|e| panic!("output is not base64: {e}"))
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}
