//! Trace cards (issue 5 items 2, 3, 5; rules §7): printTraceCard through the
//! printer plugins and every refusal, card numbers with a check digit,
//! traceCard, reprintTraceCard, printRecords.

use std::time::Duration;

use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

both_backends!(
    print_trace_card_default_pdf,
    print_with_zpl_and_tspl_printers,
    print_refusals_create_no_card,
    trace_card_lookup_and_checksum,
    reprint_keeps_card_number,
    print_records_filters_and_paging,
    print_records_by_ticket_no,
);

async fn print_trace_card_default_pdf(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    // 1200 − 200 = 1000; 1000 × 38.5 / 100 = 385.00; ceil(385 / 227) = 2
    let tk = Tk::new("P-1", &g.id(1), &[g.plot("A1-01-1"), g.plot("A1-01-2")], "1200").complete();
    let ticket = upload(&srv, qy, &tk).await;
    let pr = Pr::default().module("RECTANGULAR_MODULE", 3);
    let res = print(&srv, qy, &s(&ticket["id"]), &pr).await;

    let card = &res["card"];
    let card_no = s(&card["cardNo"]);
    assert_card_no(&card_no, SEASON);
    assert_eq!(card["season"], SEASON);
    assert_eq!(card["status"], "PRINTED");
    assert_eq!(card["moduleType"], "RECTANGULAR_MODULE");
    assert_eq!(card["moduleCount"], 3);
    assert_eq!(dec(&card["targetLintKg"]), d("385"));
    assert_eq!(card["processableBales"], 2);
    assert_eq!(dec(&card["processedLintKg"]), d("0"));
    assert_eq!(card["traceUnit"]["id"], g.unit_ok.as_str());
    assert_eq!(card["traceUnit"]["status"], "APPROVED");
    assert_eq!(card["ticket"]["id"], ticket["id"]);
    assert_eq!(card["ticket"]["grower"]["name"], g.growers[1].name);

    let record = &res["record"];
    assert_eq!(record["copies"], 1, "copies default to 1: {record}");
    assert_eq!(record["reprint"], false);
    assert_eq!(record["printer"], "PDF", "the default printer: {record}");
    assert_eq!(record["by"]["username"], "qy_a");
    assert_eq!(record["card"]["cardNo"], card_no.as_str());
    parse_time(&record["at"]);

    let out = &res["output"];
    assert_eq!(out["mimeType"], "application/pdf");
    assert!(!s(&out["fileName"]).is_empty(), "a file name: {out}");
    let pdf = file_bytes(out);
    assert!(pdf.starts_with(b"%PDF"), "a PDF file: {:?}", String::from_utf8_lossy(&pdf[..pdf.len().min(16)]));

    // The ticket now shows its card, the usage counts it.
    let t = upload(&srv, qy, &tk).await;
    assert_eq!(t["card"]["cardNo"], card_no.as_str(), "{t}");
    assert_eq!(t["card"]["status"], "PRINTED");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [1, 0, 0, 0]);
    assert_eq!(card_usage(&srv, qy, OTHER_SEASON).await, [0, 0, 0, 0]);
    assert_eq!(card_usage(&srv, &g.qy_b, SEASON).await, [0, 0, 0, 0], "the other enterprise has no card");

    // Another card gets another number.
    let t2 = upload(&srv, qy, &Tk::new("P-2", &g.id(3), &[g.plot("A1-03-1")], "1000").complete()).await;
    let res2 = print(&srv, qy, &s(&t2["id"]), &Pr::default().copies(2)).await;
    let no2 = s(&res2["card"]["cardNo"]);
    assert_card_no(&no2, SEASON);
    assert_ne!(no2, card_no);
    assert_eq!(res2["record"]["copies"], 2);
    assert_eq!(res2["card"]["moduleType"], "ROUND_MODULE");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [2, 0, 0, 0]);
}

