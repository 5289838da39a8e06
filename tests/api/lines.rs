//! Production lines and the signed export of trace cards (issue 5 item 4,
//! rules §7 export): the exported IV and V files read back through the matching
//! collector plugin's decoder with the same cards, and a tampered file is refused.

use cotton_plugin_host::abi::wire::CollectorModel;
use cotton_plugin_host::signing::verifying_key_from_base64;
use cotton_plugin_host::{HostError, PluginRegistry};
use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

both_backends!(
    production_lines_create_and_list,
    export_iv_and_v_files_decode_to_the_same_cards,
    export_refusals,
    platform_public_key_is_stable,
);

async fn create_line(srv: &TestServer, token: &str, name: &str, model: &str) -> Value {
    let resp = srv.gql(Some(token), CREATE_LINE, json!({ "n": name, "m": model })).await;
    data(&resp)["createProductionLine"].clone()
}

async fn lines(srv: &TestServer, token: &str) -> Vec<Value> {
    srv.ok(Some(token), LINES, json!({})).await["productionLines"].as_array().expect("lines").clone()
}

async fn production_lines_create_and_list(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let l1 = create_line(&srv, qy, "一号线", "IV").await;
    assert_eq!(l1["name"], "一号线");
    assert_eq!(l1["collectorModel"], "IV");
    assert_eq!(l1["lineRef"], format!("L{}", s(&l1["id"])), "lineRef is L<id>");
    let l2 = create_line(&srv, qy, "二号线", "V").await;
    let l3 = create_line(&srv, qy, "三号线", "VI").await;
    assert_eq!(l3["collectorModel"], "VI");

    let resp = srv.gql(Some(qy), CREATE_LINE, json!({ "n": "一号线", "m": "V" })).await;
    assert_eq!(err_code(&resp), "CONFLICT", "a duplicate line name: {resp}");
    // Another enterprise may use the same name.
    let b1 = create_line(&srv, &g.qy_b, "一号线", "V").await;

    let mine: Vec<Value> = lines(&srv, qy).await;
    let ids: Vec<&Value> = mine.iter().map(|l| &l["id"]).collect();
    assert_eq!(ids, [&l1["id"], &l2["id"], &l3["id"]], "own lines only, the duplicate was not created: {mine:?}");
    let theirs = lines(&srv, &g.qy_b).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["id"], b1["id"]);

    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        let resp = srv.gql(Some(token), CREATE_LINE, json!({ "n": "四号线", "m": "IV" })).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "createProductionLine by {who}");
        assert_eq!(srv.code(Some(token), LINES, json!({})).await, "FORBIDDEN", "productionLines by {who}");
    }
    assert_eq!(lines(&srv, qy).await.len(), 3);
}

async fn export(srv: &TestServer, token: &str, line: &Value) -> Value {
    srv.ok(Some(token), EXPORT, json!({ "l": line["id"] })).await["exportTraceFile"].clone()
}

/// A card as the API shows it, in the shape of the decoder's `ExportedCard`.
async fn api_card(srv: &TestServer, token: &str, card_no: &str) -> Value {
    let q = "query($c: String!) { traceCard(cardNo: $c) { cardNo status moduleType moduleCount targetLintKg processableBales traceUnit { id name } ticket { ticketNo grower { name } } } }";
    srv.ok(Some(token), q, json!({ "c": card_no })).await["traceCard"].clone()
}

fn assert_same_cards(decoded: &cotton_plugin_host::abi::wire::CardExport, api: &[Value], what: &str) {
    let mut got: Vec<_> = decoded.cards.iter().collect();
    got.sort_by(|a, b| a.card_no.cmp(&b.card_no));
    let mut want: Vec<&Value> = api.iter().collect();
    want.sort_by(|a, b| s(&a["cardNo"]).cmp(&s(&b["cardNo"])));
    let got_nos: Vec<&str> = got.iter().map(|c| c.card_no.as_str()).collect();
    let want_nos: Vec<String> = want.iter().map(|c| s(&c["cardNo"])).collect();
    assert_eq!(got_nos, want_nos, "{what}: the file holds exactly the enterprise's exportable cards");
    for (c, a) in got.iter().zip(want) {
        let no = &c.card_no;
        assert_eq!(c.ticket_no, s(&a["ticket"]["ticketNo"]), "{what} {no}: ticket");
        assert_eq!(c.grower_name, s(&a["ticket"]["grower"]["name"]), "{what} {no}: grower");
        assert_eq!(c.unit_id, s(&a["traceUnit"]["id"]), "{what} {no}: unit id");
        assert_eq!(c.unit_name, s(&a["traceUnit"]["name"]), "{what} {no}: unit name");
        assert_eq!(c.target_lint_kg, dec(&a["targetLintKg"]), "{what} {no}: target");
        assert_eq!(i64::from(c.processable_bales), a["processableBales"].as_i64().unwrap(), "{what} {no}: bales");
        assert_eq!(serde_json::to_value(c.module_type).unwrap(), a["moduleType"], "{what} {no}: module type");
        assert_eq!(i64::from(c.module_count), a["moduleCount"].as_i64().unwrap(), "{what} {no}: module count");
    }
}

