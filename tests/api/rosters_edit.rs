//! Rosters edited one record at a time (rules §3, issue 15 item 6): `addGrower`,
//! `updateGrower`, `addPlot`, `updatePlot`, `removePlot` — the import's rules
//! (ID number, name, mobile, plot code, area), the import's accounts, CONFLICT
//! for a duplicate ID number or plot code, UNIT_LOCKED for the area or removal
//! of a plot in a live unit, nothing changed by a refusal, every change in the
//! audit trail.

use serde_json::{Value, json};

use crate::audit::Raw;
use crate::harness::*;
use crate::processing_fixture as pf;
use crate::unit_fixtures::*;

both_backends!(
    roster_edit_adds_and_updates_records,
    roster_edit_refuses_bad_input_and_changes_nothing,
    roster_edit_duplicates_are_conflicts,
    roster_edit_who_may,
    roster_edit_plots_in_live_units_are_locked,
    roster_edits_are_audited,
    roster_edit_concurrent_duplicates_one_wins,
);

const GROWER_FIELDS: &str = "id name idNumberMasked phone company { id code }";
const PLOT_FIELDS: &str = "id code season areaMu location variety grower { id } traceUnit { id }";

fn add_grower_q() -> String {
    format!("mutation($c: ID!, $i: NewGrowerInput!) {{ addGrower(companyId: $c, input: $i) {{ {GROWER_FIELDS} plots(season: 2026) {{ id }} }} }}")
}
fn update_grower_q() -> String {
    format!("mutation($g: ID!, $n: String, $p: String) {{ updateGrower(id: $g, name: $n, phone: $p) {{ {GROWER_FIELDS} }} }}")
}
fn add_plot_q() -> String {
    format!("mutation($g: ID!, $s: Int!, $i: PlotInput!) {{ addPlot(growerId: $g, season: $s, input: $i) {{ {PLOT_FIELDS} }} }}")
}
fn update_plot_q() -> String {
    format!("mutation($p: ID!, $a: Decimal, $l: String, $v: String) {{ updatePlot(id: $p, areaMu: $a, location: $l, variety: $v) {{ {PLOT_FIELDS} }} }}")
}
const REMOVE_PLOT: &str = "mutation($p: ID!) { removePlot(id: $p) }";

fn grower_input(name: &str, id: &str, phone: Option<&str>) -> Value {
    json!({ "name": name, "idNumber": id, "phone": phone })
}

fn plot_input(code: &str, area: &str) -> Value {
    json!({ "code": code, "areaMu": area })
}

/// addGrower as `token` (panics when refused); the grower.
async fn add_grower(srv: &TestServer, token: &str, company: &str, input: Value) -> Value {
    srv.ok(Some(token), &add_grower_q(), json!({ "c": company, "i": input })).await["addGrower"].clone()
}

/// addPlot as `token` (panics when refused); the plot.
async fn add_plot(srv: &TestServer, token: &str, grower: &str, season: i64, input: Value) -> Value {
    srv.ok(Some(token), &add_plot_q(), json!({ "g": grower, "s": season, "i": input })).await["addPlot"].clone()
}

async fn update_plot(srv: &TestServer, token: &str, vars: Value) -> Value {
    srv.ok(Some(token), &update_plot_q(), vars).await["updatePlot"].clone()
}

async fn update_grower(srv: &TestServer, token: &str, vars: Value) -> Value {
    srv.ok(Some(token), &update_grower_q(), vars).await["updateGrower"].clone()
}

/// Everything a company's season roster shows, sorted: (name, phone, [(code, area, location, variety)]).
async fn roster(srv: &TestServer, admin: &str, company: &str, season: i64) -> Vec<Value> {
    let q = "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s, first: 200) { totalCount edges { node { id name idNumberMasked phone plots(season: $s) { id code areaMu location variety } } } } }";
    let d = srv.ok(Some(admin), q, json!({ "c": company, "s": season })).await;
    let mut v = nodes(&d["growers"]);
    v.sort_by_key(|g| g["id"].to_string());
    v
}

/// Number of audit-log entries (a refused call must add none).
async fn audit_entries(raw: &mut Raw) -> i64 {
    raw.text("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log").await.parse().unwrap()
}