async fn print_with_zpl_and_tspl_printers(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();

    let zpl = carded_ticket(&srv, &g, qy, "Z-1", &Pr::default().printer("ZPL").copies(3)).await;
    let no = s(&zpl["card"]["cardNo"]);
    assert_eq!(zpl["record"]["printer"], "ZPL");
    assert_eq!(zpl["record"]["copies"], 3);
    let text = String::from_utf8(file_bytes(&zpl["output"])).expect("ZPL is UTF-8 text");
    let (start, end) = (text.find("^XA"), text.rfind("^XZ"));
    assert!(start.is_some() && end.is_some() && start < end, "ZPL label ^XA … ^XZ: {text}");
    assert!(text.contains(&no), "the ZPL label carries the card number {no}: {text}");

    let tspl = carded_ticket(&srv, &g, qy, "S-1", &Pr::default().printer("TSPL")).await;
    let no = s(&tspl["card"]["cardNo"]);
    assert_eq!(tspl["record"]["printer"], "TSPL");
    let bytes = file_bytes(&tspl["output"]);
    assert!(contains(&bytes, "SIZE"), "a TSPL program: {}", String::from_utf8_lossy(&bytes));
    assert!(contains(&bytes, "PRINT"), "a TSPL program prints: {}", String::from_utf8_lossy(&bytes));
    assert!(contains(&bytes, &no), "the TSPL label carries the card number {no}");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [2, 0, 0, 0]);

    // An unknown printer model is the operator's mistake: VALIDATION naming the
    // loaded models (case-sensitive: "zpl" is not ZPL), and no card.
    let x1 = Tk::new("X-1", &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    let t = upload(&srv, qy, &x1).await;
    for wrong in ["EPSON-LQ", "zpl"] {
        let resp = print_raw(&srv, qy, &s(&t["id"]), &Pr::default().printer(wrong)).await;
        assert_eq!(err_code(&resp), "VALIDATION", "printer {wrong}: {resp}");
        let msg = s(&resp["errors"][0]["message"]);
        assert!(has_cjk(&msg) && msg.contains(wrong), "the message names the model asked for: {msg}");
        for loaded in ["PDF", "ZPL", "TSPL"] {
            assert!(msg.contains(loaded), "the message lists the loaded model {loaded}: {msg}");
        }
        assert!(msg.contains("区分大小写"), "the message says models are case-sensitive: {msg}");
    }
    assert!(upload(&srv, qy, &x1).await["card"].is_null());
    assert_eq!(card_usage(&srv, qy, SEASON).await, [2, 0, 0, 0], "a printer failure leaves no card");
    // The same ticket prints with a known printer afterwards.
    print(&srv, qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await;
}

async fn print_refusals_create_no_card(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let complete = |no: &str, grower: usize, plots: &[&str]| {
        Tk::new(no, &g.id(grower), &plots.iter().map(|p| g.plot(p)).collect::<Vec<_>>(), "1000").complete()
    };
    let mut refused: Vec<Tk> = Vec::new();
    let mut check = async |tk: Tk, token: &str, pr: Pr, want: &str, why: &str| {
        let t = upload(&srv, qy, &tk).await;
        assert_eq!(print_code(&srv, token, &s(&t["id"]), &pr).await, want, "{why}");
        refused.push(tk);
    };

    // Another enterprise, and accounts that are no enterprise.
    check(complete("R-1", 1, &["A1-01-1"]), &g.qy_b, Pr::default(), "FORBIDDEN", "another enterprise's ticket").await;
    check(complete("R-2", 1, &["A1-01-1"]), &g.t.lian_a1, Pr::default(), "FORBIDDEN", "a company account").await;
    check(complete("R-3", 1, &["A1-01-1"]), &g.t.admin, Pr::default(), "FORBIDDEN", "the admin").await;
    // Late.
    check(complete("R-4", 1, &["A1-01-1"]).at(&minutes_ago(120)), qy, Pr::default(), "TICKET_LATE", "late ticket").await;
    // Incomplete.
    let g1 = g.id(1);
    let p11 = vec![g.plot("A1-01-1")];
    check(Tk::new("R-5", &g1, &p11, "1000").lint_yield("38"), qy, Pr::default(), "VALIDATION", "tare missing").await;
    check(Tk::new("R-6", &g1, &p11, "1000").tare("100"), qy, Pr::default(), "VALIDATION", "lint yield missing").await;
    check(Tk::new("R-7", &g1, &p11, "1000"), qy, Pr::default(), "VALIDATION", "tare and yield missing").await;
    // Units.
    check(complete("R-8", 6, &["A1-06-1"]), qy, Pr::default(), "UNIT_NOT_APPROVED", "plot in no unit").await;
    check(complete("R-9", 2, &["A1-02-1", "A1-02-2"]), qy, Pr::default(), "UNIT_NOT_APPROVED", "plots split over two approved units").await;
    check(complete("R-10", 4, &["A1-04-1"]), qy, Pr::default(), "UNIT_NOT_APPROVED", "PENDING unit").await;
    check(complete("R-11", 5, &["A1-05-1"]), qy, Pr::default(), "UNIT_NOT_APPROVED", "REJECTED unit").await;
    // Copies outside 1..100.
    check(complete("R-12", 1, &["A1-01-1"]), qy, Pr::default().copies(0), "VALIDATION", "0 copies").await;
    check(complete("R-13", 1, &["A1-01-1"]), qy, Pr::default().copies(101), "VALIDATION", "101 copies").await;
    check(complete("R-14", 1, &["A1-01-1"]), qy, Pr::default().copies(-1), "VALIDATION", "-1 copies").await;
    drop(check);

    assert_eq!(card_usage(&srv, qy, SEASON).await, [0, 0, 0, 0], "no refusal created a card");
    assert_eq!(card_usage(&srv, &g.qy_b, SEASON).await, [0, 0, 0, 0]);
    for tk in &refused {
        let t = upload(&srv, qy, tk).await;
        assert!(t["card"].is_null(), "refused ticket {} has no card: {t}", t["ticketNo"]);
    }

    // 100 copies is the most; a second print of the same ticket is a CONFLICT.
    let r15 = complete("R-15", 1, &["A1-01-1"]);
    let ok = upload(&srv, qy, &r15).await;
    let res = print(&srv, qy, &s(&ok["id"]), &Pr::default().copies(100).printer("ZPL")).await;
    assert_eq!(res["record"]["copies"], 100);
    assert_eq!(print_code(&srv, qy, &s(&ok["id"]), &Pr::default()).await, "CONFLICT", "second print of a ticket");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [1, 0, 0, 0], "still one card");
    let t = upload(&srv, qy, &r15).await;
    assert_eq!(t["card"]["cardNo"], res["card"]["cardNo"], "the ticket keeps its first card");

    // The refused tickets print once their problem is gone: the tare sent later.
    // (A resend keeps the first upload's weighing time: it may not change it.)
    let first_r5 = refused.iter().find(|tk| tk.0["ticketNo"] == "R-5").expect("R-5 was refused").clone();
    let r5 = upload(&srv, qy, &first_r5.tare("100")).await;
    let res = print(&srv, qy, &s(&r5["id"]), &Pr::default()).await;
    assert_eq!(dec(&res["card"]["targetLintKg"]), d("342"), "900 × 38 / 100");
    // An unknown ticket id.
    assert_eq!(print_code(&srv, qy, "999999", &Pr::default()).await, "NOT_FOUND");
}

