//! `serve --demo` gains tickets and printed cards (issue 5 item 7): the demo
//! enterprise qts65001 can print and export at once.

use cotton_plugin_host::PluginRegistry;
use cotton_plugin_host::abi::wire::CollectorModel;
use cotton_plugin_host::signing::verifying_key_from_base64;
use rust_decimal::RoundingStrategy;
use serde_json::json;

use crate::ginning::*;
use crate::harness::*;

both_backends!(demo_enterprise_can_print_and_export_at_once);

const DEMO_PASSWORD: &str = "Cotton@2026";

async fn demo_enterprise_can_print_and_export_at_once(backend: Backend) {
    let srv = TestServer::start(backend, Opts::demo().arg("--plugins-dir").arg(plugins_dir().to_str().unwrap())).await;
    let qts = srv.login("qts65001", DEMO_PASSWORD).await;

    // Printed cards and their print records.
    let usage = card_usage(&srv, &qts, SEASON).await;
    assert!(usage[0] >= 1, "the demo enterprise has printed cards: {usage:?}");
    let recs = srv
        .ok(
            Some(&qts),
            "{ printRecords(first: 100) { totalCount edges { node { reprint card { cardNo status targetLintKg ticket { ticketNo grossKg tareKg netKg lintYieldPct lintTargetKg late } traceUnit { status } } } } } }",
            json!({}),
        )
        .await["printRecords"]
        .clone();
    let edges = recs["edges"].as_array().expect("edges");
    assert_eq!(recs["totalCount"], usage[0], "one print record per printed card: {recs}");
    for e in edges {
        let card = &e["node"]["card"];
        assert_card_no(&s(&card["cardNo"]), SEASON);
        assert_eq!(card["traceUnit"]["status"], "APPROVED", "{card}");
        let t = &card["ticket"];
        assert_eq!(t["late"], false);
        // The demo's weights obey rules §6.
        let net = dec(&t["grossKg"]) - dec(&t["tareKg"]);
        assert_eq!(dec(&t["netKg"]), net, "net = gross − tare: {t}");
        let target = (net * dec(&t["lintYieldPct"]) / d("100")).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(dec(&t["lintTargetKg"]), target, "target = net × yield / 100: {t}");
        assert_eq!(dec(&card["targetLintKg"]), target);
    }

    // Lines of every collector model.
    let lines = srv.ok(Some(&qts), LINES, json!({})).await["productionLines"].as_array().expect("lines").clone();
    let mut models: Vec<String> = lines.iter().map(|l| s(&l["collectorModel"])).collect();
    models.sort();
    assert_eq!(models, ["IV", "V", "VI"], "{lines:?}");

    // An uncarded ticket to print: the demo grower's tickets in growerTickets.
    let mut fresh = None;
    for n in 1..=16 {
        let id = cotton_devtools::demo_season::demo_id_number(n);
        let resp = srv.gql(Some(&qts), &grower_tickets_query(), json!({ "i": id, "s": SEASON })).await;
        let Some(tickets) = resp["data"]["growerTickets"]["tickets"].as_array() else { continue };
        if let Some(t) = tickets.iter().find(|t| t["traceUnit"]["status"] == "APPROVED" && !t["tareKg"].is_null()) {
            fresh = Some(t.clone());
            break;
        }
    }
    let fresh = fresh.expect("the demo has an uploaded, uncarded ticket in the approved unit");
    let res = print(&srv, &qts, &s(&fresh["id"]), &Pr::default()).await;
    assert_eq!(res["output"]["mimeType"], "application/pdf");
    assert_eq!(card_usage(&srv, &qts, SEASON).await, [usage[0] + 1, usage[1], 0, 0]);

    // Export to the IV line, and read it back with the IV plugin.
    let iv = lines.iter().find(|l| l["collectorModel"] == "IV").unwrap();
    let file = srv.ok(Some(&qts), EXPORT, json!({ "l": iv["id"] })).await["exportTraceFile"].clone();
    let total = usage[0] + usage[1] + 1;
    assert_eq!(file["cardCount"], total, "{}", file["fileName"]);
    let key_b64 = s(&srv.ok(Some(&qts), PUBLIC_KEY, json!({})).await["platformPublicKey"]);
    let key = verifying_key_from_base64(&key_b64).unwrap();
    let registry = PluginRegistry::load_dir(plugins_dir());
    let decoded = registry
        .require_collector(CollectorModel::Iv)
        .unwrap()
        .read_export_file(&s(&iv["lineRef"]), &file_bytes(&file), &key)
        .expect("the demo's IV export reads back");
    assert_eq!(decoded.cards.len() as i64, total);
    assert!(decoded.cards.iter().any(|c| c.card_no == s(&res["card"]["cardNo"])), "the new card is exported");
    assert_eq!(card_usage(&srv, &qts, SEASON).await, [0, total, 0, 0]);
}
