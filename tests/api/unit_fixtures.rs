//! Shared fixtures for the roster and trace-unit tests: valid ID numbers, roster
//! sheets, a small world of companies with rosters, and the unit operations.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::*;

pub const SEASON: i64 = 2026;

/// A valid unified social credit code (GB 32100 check character).
pub const CREDIT_CODE: &str = "91350100M000100Y43";

/// The roster sheet header, row 1 exactly.
pub const ROSTER_HEADER: [&str; 7] = ["姓名", "身份证号", "手机号", "地块编号", "面积（亩）", "位置", "品种"];

// ---------------------------------------------------------------- identities

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of 17 digits.
pub fn id_check(body: &str) -> char {
    assert_eq!(body.len(), 17, "17 digits: {body}");
    let sum: u32 = body.bytes().zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    ID_CHECK[(sum % 11) as usize] as char
}

/// A valid 18-character ID number, distinct for every `n` < 36 000.
pub fn id_number(n: u32) -> String {
    let year = 1950 + (n / 1000) % 36;
    let month = 1 + (n / 100) % 12;
    let day = 1 + n % 28;
    let body = format!("650102{year}{month:02}{day:02}{:03}", n % 1000);
    format!("{body}{}", id_check(&body))
}

/// The same number with a wrong check character.
pub fn bad_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

/// `6501**********1234`: first 4 and last 4 characters kept.
pub fn masked(id: &str) -> String {
    format!("{}{}{}", &id[..4], "*".repeat(id.len() - 8), &id[id.len() - 4..])
}

/// A valid mobile number for `n`.
pub fn phone(n: u32) -> String {
    format!("137{n:08}")
}

// ---------------------------------------------------------------- roster sheets

/// One roster row (one plot of a grower).
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub id: String,
    pub phone: String,
    pub plot: String,
    pub area: String,
    pub location: String,
    pub variety: String,
}

pub fn row(name: &str, id: &str, phone: &str, plot: &str, area: &str) -> Row {
    Row {
        name: name.into(),
        id: id.into(),
        phone: phone.into(),
        plot: plot.into(),
        area: area.into(),
        location: "第1条田".into(),
        variety: "新陆早84号".into(),
    }
}

impl Row {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.id.clone(),
            self.phone.clone(),
            self.plot.clone(),
            self.area.clone(),
            self.location.clone(),
            self.variety.clone(),
        ]
    }
}

/// An xlsx whose first sheet holds `rows` as text (empty strings left blank).
pub fn xlsx_text(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r as u32, c as u16, cell.as_str()).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A roster sheet: the header, then `rows`.
pub fn roster_xlsx(rows: &[Row]) -> Vec<u8> {
    let mut all = vec![ROSTER_HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    all.extend(rows.iter().map(Row::cells));
    xlsx_text(&all)
}

pub const IMPORT_ROSTER: &str = "mutation($c: ID!, $s: Int!, $file: Upload!) { importRoster(companyId: $c, season: $s, file: $file) { created updated skipped failed rows { row status message } } }";

/// The raw response of importRoster.
pub async fn import_roster_resp(srv: &TestServer, token: Option<&str>, company: &str, season: i64, bytes: Vec<u8>) -> Value {
    srv.upload(token, IMPORT_ROSTER, json!({ "c": company, "s": season }), "roster.xlsx", bytes).await
}

/// importRoster's report (panics when refused).
pub async fn import_roster(srv: &TestServer, token: &str, company: &str, season: i64, rows: &[Row]) -> Value {
    let resp = import_roster_resp(srv, Some(token), company, season, roster_xlsx(rows)).await;
    data(&resp)["importRoster"].clone()
}

/// [created, updated, skipped, failed] of a report.
pub fn counts(report: &Value) -> [i64; 4] {
    ["created", "updated", "skipped", "failed"].map(|k| report[k].as_i64().unwrap_or_else(|| panic!("{k} in {report}")))
}

/// (row, status) of every reported row.
pub fn row_statuses(report: &Value) -> Vec<(i64, String)> {
    report["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {report}"))
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), s(&r["status"])))
        .collect()
}

// ---------------------------------------------------------------- rosters

pub const GROWERS: &str = "query($c: ID!, $s: Int!, $q: String, $f: Int, $a: String) { growers(companyId: $c, season: $s, search: $q, first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name idNumberMasked phone company { id code } plots(season: $s) { id code season areaMu grower { id } traceUnit { id code status } } } } } }";

pub async fn growers_resp(srv: &TestServer, token: Option<&str>, company: &str, season: i64, search: Option<&str>, first: Option<i64>, after: Option<&str>) -> Value {
    srv.gql(token, GROWERS, json!({ "c": company, "s": season, "q": search, "f": first, "a": after })).await
}

/// The whole roster connection (first: 200) as seen by `token`.
pub async fn growers(srv: &TestServer, token: &str, company: &str, season: i64, search: Option<&str>) -> Value {
    let resp = growers_resp(srv, Some(token), company, season, search, Some(200), None).await;
    data(&resp)["growers"].clone()
}