async fn export_iv_and_v_files_decode_to_the_same_cards(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let registry = PluginRegistry::load_dir(plugins_dir());
    let key_b64 = s(&srv.ok(Some(qy), PUBLIC_KEY, json!({})).await["platformPublicKey"]);
    let key = verifying_key_from_base64(&key_b64).expect("platformPublicKey is a base64 Ed25519 key");

    // Three cards of enterprise A (different growers, module types), one of B,
    // one uncarded ticket of A.
    let mut mine = Vec::new();
    for (no, grower, plot, pr) in [
        ("X-1", 1, "A1-01-1", Pr::default().module("ROUND_MODULE", 4)),
        ("X-2", 3, "A1-03-1", Pr::default().module("RECTANGULAR_MODULE", 2)),
        ("X-3", 2, "A1-02-1", Pr::default().module("LOOSE", 0)),
    ] {
        let t = upload(&srv, qy, &Tk::new(no, &g.id(grower), &[g.plot(plot)], "1500.55").tare("300.30").lint_yield("40.25")).await;
        mine.push(s(&print(&srv, qy, &s(&t["id"]), &pr.printer("ZPL")).await["card"]["cardNo"]));
    }
    upload(&srv, qy, &Tk::new("X-4", &g.id(1), &[g.plot("A1-01-1")], "1000")).await;
    let tb = upload(&srv, &g.qy_b, &Tk::new("X-B", &g.id(1), &[g.plot("A1-01-1")], "1000").complete()).await;
    let theirs = s(&print(&srv, &g.qy_b, &s(&tb["id"]), &Pr::default()).await["card"]["cardNo"]);
    assert_eq!(card_usage(&srv, qy, SEASON).await, [3, 0, 0, 0]);

    let iv = create_line(&srv, qy, "一号线", "IV").await;
    let v = create_line(&srv, qy, "二号线", "V").await;

    // IV export: the three printed cards, which become EXPORTED.
    let api_before: Vec<Value> = {
        let mut v = Vec::new();
        for no in &mine {
            v.push(api_card(&srv, qy, no).await);
        }
        v
    };
    let file = export(&srv, qy, &iv).await;
    assert_eq!(file["cardCount"], 3, "{}", file["fileName"]);
    assert!(!s(&file["fileName"]).is_empty() && !s(&file["mimeType"]).is_empty(), "file name and type: {file}");
    let bytes = file_bytes(&file);
    let iv_collector = registry.require_collector(CollectorModel::Iv).expect("the IV collector plugin");
    let line_ref = s(&iv["lineRef"]);
    let decoded = iv_collector.read_export_file(&line_ref, &bytes, &key).expect("the IV plugin reads the exported file");
    assert_eq!(decoded.line_id, line_ref);
    assert_eq!(decoded.model, CollectorModel::Iv);
    assert_eq!(decoded.enterprise_code, "E65121");
    assert_same_cards(&decoded, &api_before, "IV");
    // 1500.55 − 300.30 = 1200.25; × 40.25 / 100 = 483.100625 → 483.10; ceil(483.10 / 227) = 3
    assert!(decoded.cards.iter().all(|c| c.target_lint_kg == d("483.10") && c.processable_bales == 3));

    assert_eq!(card_usage(&srv, qy, SEASON).await, [0, 3, 0, 0], "printed → exported");
    for no in &mine {
        assert_eq!(api_card(&srv, qy, no).await["status"], "EXPORTED", "{no}");
    }
    assert_eq!(data(&trace_card(&srv, &g.qy_b, &theirs).await)["traceCard"]["status"], "PRINTED", "B's card untouched");
    assert_eq!(card_usage(&srv, &g.qy_b, SEASON).await, [1, 0, 0, 0]);

    // Tampering: one flipped byte anywhere is refused as a bad file.
    for pos in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        let err = iv_collector.read_export_file(&line_ref, &bad, &key).expect_err("a tampered file is refused");
        assert!(matches!(err, HostError::BadFile(_)), "byte {pos} flipped: BadFile, got {err:?}");
    }
    // Another line's id or another key: refused too.
    let err = iv_collector.read_export_file(&s(&v["lineRef"]), &bytes, &key).expect_err("for another line");
    assert!(matches!(err, HostError::BadFile(_)), "another line: {err:?}");
    let other_key = cotton_plugin_host::signing::generate_key().verifying_key();
    let err = iv_collector.read_export_file(&line_ref, &bytes, &other_key).expect_err("another key");
    assert!(matches!(err, HostError::BadFile(_)), "another key: {err:?}");

    // A new card, then a V export: the exported (not yet processed) cards again plus the new one.
    let t = upload(&srv, qy, &Tk::new("X-5", &g.id(1), &[g.plot("A1-01-2")], "1000").complete()).await;
    mine.push(s(&print(&srv, qy, &s(&t["id"]), &Pr::default()).await["card"]["cardNo"]));
    assert_eq!(card_usage(&srv, qy, SEASON).await, [1, 3, 0, 0]);
    let mut api_all: Vec<Value> = Vec::new();
    for no in &mine {
        api_all.push(api_card(&srv, qy, no).await);
    }
    let file = export(&srv, qy, &v).await;
    assert_eq!(file["cardCount"], 4, "printed and exported cards: {}", file["fileName"]);
    let bytes = file_bytes(&file);
    let v_collector = registry.require_collector(CollectorModel::V).expect("the V collector plugin");
    let v_ref = s(&v["lineRef"]);
    let decoded = v_collector.read_export_file(&v_ref, &bytes, &key).expect("the V plugin reads the exported file");
    assert_eq!(decoded.line_id, v_ref);
    assert_eq!(decoded.model, CollectorModel::V);
    assert_eq!(decoded.enterprise_code, "E65121");
    assert_same_cards(&decoded, &api_all, "V");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [0, 4, 0, 0]);
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x80;
    let err = v_collector.read_export_file(&v_ref, &bad, &key).expect_err("a tampered V file is refused");
    assert!(matches!(err, HostError::BadFile(_)), "V, flipped byte: {err:?}");

    // Exported cards not yet processed are exported again (here: B's one card, twice).
    let bl = create_line(&srv, &g.qy_b, "B线", "IV").await;
    srv.ok(Some(&g.qy_b), EXPORT, json!({ "l": bl["id"] })).await;
    let again = export(&srv, &g.qy_b, &bl).await;
    assert_eq!(again["cardCount"], 1, "B's one card (exported before, not processed yet)");
    let decoded = iv_collector.read_export_file(&s(&bl["lineRef"]), &file_bytes(&again), &key).expect("B's file");
    assert_eq!(decoded.cards.len(), 1);
    assert_eq!(decoded.cards[0].card_no, theirs);
}