async fn trace_card_lookup_and_checksum(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let res = carded_ticket(&srv, &g, qy, "T-1", &Pr::default()).await;
    let no = s(&res["card"]["cardNo"]);

    let card = data(&trace_card(&srv, qy, &no).await)["traceCard"].clone();
    assert_eq!(card["cardNo"], no.as_str());
    assert_eq!(card["id"], res["card"]["id"]);
    assert_eq!(card["ticket"]["ticketNo"], "T-1");
    assert_eq!(card["status"], "PRINTED");

    assert_eq!(err_code(&trace_card(&srv, &g.qy_b, &no).await), "FORBIDDEN", "another enterprise's card");
    // The unit's regiment sees the card and its unit (one joined statement feeds the
    // access check and the unit field); another regiment is refused.
    let q = "query($c: String!) { traceCard(cardNo: $c) { cardNo traceUnit { id name } } }";
    let resp = srv.gql(Some(&g.t.tuan_a), q, json!({ "c": no })).await;
    assert_eq!(data(&resp)["traceCard"]["cardNo"], no.as_str(), "{resp}");
    assert!(data(&resp)["traceCard"]["traceUnit"]["id"].is_string(), "{resp}");
    let resp = srv.gql(Some(&g.t.tuan_a), "query($c: String!) { traceCard(cardNo: $c) { cardNo } }", json!({ "c": no })).await;
    assert_eq!(data(&resp)["traceCard"]["cardNo"], no.as_str(), "without the unit field too: {resp}");
    assert_eq!(err_code(&srv.gql(Some(&g.t.tuan_b), q, json!({ "c": no })).await), "FORBIDDEN", "another regiment");
    let wrong = wrong_check_digit(&no);
    assert_eq!(err_code(&trace_card(&srv, qy, &wrong).await), "CARD_CHECKSUM", "{wrong}: wrong check digit");
    // An adjacent transposition in the serial is caught too.
    let b = no.as_bytes();
    let mut swapped = b.to_vec();
    if let Some(i) = (4..12).find(|&i| b[i] != b[i + 1]) {
        swapped.swap(i, i + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        assert_eq!(err_code(&trace_card(&srv, qy, &swapped).await), "CARD_CHECKSUM", "{swapped}: transposed digits");
    }
    let unknown = unknown_card_no(SEASON);
    let resp = trace_card(&srv, qy, &unknown).await;
    assert!(data(&resp)["traceCard"].is_null(), "a well-formed unknown number is null: {resp}");
    // Mistyped everywhere a card number is entered.
    let resp = srv.gql(Some(qy), &reprint_query(), json!({ "c": wrong, "n": 1 })).await;
    assert_eq!(err_code(&resp), "CARD_CHECKSUM", "reprintTraceCard with a wrong check digit");
    let resp = srv
        .gql(Some(qy), "query($c: String) { printRecords(cardNo: $c) { totalCount } }", json!({ "c": wrong }))
        .await;
    assert_eq!(err_code(&resp), "CARD_CHECKSUM", "printRecords with a wrong check digit");
}

async fn reprint_keeps_card_number(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let first = carded_ticket(&srv, &g, qy, "RP-1", &Pr::default()).await;
    let no = s(&first["card"]["cardNo"]);

    let resp = srv.gql(Some(qy), &reprint_query(), json!({ "c": no, "n": 3 })).await;
    let re = data(&resp)["reprintTraceCard"].clone();
    assert_eq!(re["card"]["cardNo"], no.as_str(), "a reprint keeps the card number");
    assert_eq!(re["card"]["id"], first["card"]["id"]);
    assert_eq!(re["record"]["reprint"], true);
    assert_eq!(re["record"]["copies"], 3);
    assert_eq!(re["record"]["by"]["username"], "qy_a");
    assert_ne!(re["record"]["id"], first["record"]["id"], "a new record");
    assert!(!file_bytes(&re["output"]).is_empty(), "the reprint has output");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [1, 0, 0, 0], "a reprint makes no new card");

    let code = |resp: Value| err_code(&resp);
    assert_eq!(
        code(srv.gql(Some(&g.qy_b), &reprint_query(), json!({ "c": no, "n": 1 })).await),
        "NOT_FOUND",
        "another enterprise's card"
    );
    assert_eq!(
        code(srv.gql(Some(qy), &reprint_query(), json!({ "c": wrong_check_digit(&no), "n": 1 })).await),
        "CARD_CHECKSUM"
    );
    assert_eq!(code(srv.gql(Some(qy), &reprint_query(), json!({ "c": no, "n": 0 })).await), "VALIDATION", "0 copies");
    assert_eq!(code(srv.gql(Some(qy), &reprint_query(), json!({ "c": no, "n": 101 })).await), "VALIDATION", "101 copies");
    assert_eq!(
        code(srv.gql(Some(qy), &reprint_query(), json!({ "c": unknown_card_no(SEASON), "n": 1 })).await),
        "NOT_FOUND",
        "an unknown card"
    );

    let recs = srv
        .ok(Some(qy), "query($c: String) { printRecords(cardNo: $c) { totalCount edges { node { reprint copies card { cardNo } } } } }", json!({ "c": no }))
        .await["printRecords"]
        .clone();
    assert_eq!(recs["totalCount"], 2, "the print and the reprint: {recs}");
    assert_eq!(recs["edges"][0]["node"]["reprint"], true, "newest first: {recs}");
    assert_eq!(recs["edges"][1]["node"]["reprint"], false);
}