pub fn nodes(conn: &Value) -> Vec<Value> {
    conn["edges"].as_array().unwrap_or_else(|| panic!("edges in {conn}")).iter().map(|e| e["node"].clone()).collect()
}

/// Plot code → plot JSON (id, areaMu, grower, traceUnit) of a company's season roster.
pub async fn plots(srv: &TestServer, token: &str, company: &str, season: i64) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for g in nodes(&growers(srv, token, company, season, None).await) {
        for p in g["plots"].as_array().unwrap() {
            out.insert(s(&p["code"]), p.clone());
        }
    }
    out
}

// ---------------------------------------------------------------- a small world

/// `setup_tree` plus company A2 (regiment A, account `lian_a2`) and rosters for
/// season 2026, every plot 100 mu, one grower per two plots:
/// A1-01..A1-12 (growers 1..6), A2-01..A2-08 (growers 11..14), B1-01..B1-08
/// (growers 21..24); plus a 2025 plot A1-2025-01 (100 mu, grower 1).
pub struct World {
    pub t: Tree,
    pub company_a2: String,
    pub lian_a2: String,
    /// plot code → plot id
    pub plot: BTreeMap<String, String>,
}

impl World {
    pub fn ids(&self, codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| self.plot.get(*c).unwrap_or_else(|| panic!("no plot {c}")).clone()).collect()
    }
}

/// Rows for `count` plots `<prefix>-01..` of 100 mu, two per grower, growers
/// numbered from `first_grower`.
pub fn company_rows(prefix: &str, count: u32, first_grower: u32) -> Vec<Row> {
    (1..=count)
        .map(|i| {
            let g = first_grower + (i - 1) / 2;
            row(&format!("种植者{g}"), &id_number(g), &phone(g), &format!("{prefix}-{i:02}"), "100")
        })
        .collect()
}

pub async fn setup_world(srv: &TestServer) -> World {
    let t = setup_tree(srv).await;
    let company_a2 = srv.create_org(&t.admin, "COMPANY", "R121-02", "一二一团二连", Some(&t.regiment_a)).await;
    srv.create_account(&t.admin, "lian_a2", PW, "COMPANY", &company_a2).await;
    let lian_a2 = srv.login("lian_a2", PW).await;
    for (company, prefix, first) in [(&t.company_a1, "A1", 1), (&company_a2, "A2", 11), (&t.company_b1, "B1", 21)] {
        let n = if prefix == "A1" { 12 } else { 8 };
        let rep = import_roster(srv, &t.admin, company, SEASON, &company_rows(prefix, n, first)).await;
        assert_eq!(counts(&rep), [n as i64, 0, 0, 0], "world roster {prefix}: {rep}");
    }
    let old = vec![row("种植者1", &id_number(1), &phone(1), "A1-2025-01", "100")];
    let rep = import_roster(srv, &t.admin, &t.company_a1, 2025, &old).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "2025 roster: {rep}");
    let mut plot = BTreeMap::new();
    for (company, season) in [(&t.company_a1, SEASON), (&company_a2, SEASON), (&t.company_b1, SEASON), (&t.company_a1, 2025)] {
        for (code, p) in plots(srv, &t.admin, company, season).await {
            plot.insert(code, s(&p["id"]));
        }
    }
    assert_eq!(plot.len(), 12 + 8 + 8 + 1, "world plots: {plot:?}");
    World { t, company_a2, lian_a2, plot }
}

// ---------------------------------------------------------------- units

pub const UNIT_FIELDS: &str = "id code name kind season status processing region { id code kind } legalPerson { name idNumberMasked creditCode phone } members { grower { id name idNumberMasked } plots { id code areaMu } areaMu } totalAreaMu reviews { action reason by { username role } at }";

pub fn create_q() -> String {
    format!("mutation($i: CreateTraceUnitInput!) {{ createTraceUnit(input: $i) {{ {UNIT_FIELDS} }} }}")
}
pub fn update_q() -> String {
    format!("mutation($id: ID!, $i: UpdateTraceUnitInput!) {{ updateTraceUnit(id: $id, input: $i) {{ {UNIT_FIELDS} }} }}")
}
pub fn dissolve_q() -> String {
    format!("mutation($id: ID!) {{ dissolveTraceUnit(id: $id) {{ {UNIT_FIELDS} }} }}")
}
pub fn review_q() -> String {
    format!("mutation($id: ID!, $a: Boolean!, $r: String) {{ reviewTraceUnit(id: $id, approve: $a, reason: $r) {{ {UNIT_FIELDS} }} }}")
}
pub fn revoke_q() -> String {
    format!("mutation($id: ID!, $r: String!) {{ revokeReview(id: $id, reason: $r) {{ {UNIT_FIELDS} }} }}")
}
pub fn unit_q() -> String {
    format!("query($id: ID!) {{ traceUnit(id: $id) {{ {UNIT_FIELDS} }} }}")
}
pub const UNITS_Q: &str = "query($s: Int, $st: UnitStatus, $k: UnitKind, $r: ID, $f: Int, $a: String) { traceUnits(season: $s, status: $st, kind: $k, regionId: $r, first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id code name kind status season region { id } } } } }";