/// (op, snapshot) of every audit entry of one row of `table`, oldest first.
async fn audit_of(raw: &mut Raw, table: &str, key: &str) -> Vec<(String, Value)> {
    let sql = format!("SELECT op || ' ' || row_json AS v FROM audit_log WHERE tbl = '{table}' AND row_key = '{key}' ORDER BY at, seq");
    raw.texts(&sql)
        .await
        .into_iter()
        .map(|t| {
            let (op, json) = t.split_once(' ').unwrap();
            (op.to_string(), serde_json::from_str(json).unwrap_or_else(|e| panic!("snapshot {json}: {e}")))
        })
        .collect()
}

// ---------------------------------------------------------------- tests

async fn roster_edit_adds_and_updates_records(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let id1 = id_number(1);

    // A grower, trimmed as the import trims; the ID number masked in the answer.
    let g = add_grower(&srv, &t.lian_a1, &t.company_a1, grower_input(" 张三 ", &format!(" {id1} "), Some(&phone(1)))).await;
    assert_eq!(g["name"], "张三", "{g}");
    assert_eq!(g["idNumberMasked"], masked(&id1));
    assert_eq!(g["phone"], phone(1));
    assert_eq!(g["company"]["code"], COMPANY_A1_CODE);
    assert_eq!(g["plots"], json!([]));
    let gid = s(&g["id"]);

    // Plots: areas answered with 2 decimals, optional texts absent = none.
    let p1 = add_plot(&srv, &t.lian_a1, &gid, SEASON, json!({ "code": " P-01 ", "areaMu": "120.5", "location": "第1条田", "variety": "新陆早84号" })).await;
    assert_eq!(p1["code"], "P-01", "{p1}");
    assert_eq!(p1["season"], SEASON);
    assert_eq!(p1["areaMu"], "120.50");
    assert_eq!(p1["location"], "第1条田");
    assert_eq!(p1["variety"], "新陆早84号");
    assert_eq!(p1["grower"]["id"], gid.as_str());
    assert!(p1["traceUnit"].is_null());
    let p2 = add_plot(&srv, &t.lian_a1, &gid, SEASON, plot_input("P-02", "80")).await;
    assert_eq!(p2["areaMu"], "80.00");
    assert!(p2["location"].is_null() && p2["variety"].is_null(), "{p2}");
    // The regiment adds the same code in another season; the admin a grower of B1.
    let old = add_plot(&srv, &t.tuan_a, &gid, 2025, plot_input("P-01", "60.25")).await;
    assert_eq!(old["season"], 2025);
    let b = add_grower(&srv, &t.admin, &t.company_b1, grower_input("李四", &id_number(2), None)).await;
    assert!(b["phone"].is_null());
    assert_eq!(b["company"]["code"], COMPANY_B1_CODE);

    let r = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(r.len(), 1, "{r:?}");
    let codes: Vec<(String, String)> = r[0]["plots"].as_array().unwrap().iter().map(|p| (s(&p["code"]), s(&p["areaMu"]))).collect();
    assert_eq!(codes, [("P-01".to_string(), "120.50".to_string()), ("P-02".to_string(), "80.00".to_string())]);

    // updateGrower: an argument left out (a variable not sent) or null is
    // unchanged; an empty phone clears it.
    let u = update_grower(&srv, &t.lian_a1, json!({ "g": gid, "n": "张三丰" })).await;
    assert_eq!((s(&u["name"]), s(&u["phone"])), ("张三丰".to_string(), phone(1)));
    let u = update_grower(&srv, &t.tuan_a, json!({ "g": gid, "n": null, "p": "13900000001" })).await;
    assert_eq!((s(&u["name"]), s(&u["phone"])), ("张三丰".to_string(), "13900000001".to_string()));
    let q = "mutation($g: ID!) { updateGrower(id: $g, name: \"张三丰\") { phone } }";
    assert_eq!(srv.ok(Some(&t.admin), q, json!({ "g": gid })).await["updateGrower"]["phone"], "13900000001", "phone left out");
    let u = update_grower(&srv, &t.admin, json!({ "g": gid, "p": null })).await;
    assert_eq!(u["phone"], "13900000001", "phone: null leaves it: {u}");
    let u = update_grower(&srv, &t.admin, json!({ "g": gid, "p": " " })).await;
    assert!(u["phone"].is_null(), "an empty phone clears it: {u}");
    assert_eq!(u["idNumberMasked"], masked(&id1), "the ID number never changes");

    // updatePlot: area; a location left out or null stays, an empty one clears.
    let p = update_plot(&srv, &t.lian_a1, json!({ "p": p1["id"], "a": "130.25", "l": null, "v": "" })).await;
    assert_eq!(p["areaMu"], "130.25", "{p}");
    assert_eq!(p["location"], "第1条田");
    assert!(p["variety"].is_null());
    let p = update_plot(&srv, &t.lian_a1, json!({ "p": p1["id"], "l": "  " })).await;
    assert!(p["location"].is_null(), "{p}");
    assert_eq!(p["areaMu"], "130.25");
    let p = update_plot(&srv, &t.lian_a1, json!({ "p": p2["id"], "l": " 第2条田 ", "v": "中棉113" })).await;
    assert_eq!((s(&p["location"]), s(&p["variety"]), s(&p["areaMu"])), ("第2条田".into(), "中棉113".into(), "80.00".into()));

    // The import reads the edited roster as its own: the same rows change nothing.
    let mut r1 = row("张三丰", &id1, "", "P-01", "130.25");
    (r1.location, r1.variety) = (String::new(), String::new());
    let mut r2 = row("张三丰", &id1, "", "P-02", "80.00");
    (r2.location, r2.variety) = ("第2条田".into(), "中棉113".into());
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &[r1, r2]).await;
    assert_eq!(row_statuses(&rep), st(&[(2, "SKIPPED"), (3, "SKIPPED")]), "{rep}");
    let again = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["name"], "张三丰");
}

