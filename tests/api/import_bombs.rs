//! Zip bombs and unbounded cells, uploaded over HTTP to every import on both
//! backends (issue 16 items 1 and 2): each bomb shape is refused with BAD_FILE
//! while the server grows by less than 100 MB and answers within 5 s (the
//! issue's figures); an oversized or NUL-carrying cell is VALIDATION; nothing is
//! stored.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;
use crate::processing_fixture::{self as pf, IMPORT_INSPECTIONS};

both_backends!(import_bombs_are_refused_in_bounded_memory_and_time);

const IMPORT_ROSTER: &str = "mutation($c: ID!, $s: Int!, $file: Upload!) { importRoster(companyId: $c, season: $s, file: $file) { created failed } }";
const IMPORT_ACCOUNTS: &str = "mutation($file: Upload!) { importCompanyAccounts(file: $file) { created failed } }";

fn bomb(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Uploads `bytes` to `query` and returns (the answer, seconds, kB the server's
/// peak resident size grew by over its resident size before).
async fn timed(srv: &TestServer, token: &str, query: &str, vars: Value, name: &str, bytes: Vec<u8>) -> (Value, Duration, u64) {
    let (before, _) = srv.memory_kb();
    let started = Instant::now();
    let resp = srv.upload(Some(token), query, vars, name, bytes).await;
    let took = started.elapsed();
    let (_, peak) = srv.memory_kb();
    (resp, took, peak.saturating_sub(before))
}

async fn import_bombs_are_refused_in_bounded_memory_and_time(backend: Backend) {
    let srv = TestServer::start(backend, pf::opts()).await;
    let m = pf::setup(&srv).await;
    let admin = m.t.admin.clone();
    // Warm the upload path once, so the first bomb is not charged for it.
    let warm = srv.upload(Some(&admin), IMPORT_INSPECTIONS, json!({}), "w.csv", pf::inspection_csv(&[])).await;
    assert!(warm.get("errors").is_none_or(Value::is_null), "{warm}");

    let imports: [(&str, &str, Value); 3] = [
        ("importRoster", IMPORT_ROSTER, json!({ "c": m.t.company_a1, "s": crate::ginning::SEASON })),
        ("importInspections", IMPORT_INSPECTIONS, json!({})),
        ("importCompanyAccounts", IMPORT_ACCOUNTS, json!({})),
    ];
    let mut figures = Vec::new();
    for (shape, file) in [
        ("one huge sheet (500 MB)", "bomb-huge-sheet.xlsx"),
        ("many sheets (60 × 1 MB)", "bomb-many-sheets.xlsx"),
        ("huge shared strings (500 MB)", "bomb-shared-strings.xlsx"),
        ("huge single cell (100 MB)", "bomb-huge-cell.xlsx"),
    ] {
        for (field, query, vars) in &imports {
            let token = if *field == "importRoster" { m.t.lian_a1.clone() } else { admin.clone() };
            let (resp, took, grew) = timed(&srv, &token, query, vars.clone(), file, bomb(file)).await;
            assert_eq!(err_code(&resp), "BAD_FILE", "{field}, {shape}: {resp}");
            assert!(took < Duration::from_secs(5), "{field}, {shape}: answered in {took:?}");
            assert!(grew < 100 * 1024, "{field}, {shape}: the server grew by {grew} kB");
            figures.push(format!("{field} {shape}: {took:?}, +{grew} kB"));
        }
    }
    println!("bombs on {backend:?}:\n{}", figures.join("\n"));

    // A cell that inflates within the bounds but breaks the text rules: read cell
    // by cell, refused as VALIDATION (nothing created).
    let big_cell = cotton_import::hostile::huge_cell(10 * 1024 * 1024);
    let (resp, took, grew) = timed(&srv, &m.t.lian_a1, IMPORT_ROSTER, imports[0].2.clone(), "cell.xlsx", big_cell).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a 10 MB cell: {resp}");
    assert!(took < Duration::from_secs(5) && grew < 100 * 1024, "a 10 MB cell: {took:?}, +{grew} kB");

    // The tester's 10 MB colour grade (CSV) and a NUL inside a cell.
    pf::create_line(&srv, m.qy_a(), "六号线", "VI").await;
    let csv = |grade: &str| format!("条码,颜色级,长度,强度,马克隆值,整齐度,含杂率,回潮率,公定重量\nNOBALE,{grade},29,30,4.2,83,2,8,227\n").into_bytes();
    for (what, file) in [("a 10 MB colour grade", csv(&"2".repeat(10 * 1024 * 1024))), ("a NUL in a cell", csv("2\u{0}1"))] {
        let resp = srv.upload(Some(&admin), IMPORT_INSPECTIONS, json!({}), "i.csv", file).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{what}: {resp}");
        assert!(has_cjk(&crate::unit_fixtures::err_msg(&resp)), "{resp}");
    }
    // A colour grade longer than its meaning (16) fails its row, with the reason.
    let rep = pf::import_inspections(&srv, &admin, "i.csv", csv(&"2".repeat(17))).await;
    assert_eq!(pf::counts(&rep)[3], 1, "{rep}");
    assert!(rep["rows"][0]["message"].as_str().unwrap().contains("颜色级过长"), "{rep}");
    // Nothing of it was stored.
    let n = srv.ok(Some(&m.t.lian_a1), "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s) { totalCount } }", json!({ "c": m.t.company_a1, "s": crate::ginning::SEASON })).await;
    assert_eq!(n["growers"]["totalCount"], 7, "the roster is as the fixture left it: {n}");
}