fn records_query() -> String {
    format!(
        "query($s: Int, $c: String, $g: String, $k: String, $f: DateTime, $t: DateTime, $n: Int, $a: String) {{ printRecords(season: $s, cardNo: $c, growerIdNumber: $g, ticketNo: $k, from: $f, to: $t, first: $n, after: $a) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {RECORD_FIELDS} }} }} }} }}"
    )
}

async fn records(srv: &TestServer, token: &str, vars: Value) -> Value {
    srv.ok(Some(token), &records_query(), vars).await["printRecords"].clone()
}

/// (card number, reprint) of each edge, in order.
fn rows(conn: &Value) -> Vec<(String, bool)> {
    conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (s(&e["node"]["card"]["cardNo"]), e["node"]["reprint"].as_bool().unwrap()))
        .collect()
}

async fn print_records_filters_and_paging(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let print_for = async |no: &str, grower: usize, plot: &str| -> String {
        let t = upload(&srv, qy, &Tk::new(no, &g.id(grower), &[g.plot(plot)], "1000").complete()).await;
        s(&print(&srv, qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await["card"]["cardNo"])
    };
    let c1 = print_for("PR-1", 1, "A1-01-1").await; // G1
    let c2 = print_for("PR-2", 3, "A1-03-1").await; // G3
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mid = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c3 = print_for("PR-3", 1, "A1-01-2").await; // G1
    srv.ok(Some(qy), &reprint_query(), json!({ "c": c1, "n": 2 })).await;
    // The other enterprise's card is never among these.
    let tb = upload(&srv, &g.qy_b, &Tk::new("PR-B", &g.id(1), &[g.plot("A1-01-1")], "1000").complete()).await;
    print(&srv, &g.qy_b, &s(&tb["id"]), &Pr::default().printer("ZPL")).await;

    // All, newest first.
    let all = records(&srv, qy, json!({})).await;
    assert_eq!(all["totalCount"], 4, "{all}");
    assert_eq!(
        rows(&all),
        [(c1.clone(), true), (c3.clone(), false), (c2.clone(), false), (c1.clone(), false)],
        "newest first: {all}"
    );
    let times: Vec<_> = all["edges"].as_array().unwrap().iter().map(|e| parse_time(&e["node"]["at"])).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "records ordered by time, newest first: {times:?}");
    assert_eq!(all["pageInfo"]["hasNextPage"], false);

    // Filters.
    assert_eq!(records(&srv, qy, json!({ "s": SEASON })).await["totalCount"], 4);
    assert_eq!(records(&srv, qy, json!({ "s": OTHER_SEASON })).await["totalCount"], 0);
    let by_card = records(&srv, qy, json!({ "c": c1 })).await;
    assert_eq!(rows(&by_card), [(c1.clone(), true), (c1.clone(), false)], "by card number: {by_card}");
    assert_eq!(by_card["totalCount"], 2);
    let by_grower = records(&srv, qy, json!({ "g": g.id(1) })).await;
    assert_eq!(rows(&by_grower), [(c1.clone(), true), (c3.clone(), false), (c1.clone(), false)], "by grower G1: {by_grower}");
    assert_eq!(by_grower["totalCount"], 3);
    let g3 = records(&srv, qy, json!({ "g": g.id(3) })).await;
    assert_eq!(rows(&g3), [(c2.clone(), false)], "by grower G3");
    assert_eq!(records(&srv, qy, json!({ "g": g.id(6) })).await["totalCount"], 0, "a grower without cards");
    let mid_s = rfc3339(mid);
    let later = records(&srv, qy, json!({ "f": mid_s })).await;
    assert_eq!(rows(&later), [(c1.clone(), true), (c3.clone(), false)], "from the middle on: {later}");
    let earlier = records(&srv, qy, json!({ "t": mid_s })).await;
    assert_eq!(rows(&earlier), [(c2.clone(), false), (c1.clone(), false)], "up to the middle: {earlier}");
    let combined = records(&srv, qy, json!({ "g": g.id(1), "f": mid_s, "s": SEASON })).await;
    assert_eq!(rows(&combined), [(c1.clone(), true), (c3.clone(), false)], "filters combine: {combined}");
    let window = records(&srv, qy, json!({ "f": rfc3339(mid - chrono::Duration::milliseconds(500)), "t": rfc3339(mid + chrono::Duration::milliseconds(500)) })).await;
    assert_eq!(window["totalCount"], 0, "nothing printed in the quiet second: {window}");
    let unknown = records(&srv, qy, json!({ "c": unknown_card_no(SEASON) })).await;
    assert_eq!(unknown["totalCount"], 0);

    // Paging.
    let p1 = records(&srv, qy, json!({ "n": 3 })).await;
    assert_eq!(p1["totalCount"], 4);
    assert_eq!(rows(&p1), rows(&all)[..3].to_vec(), "first page");
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    let p2 = records(&srv, qy, json!({ "n": 3, "a": p1["pageInfo"]["endCursor"] })).await;
    assert_eq!(rows(&p2), rows(&all)[3..].to_vec(), "second page");
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);
    assert_eq!(p2["totalCount"], 4);
    let q1 = records(&srv, qy, json!({ "n": 1, "g": g.id(1) })).await;
    let q2 = records(&srv, qy, json!({ "n": 1, "g": g.id(1), "a": q1["pageInfo"]["endCursor"] })).await;
    assert_eq!(rows(&q2), [(c3.clone(), false)], "paging within a filter: {q2}");
    assert_eq!(q2["pageInfo"]["hasNextPage"], true);
    assert_eq!(q2["totalCount"], 3);

    // The other enterprise sees its one record; others may not look.
    let b = records(&srv, &g.qy_b, json!({})).await;
    assert_eq!(b["totalCount"], 1, "{b}");
    assert_eq!(b["edges"][0]["node"]["by"]["username"], "qy_b");
    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        assert_eq!(srv.code(Some(token), &records_query(), json!({})).await, "FORBIDDEN", "printRecords by {who}");
    }
}