async fn roster_edit_refuses_bad_input_and_changes_nothing(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let lian = t.lian_a1.as_str();
    let g = add_grower(&srv, lian, &t.company_a1, grower_input("张三", &id_number(1), Some(&phone(1)))).await;
    let gid = s(&g["id"]);
    let p = add_plot(&srv, lian, &gid, SEASON, plot_input("P-01", "100")).await;
    let pid = s(&p["id"]);
    let before = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    let mut raw = Raw::open(&srv).await;
    let entries = audit_entries(&mut raw).await;

    let long = |n: usize| "长".repeat(n);
    let ag = |input: Value| (add_grower_q(), json!({ "c": t.company_a1, "i": input }));
    let ap = |season: i64, input: Value| (add_plot_q(), json!({ "g": gid, "s": season, "i": input }));
    let cases: Vec<(&str, (String, Value), &str)> = vec![
        ("check character", ag(grower_input("王五", &bad_check(&id_number(3)), None)), "VALIDATION"),
        ("17 characters", ag(grower_input("王五", &id_number(3)[..17], None)), "VALIDATION"),
        ("mobile", ag(grower_input("王五", &id_number(3), Some("12345"))), "VALIDATION"),
        ("empty name", ag(grower_input("  ", &id_number(3), None)), "VALIDATION"),
        ("65-character name", ag(grower_input(&long(65), &id_number(3), None)), "VALIDATION"),
        ("control character", ag(grower_input("王\u{0}五", &id_number(3), None)), "VALIDATION"),
        ("not a company", (add_grower_q(), json!({ "c": t.regiment_a, "i": grower_input("王五", &id_number(3), None) })), "VALIDATION"),
        ("unknown company", (add_grower_q(), json!({ "c": "999999", "i": grower_input("王五", &id_number(3), None) })), "NOT_FOUND"),
        ("empty code", ap(SEASON, plot_input(" ", "10")), "VALIDATION"),
        ("33-character code", ap(SEASON, plot_input(&"P".repeat(33), "10")), "VALIDATION"),
        ("area 0", ap(SEASON, plot_input("P-02", "0")), "VALIDATION"),
        ("negative area", ap(SEASON, plot_input("P-02", "-3")), "VALIDATION"),
        ("3 decimals", ap(SEASON, plot_input("P-02", "10.125")), "VALIDATION"),
        ("not a number", ap(SEASON, plot_input("P-02", "abc")), "VALIDATION"),
        ("a float", ap(SEASON, json!({ "code": "P-02", "areaMu": 10.5 })), "VALIDATION"),
        ("65-character location", ap(SEASON, json!({ "code": "P-02", "areaMu": "10", "location": long(65) })), "VALIDATION"),
        ("season", ap(1800, plot_input("P-02", "10")), "VALIDATION"),
        ("unknown grower", (add_plot_q(), json!({ "g": "999999", "s": SEASON, "i": plot_input("P-02", "10") })), "NOT_FOUND"),
        ("update: mobile", (update_grower_q(), json!({ "g": gid, "p": "2345" })), "VALIDATION"),
        ("update: empty name", (update_grower_q(), json!({ "g": gid, "n": "" })), "VALIDATION"),
        ("update: unknown grower", (update_grower_q(), json!({ "g": "999999", "n": "王五" })), "NOT_FOUND"),
        ("update: area 0", (update_plot_q(), json!({ "p": pid, "a": "0", "l": "新位置" })), "VALIDATION"),
        ("update: 65-character variety", (update_plot_q(), json!({ "p": pid, "v": long(65) })), "VALIDATION"),
        ("update: unknown plot", (update_plot_q(), json!({ "p": "999999", "a": "10" })), "NOT_FOUND"),
        ("remove: unknown plot", (REMOVE_PLOT.to_string(), json!({ "p": "999999" })), "NOT_FOUND"),
        ("remove: not an id", (REMOVE_PLOT.to_string(), json!({ "p": "P-01" })), "VALIDATION"),
    ];
    for (what, (q, vars), want) in &cases {
        let resp = srv.gql(Some(lian), q, vars.clone()).await;
        assert_eq!(err_code(&resp), *want, "{what}: {resp}");
    }
    assert_eq!(roster(&srv, &t.admin, &t.company_a1, SEASON).await, before, "refused edits change nothing");
    assert_eq!(audit_entries(&mut raw).await, entries, "refused edits write nothing");
    // The check character is named, as the import names it.
    let resp = srv.gql(Some(lian), &cases[0].1.0, cases[0].1.1.clone()).await;
    assert!(err_msg(&resp).contains("校验"), "{resp}");
}