pub fn create_input(kind: &str, name: &str, plot_ids: &[String]) -> Value {
    json!({ "kind": kind, "name": name, "season": SEASON, "plotIds": plot_ids })
}

pub fn legal_person() -> Value {
    json!({ "name": "合作社法人", "idNumber": id_number(900), "creditCode": CREDIT_CODE, "phone": "13912345678" })
}

pub async fn create_unit_resp(srv: &TestServer, token: &str, input: Value) -> Value {
    srv.gql(Some(token), &create_q(), json!({ "i": input })).await
}

/// Creates a unit (panics when refused); returns the unit.
pub async fn create_unit(srv: &TestServer, token: &str, kind: &str, name: &str, plot_ids: &[String]) -> Value {
    let resp = create_unit_resp(srv, token, create_input(kind, name, plot_ids)).await;
    data(&resp)["createTraceUnit"].clone()
}

pub async fn update_resp(srv: &TestServer, token: &str, id: &str, input: Value) -> Value {
    srv.gql(Some(token), &update_q(), json!({ "id": id, "i": input })).await
}

pub async fn dissolve_resp(srv: &TestServer, token: &str, id: &str) -> Value {
    srv.gql(Some(token), &dissolve_q(), json!({ "id": id })).await
}

pub async fn review_resp(srv: &TestServer, token: &str, id: &str, approve: bool, reason: Option<&str>) -> Value {
    srv.gql(Some(token), &review_q(), json!({ "id": id, "a": approve, "r": reason })).await
}

pub async fn revoke_resp(srv: &TestServer, token: &str, id: &str, reason: &str) -> Value {
    srv.gql(Some(token), &revoke_q(), json!({ "id": id, "r": reason })).await
}

/// The unit as the admin sees it (the state refusals must leave unchanged).
pub async fn unit_state(srv: &TestServer, admin: &str, id: &str) -> Value {
    let d = srv.ok(Some(admin), &unit_q(), json!({ "id": id })).await;
    assert!(!d["traceUnit"].is_null(), "unit {id} exists");
    d["traceUnit"].clone()
}

/// The plot codes of a unit, sorted.
pub fn unit_plot_codes(unit: &Value) -> Vec<String> {
    let mut v: Vec<String> = unit["members"]
        .as_array()
        .unwrap_or_else(|| panic!("members in {unit}"))
        .iter()
        .flat_map(|m| m["plots"].as_array().unwrap().iter().map(|p| s(&p["code"])))
        .collect();
    v.sort();
    v
}

/// The review actions of a unit, in order.
pub fn actions(unit: &Value) -> Vec<String> {
    unit["reviews"].as_array().unwrap_or_else(|| panic!("reviews in {unit}")).iter().map(|r| s(&r["action"])).collect()
}

pub async fn units_conn(srv: &TestServer, token: &str, vars: Value) -> Value {
    srv.ok(Some(token), UNITS_Q, vars).await["traceUnits"].clone()
}

/// Sets the season's minimum unit area (admin).
pub async fn set_min_area(srv: &TestServer, admin: &str, season: i64, mu: &str) {
    srv.ok(
        Some(admin),
        "mutation($s: Int!, $i: SeasonRulesInput!) { setSeasonRules(season: $s, input: $i) { minUnitAreaMu } }",
        json!({ "s": season, "i": { "minUnitAreaMu": mu } }),
    )
    .await;
}

/// The error message of a refused response.
pub fn err_msg(resp: &Value) -> String {
    resp["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("expected an error: {resp}")).to_string()
}

// ---------------------------------------------------------------- growers

pub const GROWER_LOGIN: &str = "mutation($p: String!, $c: String!) { growerLogin(phone: $p, code: $c) { accessToken refreshToken account { username role phone } } }";

/// SMS code + growerLogin; returns the GROWER token.
pub async fn grower_login(srv: &TestServer, phone: &str) -> String {
    let code = srv.sms_code(phone).await;
    let d = srv.ok(None, GROWER_LOGIN, json!({ "p": phone, "c": code })).await;
    assert_eq!(d["growerLogin"]["account"]["role"], "GROWER", "{d}");
    s(&d["growerLogin"]["accessToken"])
}

/// `cotton_db_queries_total` from GET /metrics.
pub async fn db_queries(srv: &TestServer) -> u64 {
    let text = srv.http.get(srv.url("/metrics")).send().await.expect("GET /metrics").text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("cotton_db_queries_total "))
        .unwrap_or_else(|| panic!("no cotton_db_queries_total in /metrics:\n{text}"))
        .trim()
        .parse::<f64>()
        .expect("counter value") as u64
}

/// `[(row, "status")]` as compared with [`row_statuses`].
pub fn st(v: &[(i64, &str)]) -> Vec<(i64, String)> {
    v.iter().map(|(r, s)| (*r, s.to_string())).collect()
}