async fn export_refusals(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    carded_ticket(&srv, &g, qy, "Y-1", &Pr::default()).await;
    let vi = create_line(&srv, qy, "三号线", "VI").await;
    let iv = create_line(&srv, qy, "一号线", "IV").await;

    let resp = srv.gql(Some(qy), EXPORT, json!({ "l": vi["id"] })).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a VI line takes no file: {resp}");
    let resp = srv.gql(Some(&g.qy_b), EXPORT, json!({ "l": iv["id"] })).await;
    assert_eq!(err_code(&resp), "NOT_FOUND", "another enterprise's line: {resp}");
    let resp = srv.gql(Some(qy), EXPORT, json!({ "l": "999999" })).await;
    assert_eq!(err_code(&resp), "NOT_FOUND", "an unknown line: {resp}");
    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        let resp = srv.gql(Some(token), EXPORT, json!({ "l": iv["id"] })).await;
        let code = err_code(&resp);
        assert!(code == "FORBIDDEN" || code == "NOT_FOUND", "exportTraceFile by {who}: {resp}");
    }
    assert_eq!(card_usage(&srv, qy, SEASON).await, [1, 0, 0, 0], "refused exports change no card");
    let file = export(&srv, qy, &iv).await;
    assert_eq!(file["cardCount"], 1);
}

async fn platform_public_key_is_stable(backend: Backend) {
    let (srv, g) = start(backend).await;
    let k1 = s(&srv.ok(Some(g.qy_a()), PUBLIC_KEY, json!({})).await["platformPublicKey"]);
    let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &k1).expect("base64");
    assert_eq!(raw.len(), 32, "an Ed25519 public key is 32 bytes");
    verifying_key_from_base64(&k1).expect("a valid Ed25519 key");
    let k2 = s(&srv.ok(Some(&g.qy_b), PUBLIC_KEY, json!({})).await["platformPublicKey"]);
    assert_eq!(k1, k2, "one platform key");
    // A second server on the same database signs with the same key.
    let other = srv.another_on_same_db_with(opts()).await;
    let k3 = s(&other.ok(Some(g.qy_a()), PUBLIC_KEY, json!({})).await["platformPublicKey"]);
    assert_eq!(k1, k3, "the key is kept in the database");
}