async fn roster_edit_duplicates_are_conflicts(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let (id1, id2) = (id_number(1), id_number(2));
    let g1 = s(&add_grower(&srv, &t.lian_a1, &t.company_a1, grower_input("张三", &id1, None)).await["id"]);
    let g3 = s(&add_grower(&srv, &t.lian_a1, &t.company_a1, grower_input("王五", &id_number(3), None)).await["id"]);
    let g2 = s(&add_grower(&srv, &t.lian_b1, &t.company_b1, grower_input("李四", &id2, None)).await["id"]);
    add_plot(&srv, &t.lian_a1, &g1, SEASON, plot_input("P-01", "100")).await;
    add_plot(&srv, &t.lian_a1, &g3, SEASON, plot_input("P-03", "100")).await;
    let before_a = roster(&srv, &t.admin, &t.company_a1, SEASON).await;

    // The same person twice, on this roster or another one.
    let resp = srv.gql(Some(&t.lian_a1), &add_grower_q(), json!({ "c": t.company_a1, "i": grower_input("张三", &id1, None) })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    assert!(err_msg(&resp).contains("本连队"), "{resp}");
    let resp = srv.gql(Some(&t.lian_a1), &add_grower_q(), json!({ "c": t.company_a1, "i": grower_input("李四", &id2, None) })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    let msg = err_msg(&resp);
    assert!(msg.contains("其他连队") && msg.contains(&masked(&id2)) && !msg.contains(&id2), "named, masked: {msg}");
    // The import refuses that row with the same words.
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &[row("李四", &id2, "", "P-09", "10")]).await;
    assert_eq!(row_statuses(&rep), st(&[(2, "FAILED")]));
    assert_eq!(s(&rep["rows"][0]["message"]), msg, "{rep}");

    // A plot code of the company's season roster, of the same grower or another.
    let resp = srv.gql(Some(&t.lian_a1), &add_plot_q(), json!({ "g": g1, "s": SEASON, "i": plot_input("P-01", "50") })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    assert!(err_msg(&resp).contains("P-01"), "{resp}");
    let resp = srv.gql(Some(&t.lian_a1), &add_plot_q(), json!({ "g": g3, "s": SEASON, "i": plot_input(" P-01 ", "50") })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    assert!(err_msg(&resp).contains("其他种植者"), "{resp}");
    assert_eq!(roster(&srv, &t.admin, &t.company_a1, SEASON).await, before_a, "conflicts change nothing");
    // The same code in another season, or in another company, is another plot.
    add_plot(&srv, &t.lian_a1, &g1, 2025, plot_input("P-01", "50")).await;
    add_plot(&srv, &t.lian_b1, &g2, SEASON, plot_input("P-01", "50")).await;
}

/// The accounts that may import a company's roster may edit it: the company
/// itself, its regiment, the admin; no one else, whatever the record.
async fn roster_edit_who_may(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let g = add_grower(&srv, &t.admin, &t.company_a1, grower_input("张三", &id_number(1), Some(&phone(1)))).await;
    let gid = s(&g["id"]);
    let pid = s(&add_plot(&srv, &t.admin, &gid, SEASON, plot_input("P-01", "100")).await["id"]);
    let initiator = srv.register_initiator("13800000011", &t.company_a1).await;
    let grower = grower_login(&srv, &phone(1)).await;

    // (who, token, allowed)
    let callers: Vec<(&str, Option<&str>, bool)> = vec![
        ("anonymous", None, false),
        ("grower", Some(&grower), false),
        ("initiator of A1", Some(&initiator), false),
        ("enterprise", Some(&t.qy_a), false),
        ("company B1", Some(&t.lian_b1), false),
        ("regiment B", Some(&t.tuan_b), false),
        ("company A1", Some(&t.lian_a1), true),
        ("regiment A", Some(&t.tuan_a), true),
        ("admin", Some(&t.admin), true),
    ];
    let mut expected_plots = vec!["P-01".to_string()];
    for (n, (who, tok, allowed)) in callers.iter().enumerate() {
        let n = n as u32;
        // A fresh plot for this caller to remove.
        let spare = s(&add_plot(&srv, &t.admin, &gid, SEASON, plot_input(&format!("R-{n}"), "5")).await["id"]);
        let ops: Vec<(&str, String, Value)> = vec![
            ("addGrower", add_grower_q(), json!({ "c": t.company_a1, "i": grower_input(&format!("种植者{n}"), &id_number(100 + n), None) })),
            ("updateGrower", update_grower_q(), json!({ "g": gid, "n": format!("张三{n}") })),
            ("addPlot", add_plot_q(), json!({ "g": gid, "s": SEASON, "i": plot_input(&format!("A-{n}"), "10") })),
            ("updatePlot", update_plot_q(), json!({ "p": pid, "a": format!("{}", 100 + n) })),
            ("removePlot", REMOVE_PLOT.to_string(), json!({ "p": spare })),
        ];
        for (op, q, vars) in ops {
            let resp = srv.gql(*tok, &q, vars).await;
            if *allowed {
                data(&resp);
            } else {
                let want = if tok.is_none() { "UNAUTHENTICATED" } else { "FORBIDDEN" };
                assert_eq!(err_code(&resp), want, "{op} as {who}: {resp}");
            }
        }
        if *allowed {
            expected_plots.push(format!("A-{n}"));
        } else {
            expected_plots.push(format!("R-{n}"));
        }
    }
    // What the allowed callers did, and only that: their growers exist (adding
    // them again is a conflict), the refused ones do not (the admin adds them now).
    for (n, (who, _, allowed)) in callers.iter().enumerate() {
        let vars = json!({ "c": t.company_a1, "i": grower_input("复核", &id_number(100 + n as u32), None) });
        let resp = srv.gql(Some(&t.admin), &add_grower_q(), vars).await;
        if *allowed {
            assert_eq!(err_code(&resp), "CONFLICT", "the grower {who} added: {resp}");
        } else {
            data(&resp);
        }
    }
    let r = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    let names: Vec<String> = r.iter().map(|g| s(&g["name"])).collect();
    assert_eq!(names, ["张三8"], "{r:?}");
    let mut codes: Vec<String> = r[0]["plots"].as_array().unwrap().iter().map(|p| s(&p["code"])).collect();
    codes.sort();
    expected_plots.sort();
    assert_eq!(codes, expected_plots);
    let p1 = r[0]["plots"].as_array().unwrap().iter().find(|p| p["code"] == "P-01").unwrap().clone();
    assert_eq!(p1["areaMu"], "108.00", "the admin's area was the last: {p1}");
}

async fn roster_edit_plots_in_live_units_are_locked(backend: Backend) {
    let (srv, m) = pf::start(backend).await;
    let t = &m.t;
    let qy = t.qy_a.clone();
    let lian = t.lian_a1.as_str();
    let area = |p: &Value| s(&p["areaMu"]);
    let locked = async |plot: &str, what: &str, with: &[&str]| {
        for (q, vars) in [
            (update_plot_q(), json!({ "p": m.plot(plot), "a": "123.45" })),
            (REMOVE_PLOT.to_string(), json!({ "p": m.plot(plot) })),
        ] {
            let resp = srv.gql(Some(lian), &q, vars).await;
            assert_eq!(err_code(&resp), "UNIT_LOCKED", "{plot} ({what}): {resp}");
            let msg = err_msg(&resp);
            for w in with.iter().chain([&plot]) {
                assert!(msg.contains(w), "{plot} ({what}): the message names {w}: {msg}");
            }
        }
    };

    // APPROVED (U1), PENDING (UP).
    locked("A1-01-1", "approved", &["单户追溯单元", "已审核", "撤销审核"]).await;
    locked("A1-07-2", "pending", &["待审核追溯单元", "请先从单元中移除"]).await;
    // Processing (UW): a card of G7 with a bale on a VI line.
    let card = pf::work_card(&srv, &m, &qy, "RE-T1").await;
    let line = pf::create_line(&srv, &qy, "名册测试线", "VI").await.id;
    pf::scan(&srv, &qy, &line, &[&card]).await;
    pf::delay(&srv, &qy, &line, &card, 0).await;
    pf::bale(&srv, &qy, &line, "REB0001", "220", None).await;
    assert_eq!(pf::trace_card(&srv, &qy, &card).await["traceUnit"]["processing"], true);
    locked("A1-07-1", "processing", &["加工追溯单元", "已开始加工"]).await;

    // Location and variety may change; the same area is no change.
    let p = update_plot(&srv, lian, json!({ "p": m.plot("A1-01-1"), "a": "100.00", "l": "东干渠", "v": "新陆早84号" })).await;
    assert_eq!((area(&p), s(&p["location"])), ("100.00".into(), "东干渠".into()));
    assert_eq!(p["traceUnit"]["id"], m.u1.as_str());
    let u1 = unit_state(&srv, &t.admin, &m.u1).await;
    assert_eq!(u1["totalAreaMu"], "200.00", "{u1}");

    // Out of the unit (UP dissolved), the area may change; the plot stays on the
    // roster: its membership is history.
    data(&dissolve_resp(&srv, lian, &m.up).await);
    let p = update_plot(&srv, lian, json!({ "p": m.plot("A1-07-2"), "a": "150" })).await;
    assert_eq!(area(&p), "150.00");
    assert!(p["traceUnit"].is_null());
    let resp = srv.gql(Some(lian), REMOVE_PLOT, json!({ "p": m.plot("A1-07-2") })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    assert!(err_msg(&resp).contains("A1-07-2"), "{resp}");

    // A plot on a weigh ticket stays too; a plot with no history goes.
    let roster_a = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    let g2 = roster_a.iter().find(|g| g["name"] == m.growers[2].name).map(|g| s(&g["id"])).unwrap();
    let weighed = s(&add_plot(&srv, lian, &g2, SEASON, plot_input("A1-02-9", "30")).await["id"]);
    let tk = crate::ginning::Tk::new("RE-T2", &m.id(2), &[weighed.clone()], "900").tare("100");
    crate::ginning::upload(&srv, &qy, &tk).await;
    let resp = srv.gql(Some(lian), REMOVE_PLOT, json!({ "p": weighed })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "{resp}");
    let fresh = s(&add_plot(&srv, lian, &g2, SEASON, plot_input("A1-02-8", "30")).await["id"]);
    assert_eq!(srv.ok(Some(lian), REMOVE_PLOT, json!({ "p": fresh })).await["removePlot"], true);
    let resp = srv.gql(Some(lian), REMOVE_PLOT, json!({ "p": fresh })).await;
    assert_eq!(err_code(&resp), "NOT_FOUND", "removed once: {resp}");

    // Nothing else moved.
    let after = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    for (code, want) in [("A1-01-1", "100.00"), ("A1-07-1", "100.00"), ("A1-07-2", "150.00"), ("A1-02-9", "30.00")] {
        assert_eq!(s(&after[code]["areaMu"]), want, "{code}");
    }
    assert!(!after.contains_key("A1-02-8"));
    assert_eq!(after["A1-07-1"]["traceUnit"]["id"], m.uw.as_str());
}

/// The audit triggers on `growers` and `plots` log every edit: each entry is the
/// row after the change (before it for a removal), so consecutive entries show
/// the old and the new values; `audit verify` passes afterwards.
async fn roster_edits_are_audited(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let id1 = id_number(1);
    let g = add_grower(&srv, &t.lian_a1, &t.company_a1, grower_input("张三", &id1, Some(&phone(1)))).await;
    let gid = s(&g["id"]);
    let p1 = s(&add_plot(&srv, &t.lian_a1, &gid, SEASON, json!({ "code": "P-01", "areaMu": "100", "location": "第1条田" })).await["id"]);
    update_plot(&srv, &t.lian_a1, json!({ "p": p1, "a": "120.5", "l": "二号田" })).await;
    update_grower(&srv, &t.tuan_a, json!({ "g": gid, "n": "张三丰", "p": "" })).await;
    let p2 = s(&add_plot(&srv, &t.admin, &gid, SEASON, plot_input("P-02", "80")).await["id"]);
    assert_eq!(srv.ok(Some(&t.admin), REMOVE_PLOT, json!({ "p": p2 })).await["removePlot"], true);

    let mut raw = Raw::open(&srv).await;
    let log = audit_of(&mut raw, "plots", &p1).await;
    let ops: Vec<&str> = log.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["INSERT", "UPDATE"], "{log:?}");
    let (old, new) = (&log[0].1, &log[1].1);
    assert_eq!((dec(&old["area_mu"]), s(&old["location"])), (d("100"), "第1条田".into()), "old values: {old}");
    assert_eq!((dec(&new["area_mu"]), s(&new["location"])), (d("120.5"), "二号田".into()), "new values: {new}");
    assert_eq!(new["code"], "P-01");

    let log = audit_of(&mut raw, "growers", &gid).await;
    let ops: Vec<&str> = log.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["INSERT", "UPDATE"], "{log:?}");
    assert_eq!((s(&log[0].1["name"]), s(&log[0].1["phone"])), ("张三".into(), phone(1)));
    assert_eq!(log[1].1["name"], "张三丰");
    assert!(log[1].1["phone"].is_null(), "{:?}", log[1]);
    for (_, snap) in &log {
        assert!(!snap.to_string().contains(&id1), "the log keeps the ID number's hash only: {snap}");
    }

    let log = audit_of(&mut raw, "plots", &p2).await;
    let ops: Vec<&str> = log.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["INSERT", "DELETE"], "{log:?}");
    assert_eq!((s(&log[1].1["code"]), dec(&log[1].1["area_mu"])), ("P-02".into(), d("80")), "the removed row: {:?}", log[1]);

    let out = srv.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "audit verify after roster edits: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Concurrent adds of one ID number or one plot code: one wins, every other is
/// CONFLICT (the unique keys decide; never INTERNAL), and one record exists.
async fn roster_edit_concurrent_duplicates_one_wins(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let tokens = [&t.lian_a1, &t.tuan_a, &t.admin, &t.lian_a1, &t.tuan_a, &t.admin];
    let q = add_grower_q();
    let adds = tokens.iter().enumerate().map(|(i, tok)| {
        let vars = json!({ "c": t.company_a1, "i": grower_input(&format!("同一人{i}"), &id_number(1), None) });
        let (srv, q) = (&srv, &q);
        async move { srv.gql(Some(tok), q, vars).await }
    });
    let results = futures_util::future::join_all(adds).await;
    let won: Vec<&Value> = results.iter().filter(|r| r.get("errors").is_none_or(Value::is_null)).collect();
    assert_eq!(won.len(), 1, "one add of the ID number wins: {results:?}");
    for r in results.iter().filter(|r| !r.get("errors").is_none_or(Value::is_null)) {
        assert_eq!(err_code(r), "CONFLICT", "{r}");
    }
    let gid = s(&won[0]["data"]["addGrower"]["id"]);

    let q = add_plot_q();
    let adds = tokens.iter().enumerate().map(|(i, tok)| {
        let vars = json!({ "g": gid, "s": SEASON, "i": plot_input("P-01", &format!("{}", 10 + i)) });
        let (srv, q) = (&srv, &q);
        async move { srv.gql(Some(tok), q, vars).await }
    });
    let results = futures_util::future::join_all(adds).await;
    let won = results.iter().filter(|r| r.get("errors").is_none_or(Value::is_null)).count();
    assert_eq!(won, 1, "one add of the plot code wins: {results:?}");
    for r in results.iter().filter(|r| !r.get("errors").is_none_or(Value::is_null)) {
        assert_eq!(err_code(r), "CONFLICT", "{r}");
    }
    let r = roster(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["plots"].as_array().unwrap().len(), 1, "{r:?}");
}