async fn print_records_by_ticket_no(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let print_for = async |token: &str, tk: Tk| -> String {
        let t = upload(&srv, token, &tk).await;
        s(&print(&srv, token, &s(&t["id"]), &Pr::default().printer("ZPL")).await["card"]["cardNo"])
    };
    let tk = |no: &str, grower: usize, plot: &str| Tk::new(no, &g.id(grower), &[g.plot(plot)], "1000").complete();
    let c1 = print_for(qy, tk("BD-1", 1, "A1-01-1")).await; // G1
    let c2 = print_for(qy, tk("BD-2", 3, "A1-03-1")).await; // G3
    let c3 = print_for(qy, tk("BD-3", 1, "A1-01-2")).await; // G1
    srv.ok(Some(qy), &reprint_query(), json!({ "c": c1, "n": 1 })).await;
    // The other enterprise's ticket of the same number is never among these.
    let cb = print_for(&g.qy_b, tk("BD-1", 1, "A1-01-1")).await;

    // A match: the ticket's print and its reprint, newest first.
    let by_ticket = records(&srv, qy, json!({ "k": "BD-1" })).await;
    assert_eq!(rows(&by_ticket), [(c1.clone(), true), (c1.clone(), false)], "by ticket BD-1: {by_ticket}");
    assert_eq!(by_ticket["totalCount"], 2);
    let node = &by_ticket["edges"][0]["node"];
    let card = srv.ok(Some(qy), &trace_card_query(), json!({ "c": s(&node["card"]["cardNo"]) })).await["traceCard"].clone();
    assert_eq!(card["ticket"]["ticketNo"], "BD-1", "the record's card is the ticket's: {card}");
    assert_eq!(rows(&records(&srv, qy, json!({ "k": "BD-2" })).await), [(c2.clone(), false)]);
    // Typed with spaces around it, as on the ticket.
    assert_eq!(rows(&records(&srv, qy, json!({ "k": "  BD-3 " })).await), [(c3.clone(), false)], "trimmed like the upload");
    // No match: an unknown number, another enterprise's only number, a case slip.
    assert_eq!(records(&srv, qy, json!({ "k": "BD-9" })).await["totalCount"], 0, "a number no ticket has");
    assert_eq!(records(&srv, qy, json!({ "k": "bd-1" })).await["totalCount"], 0, "ticket numbers are exact");
    let b = records(&srv, &g.qy_b, json!({ "k": "BD-1" })).await;
    assert_eq!(rows(&b), [(cb.clone(), false)], "enterprise B sees its own BD-1 only: {b}");
    assert_eq!(records(&srv, &g.qy_b, json!({ "k": "BD-2" })).await["totalCount"], 0, "enterprise A's ticket");
    // An empty number is no filter.
    assert_eq!(records(&srv, qy, json!({ "k": "" })).await["totalCount"], 4);
    // A number no ticket can have (what uploadTicket refuses) is VALIDATION.
    let resp = srv.gql(Some(qy), &records_query(), json!({ "k": "BD 1" })).await;
    assert_eq!(err_code(&resp), "VALIDATION", "{resp}");
    assert!(has_cjk(&s(&resp["errors"][0]["message"])), "{resp}");

    // With the other filters: they combine (AND).
    let with = |extra: Value| {
        let mut v = json!({ "k": "BD-1" });
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    assert_eq!(records(&srv, qy, with(json!({ "s": SEASON }))).await["totalCount"], 2);
    assert_eq!(records(&srv, qy, with(json!({ "s": OTHER_SEASON }))).await["totalCount"], 0, "another season");
    assert_eq!(records(&srv, qy, with(json!({ "c": c1 }))).await["totalCount"], 2, "its own card");
    assert_eq!(records(&srv, qy, with(json!({ "c": c3 }))).await["totalCount"], 0, "another card of the same grower");
    assert_eq!(records(&srv, qy, with(json!({ "g": g.id(1) }))).await["totalCount"], 2, "its grower");
    assert_eq!(records(&srv, qy, with(json!({ "g": g.id(3) }))).await["totalCount"], 0, "another grower");
    let future = rfc3339(chrono::Utc::now() + chrono::Duration::hours(1));
    assert_eq!(records(&srv, qy, with(json!({ "f": future }))).await["totalCount"], 0, "printed before that");
    assert_eq!(records(&srv, qy, with(json!({ "t": future }))).await["totalCount"], 2);
    // Paging within the filter.
    let p1 = records(&srv, qy, with(json!({ "n": 1 }))).await;
    assert_eq!(rows(&p1), [(c1.clone(), true)]);
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    assert_eq!(p1["totalCount"], 2);
    let p2 = records(&srv, qy, with(json!({ "n": 1, "a": p1["pageInfo"]["endCursor"] }))).await;
    assert_eq!(rows(&p2), [(c1.clone(), false)]);
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);
}
