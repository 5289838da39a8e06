//! The holes an outside tester found in the rules (issue 15): a resend that made
//! a late ticket on time, a card that finished at its target being processed
//! again, 结束 without CARD_FINISHED, cards per scan as season rules, bales that
//! could not be looked up, and decimals echoed as the client typed them.

use std::time::Duration;

use chrono::Utc;
use cotton_plugin_host::PluginRegistry;
use serde_json::{Value, json};

use crate::audit::Raw;
use crate::ginning::{self, Pr, SEASON, Tk, minutes_ago};
use crate::harness::*;
use crate::processing_fixture::*;

both_backends!(
    a_resend_cannot_make_a_late_ticket_on_time,
    a_resend_adds_weights_and_corrects_plots_until_carded,
    a_card_finished_at_its_target_is_never_processed_again,
    every_finish_publishes_card_finished_once,
    cards_per_scan_are_season_rules,
    a_bale_is_looked_up_by_barcode_within_scope,
    decimal_outputs_carry_their_scale,
);

const TICKET: &str = "query($i: String!, $s: Int!) { growerTickets(idNumber: $i, season: $s) { tickets { ticketNo grossKg weighedAt uploadedAt late grower { name } plots { code } card { cardNo } } } }";

async fn ticket_of(srv: &TestServer, token: &str, m: &Mill, g: usize, no: &str) -> Value {
    let d = srv.ok(Some(token), TICKET, json!({ "i": m.id(g), "s": SEASON })).await;
    d["growerTickets"]["tickets"].as_array().unwrap().iter().find(|t| t["ticketNo"] == no).cloned().unwrap_or_else(|| panic!("ticket {no} of G{g}"))
}

fn conflict_naming(resp: &Value, field: &str) {
    assert_eq!(err_code(resp), "CONFLICT", "{resp}");
    let msg = crate::unit_fixtures::err_msg(resp);
    assert!(msg.contains(field) && has_cjk(&msg), "the message names {field}: {msg}");
}

async fn a_resend_cannot_make_a_late_ticket_on_time(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    // Weighed 40 minutes ago, uploaded now: late (window 30 min).
    let late = ticket(&m, "LATE-1", 7, "A1-07-1", "1000", "200").at(&minutes_ago(40));
    let first = ginning::upload(&srv, qy, &late).await;
    assert_eq!(first["late"], true, "{first}");
    let before = ticket_of(&srv, qy, &m, 7, "LATE-1").await;

    // The same number, weighed "a minute ago": refused, naming the weighing time.
    let resp = ginning::upload_raw(&srv, qy, &late.clone().at(&minutes_ago(1))).await;
    conflict_naming(&resp, "称重时间");
    // Another gross weight, another grower: refused the same way.
    conflict_naming(&ginning::upload_raw(&srv, qy, &late.clone().gross("1200")).await, "毛重");
    let other_grower = late.clone().grower(&m.id(1)).plots(&[m.plot("A1-01-1")]);
    conflict_naming(&ginning::upload_raw(&srv, qy, &other_grower).await, "种植者");
    assert_eq!(ticket_of(&srv, qy, &m, 7, "LATE-1").await, before, "refused resends change nothing");
    assert!(srv.ok(Some(qy), TICKET, json!({ "i": m.id(1), "s": SEASON })).await["growerTickets"]["tickets"].as_array().unwrap().is_empty());

    // The same content again is one ticket, still late; so no card is printed.
    let again = ginning::upload(&srv, qy, &late).await;
    assert_eq!((&again["id"], &again["late"]), (&first["id"], &json!(true)));
    assert_eq!(ginning::print_code(&srv, qy, &s(&first["id"]), &Pr::default().printer("ZPL")).await, "TICKET_LATE");
    // Adding what the schema lets a resend add keeps the lateness judged at the first upload.
    let added = ginning::upload(&srv, qy, &late.clone().moisture("9.5").modules(3)).await;
    assert_eq!(added["late"], true, "{added}");
    assert_eq!(added["uploadedAt"], first["uploadedAt"]);
    assert_eq!(ginning::print_code(&srv, qy, &s(&first["id"]), &Pr::default().printer("ZPL")).await, "TICKET_LATE");
}

async fn a_resend_adds_weights_and_corrects_plots_until_carded(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    // G1 has two plots in U1. The first upload names one and no tare yet.
    let tk = Tk::new("RS-1", &m.id(1), &[m.plot("A1-01-1")], "1000");
    let first = ginning::upload(&srv, qy, &tk).await;
    assert_eq!(first["late"], false);
    assert!(first["tareKg"].is_null() && first["lintTargetKg"].is_null(), "{first}");
    // The resend adds tare and lint yield and corrects the plots.
    let fixed = tk.clone().tare("200").lint_yield("38.5").plots(&[m.plot("A1-01-1"), m.plot("A1-01-2")]);
    let second = ginning::upload(&srv, qy, &fixed).await;
    assert_eq!(second["id"], first["id"]);
    assert_eq!((s(&second["tareKg"]), s(&second["lintTargetKg"])), ("200.00".into(), "308.00".into()));
    let codes: Vec<String> = second["plots"].as_array().unwrap().iter().map(|p| s(&p["code"])).collect();
    assert_eq!(codes, ["A1-01-1", "A1-01-2"]);
    assert_eq!((&second["weighedAt"], &second["uploadedAt"]), (&first["weighedAt"], &first["uploadedAt"]));
    // The trail keeps the old and the new plots of the ticket.
    let mut raw = Raw::open(&srv).await;
    let ops = raw
        .texts(&format!(
            "SELECT op || ' ' || row_key AS v FROM audit_log WHERE tbl = 'ticket_plots' AND row_key LIKE '{},%' ORDER BY chain, seq",
            s(&first["id"])
        ))
        .await;
    let (p1, p2) = (m.plot("A1-01-1"), m.plot("A1-01-2"));
    let id = s(&first["id"]);
    for want in [format!("INSERT {id},{p1}"), format!("DELETE {id},{p1}"), format!("INSERT {id},{p2}")] {
        assert!(ops.iter().any(|o| *o == want), "{want} in the audit trail: {ops:?}");
    }

    // After the card: the same resend is fine, a change is TICKET_CARDED.
    let card = ginning::print(&srv, qy, &id, &Pr::default().printer("ZPL")).await;
    assert_eq!(ginning::upload(&srv, qy, &fixed).await["card"]["cardNo"], card["card"]["cardNo"]);
    assert_eq!(ginning::upload_code(&srv, qy, &fixed.clone().plots(&[m.plot("A1-01-1")])).await, "TICKET_CARDED");
    assert_eq!(ginning::upload_code(&srv, qy, &fixed.clone().tare("150")).await, "TICKET_CARDED");
    // Identity changes stay CONFLICT, carded or not.
    conflict_naming(&ginning::upload_raw(&srv, qy, &fixed.clone().gross("999")).await, "毛重");
}

const FINISHED_BY: &str = "query($c: String!) { traceCard(cardNo: $c) { status finishedBy processedLintKg bales { barcode } } }";

async fn card_finish(srv: &TestServer, token: &str, no: &str) -> Value {
    srv.ok(Some(token), FINISHED_BY, json!({ "c": no })).await["traceCard"].clone()
}

async fn a_card_finished_at_its_target_is_never_processed_again(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    set_verifier(&srv, qy).await;
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    // Target 308 kg each (net 800 × 38.5 %).
    let a = work_card(&srv, &m, qy, "AF-A").await;
    let b = work_card(&srv, &m, qy, "AF-B").await;
    assert!(card_finish(&srv, qy, &a).await["finishedBy"].is_null(), "an open card has no finishedBy");
    scan(&srv, qy, &vi.id, &[&a, &b]).await;
    delay(&srv, qy, &vi.id, &a, 0).await;
    delay(&srv, qy, &vi.id, &b, 0).await;
    bale(&srv, qy, &vi.id, "AF01", "200", None).await;
    let r = bale(&srv, qy, &vi.id, "AF02", "200", None).await;
    assert_eq!(r["finishedCard"]["cardNo"], a.as_str(), "400 ≥ 308: A finishes by itself: {r}");
    let done = card_finish(&srv, qy, &a).await;
    assert_eq!((&done["status"], &done["finishedBy"]), (&json!("FINISHED"), &json!("AUTO")));

    // The right verification account does not bring it back.
    let resp = reprocess_resp(&srv, qy, &vi.id, &a, VERIFIER, VERIFIER_PW).await;
    assert_eq!(err_code(&resp), "VALIDATION", "{resp}");
    let msg = crate::unit_fixtures::err_msg(&resp);
    assert!(msg.contains("不允许再加工") && msg.contains(&a), "{msg}");
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(&b, 0)]), "nothing was queued");
    let r = bale(&srv, qy, &vi.id, "AF03", "50", None).await;
    assert_eq!(r["bale"]["card"]["cardNo"], b.as_str(), "the next bale goes to B, not A");
    assert_eq!(card_finish(&srv, qy, &a).await, done, "A is unchanged");

    // B ended by hand: MANUAL, and re-processable.
    end(&srv, qy, &vi.id).await;
    assert_eq!(card_finish(&srv, qy, &b).await["finishedBy"], "MANUAL");
    let resp = reprocess_resp(&srv, qy, &vi.id, &b, VERIFIER, VERIFIER_PW).await;
    assert_eq!(queue(&data(&resp)["reprocessCard"]), q(&[(&b, 0)]));
    let again = card_finish(&srv, qy, &b).await;
    assert_eq!((&again["status"], &again["finishedBy"]), (&json!("PROCESSING"), &json!(null)));

    // An IV device file that re-processes an AUTO card: that record is refused,
    // the bale after it does not go to the card.
    let iv = create_line(&srv, qy, "四号线", "IV").await;
    let c = work_card(&srv, &m, qy, "AF-C").await;
    let cards = vec![c.clone()];
    let ops = [
        Op::Scan(vec![0]),
        Op::Delay(0, 0),
        Op::Bale("1", "400", None), // C finishes by itself
        Op::Reprocess(0),           // refused
        Op::Bale("2", "100", None), // no card: untraced
    ];
    let registry = PluginRegistry::load_dir(plugins_dir());
    let file = upload_file(&registry, "IV", &iv.line_ref, &iv.device_key, records(&cards, "AFIV", &ops, Utc::now() - chrono::Duration::hours(1)));
    let r = data(&upload_resp(&srv, qy, &iv.id, file).await)["uploadProcessingFile"].clone();
    assert_eq!((&r["accepted"], &r["rejected"]), (&json!(4), &json!(1)), "{r}");
    let err = r["errors"][0].as_str().unwrap();
    assert!(err.contains("第4条记录") && err.contains("不允许再加工"), "{err}");
    let cc = card_finish(&srv, qy, &c).await;
    assert_eq!((&cc["finishedBy"], bale_codes(&cc)), (&json!("AUTO"), vec!["AFIV1".to_string()]));
}

const FINISH_EVENTS: &str = "subscription { events(topics: [CARD_FINISHED]) { topic cardNo enterpriseId unitId } }";

async fn every_finish_publishes_card_finished_once(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let a = work_card(&srv, &m, qy, "EV-A").await;
    let b = work_card(&srv, &m, qy, "EV-B").await;
    let mut sub = srv.subscribe(WsProto::TransportWs, qy, FINISH_EVENTS, json!({})).await;
    let mut sub_regiment = srv.subscribe(WsProto::TransportWs, &m.t.tuan_a, FINISH_EVENTS, json!({})).await;

    scan(&srv, qy, &vi.id, &[&a, &b]).await;
    delay(&srv, qy, &vi.id, &a, 0).await;
    delay(&srv, qy, &vi.id, &b, 0).await;
    bale(&srv, qy, &vi.id, "EV01", "100", None).await;
    end(&srv, qy, &vi.id).await; // 结束: A by hand
    bale(&srv, qy, &vi.id, "EV02", "400", None).await; // B at its target
    for (who, s) in [("enterprise", &mut sub), ("regiment", &mut sub_regiment)] {
        for card in [&a, &b] {
            let ev = s.next_event().await;
            assert_eq!((&ev["topic"], &ev["cardNo"]), (&json!("CARD_FINISHED"), &json!(card)), "{who}: {ev}");
            assert_eq!(ev["unitId"], m.uw.as_str());
        }
    }

    // An IV file: 结束 publishes too; the device's own CARD_FINISHED record adds nothing.
    let iv = create_line(&srv, qy, "四号线", "IV").await;
    let c = work_card(&srv, &m, qy, "EV-C").await;
    let d = work_card(&srv, &m, qy, "EV-D").await;
    let cards = vec![c.clone(), d.clone()];
    let mut recs = records(
        &cards,
        "EVIV",
        &[Op::Scan(vec![0, 1]), Op::Delay(0, 0), Op::Delay(1, 0), Op::Bale("1", "100", None), Op::End(0), Op::Bale("2", "400", None)],
        Utc::now() - chrono::Duration::hours(1),
    );
    let at = recs.last().unwrap().at;
    recs.push(cotton_plugin_host::abi::wire::ProcessingRecord {
        seq: recs.len() as u64 + 1,
        at,
        event: cotton_plugin_host::abi::wire::ProcessingEvent::CardFinished { card_no: d.clone() },
    });
    let registry = PluginRegistry::load_dir(plugins_dir());
    let file = upload_file(&registry, "IV", &iv.line_ref, &iv.device_key, recs);
    let r = data(&upload_resp(&srv, qy, &iv.id, file).await)["uploadProcessingFile"].clone();
    assert_eq!(r["rejected"], 0, "{r}");
    for card in [&c, &d] {
        let ev = sub.next_event().await;
        assert_eq!(ev["cardNo"], card.as_str(), "{ev}");
    }
    let extra = sub.any_event_within(Duration::from_secs(1)).await;
    assert!(extra.is_none(), "each finish is published once: {extra:?}");
    sub.close().await;
    sub_regiment.close().await;
}

const RULES: &str = "mutation($s: Int!, $i: SeasonRulesInput!) { setSeasonRules(season: $s, input: $i) { cardsPerScanIvV cardsPerScanVi } }";

async fn cards_per_scan_are_season_rules(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let admin = m.t.admin.clone();
    let rules = srv.ok(Some(qy), "query($s: Int!) { seasonRules(season: $s) { cardsPerScanIvV cardsPerScanVi } }", json!({ "s": SEASON })).await;
    assert_eq!(rules["seasonRules"], json!({ "cardsPerScanIvV": 10, "cardsPerScanVi": 20 }), "the manual's defaults");
    for (input, why) in [
        (json!({ "cardsPerScanIvV": 11 }), "IV/V devices hold 10 cards a scan"),
        (json!({ "cardsPerScanIvV": 0 }), "at least one"),
        (json!({ "cardsPerScanVi": 101 }), "at most 100"),
    ] {
        let resp = srv.gql(Some(&admin), RULES, json!({ "s": SEASON, "i": input })).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{why}: {resp}");
    }
    assert_eq!(srv.code(Some(qy), RULES, json!({ "s": SEASON, "i": { "cardsPerScanVi": 3 } })).await, "FORBIDDEN");
    let set = srv.ok(Some(&admin), RULES, json!({ "s": SEASON, "i": { "cardsPerScanIvV": 2, "cardsPerScanVi": 3 } })).await;
    assert_eq!(set["setSeasonRules"], json!({ "cardsPerScanIvV": 2, "cardsPerScanVi": 3 }));

    // The VI API: 4 cards refused whole, 3 judged.
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let cards: Vec<String> = futures_util::future::join_all((0..4).map(|i| {
        let (srv, m) = (&srv, &m);
        async move { work_card(srv, m, qy, &format!("CS-{i}")).await }
    }))
    .await;
    let refs: Vec<&str> = cards.iter().map(String::as_str).collect();
    let resp = scan_resp(&srv, qy, &vi.id, &refs).await;
    assert_eq!(err_code(&resp), "VALIDATION", "{resp}");
    assert!(crate::unit_fixtures::err_msg(&resp).contains("一次最多录入3个"), "{resp}");
    assert_eq!(scan(&srv, qy, &vi.id, &refs[..3]).await.len(), 3);

    // The export carries the IV/V rule; the replay of a file judges by it.
    let iv = create_line(&srv, qy, "四号线", "IV").await;
    let registry = PluginRegistry::load_dir(plugins_dir());
    let exported = srv.ok(Some(qy), crate::ginning::EXPORT, json!({ "l": iv.id })).await;
    let bytes = base64_decode(&s(&exported["exportTraceFile"]["base64"]));
    let key = cotton_plugin_host::signing::verifying_key_from_base64(&s(&srv.ok(Some(qy), crate::ginning::PUBLIC_KEY, json!({})).await["platformPublicKey"])).unwrap();
    let export = registry.require_collector(model_of("IV")).unwrap().read_export_file(&iv.line_ref, &bytes, &key).unwrap();
    let current = export.standards.iter().find(|st| st.season == SEASON).expect("the season's rules in the export");
    assert_eq!(current.cards_per_scan(model_of("IV")), 2, "{current:?}");
    let file = upload_file(
        &registry,
        "IV",
        &iv.line_ref,
        &iv.device_key,
        records(&cards, "CSIV", &[Op::Scan(vec![3]), Op::Scan(vec![3, 3, 3])], Utc::now() - chrono::Duration::hours(1)),
    );
    let r = data(&upload_resp(&srv, qy, &iv.id, file).await)["uploadProcessingFile"].clone();
    assert_eq!((&r["accepted"], &r["rejected"]), (&json!(1), &json!(1)), "{r}");
    assert!(r["errors"][0].as_str().unwrap().contains("一次最多录入2个"), "{r}");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).expect("base64")
}

const BALE: &str = "query($b: String!) { bale(barcode: $b) { barcode netKg conditionedKg traced delay line { id name collectorModel } card { cardNo } } }";

async fn a_bale_is_looked_up_by_barcode_within_scope(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let a = work_card(&srv, &m, qy, "BL-A").await;
    bale(&srv, qy, &vi.id, "BL00", "200", None).await; // no card: untraced
    scan(&srv, qy, &vi.id, &[&a]).await;
    delay(&srv, qy, &vi.id, &a, 1).await;
    bale(&srv, qy, &vi.id, "BL01", "200", None).await; // delay bale
    bale(&srv, qy, &vi.id, "BL02", "200", Some("9.5")).await; // traced to A

    let get = |token: String, code: &'static str| {
        let srv = &srv;
        async move { srv.gql(Some(&token), BALE, json!({ "b": code })).await }
    };
    let line = json!({ "id": vi.id, "name": "六号线", "collectorModel": "VI" });
    let untraced = data(&get(qy.to_string(), "BL00").await)["bale"].clone();
    assert_eq!(untraced, json!({ "barcode": "BL00", "netKg": "200.00", "conditionedKg": "200.00", "traced": false, "delay": false, "line": line, "card": null }));
    let delayed = data(&get(qy.to_string(), "BL01").await)["bale"].clone();
    assert_eq!((&delayed["traced"], &delayed["delay"], &delayed["card"]), (&json!(false), &json!(true), &json!(null)));
    let traced = data(&get(qy.to_string(), "BL02").await)["bale"].clone();
    assert_eq!((&traced["traced"], &traced["card"]["cardNo"]), (&json!(true), &json!(a)));
    assert_eq!(s(&traced["conditionedKg"]), "198.17", "200 × 108.5 / 109.5");

    // The regiment of the card's unit and the admin read it; the admin reads untraced ones too.
    assert_eq!(data(&get(m.t.tuan_a.clone(), "BL02").await)["bale"]["card"]["cardNo"], a.as_str());
    assert_eq!(data(&get(m.t.admin.clone(), "BL00").await)["bale"]["barcode"], "BL00");
    for (who, token, code) in [
        ("another regiment", m.t.tuan_b.clone(), "BL02"),
        ("the regiment, an untraced bale (no unit)", m.t.tuan_a.clone(), "BL00"),
        ("another enterprise", m.qy_b.clone(), "BL02"),
        ("a company", m.t.lian_a1.clone(), "BL02"),
    ] {
        assert_eq!(err_code(&get(token, code).await), "FORBIDDEN", "{who}");
    }
    // The line's private key stays with its enterprise.
    let resp = srv.gql(Some(&m.t.tuan_a), "query($b: String!) { bale(barcode: $b) { line { deviceKey } } }", json!({ "b": "BL02" })).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");
    let own = srv.ok(Some(qy), "query($b: String!) { bale(barcode: $b) { line { deviceKey } } }", json!({ "b": "BL02" })).await;
    assert_eq!(own["bale"]["line"]["deviceKey"], vi.device_key.as_str());
    // Unknown: null; malformed: VALIDATION.
    assert!(data(&get(qy.to_string(), "NOSUCHBALE").await)["bale"].is_null());
    assert_eq!(err_code(&srv.gql(Some(qy), BALE, json!({ "b": "" })).await), "VALIDATION");
}

async fn decimal_outputs_carry_their_scale(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    // The client types "1000", "200.5", "38": every kg and % comes back with 2 decimals.
    let tk = Tk::new("DS-1", &m.id(7), &[m.plot("A1-07-1")], "1000").tare("200.5").lint_yield("38").moisture("9");
    let t = ginning::upload(&srv, qy, &tk).await;
    for (k, want) in [("grossKg", "1000.00"), ("tareKg", "200.50"), ("netKg", "799.50"), ("lintYieldPct", "38.00"), ("moisturePct", "9.00"), ("lintTargetKg", "303.81")] {
        assert_eq!(t[k], want, "{k}: {t}");
    }
    let printed = ginning::print(&srv, qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await;
    assert_eq!(printed["card"]["targetLintKg"], "303.81");
    assert_eq!(printed["card"]["processedLintKg"], "0.00");
    // The label lines carry the same scale.
    let label = String::from_utf8(base64_decode(&s(&printed["output"]["base64"]))).unwrap();
    assert!(label.contains("1000.00 / 200.50 / 799.50 kg") && label.contains("38.00%"), "{label}");
    // Areas and season rules.
    let rules = srv.ok(Some(qy), "query($s: Int!) { seasonRules(season: $s) { minUnitAreaMu nominalBaleKg standardMoisturePct premiumMicMin } }", json!({ "s": SEASON })).await;
    assert_eq!(rules["seasonRules"], json!({ "minUnitAreaMu": "1.00", "nominalBaleKg": "227.00", "standardMoisturePct": "8.50", "premiumMicMin": "3.70" }));
    let unit = srv.ok(Some(&m.t.lian_a1), "query($i: ID!) { traceUnit(id: $i) { totalAreaMu members { areaMu plots { areaMu } } } }", json!({ "i": m.u1 })).await;
    assert_eq!(unit["traceUnit"]["totalAreaMu"], "200.00");
    assert_eq!(unit["traceUnit"]["members"][0]["plots"][0]["areaMu"], "100.00");

    // Fibre measurements keep the inspection's own precision; the rest 2 decimals.
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let card = s(&printed["card"]["cardNo"]);
    scan(&srv, qy, &vi.id, &[&card]).await;
    delay(&srv, qy, &vi.id, &card, 0).await;
    bale(&srv, qy, &vi.id, "DS01", "227", None).await;
    let rep = import_inspections(&srv, &m.t.admin, "ins.csv", inspection_csv(&[["DS01", "21", "29.1", "30.25", "4.2", "83", "2", "8", "227"]])).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "{rep}");
    let b = srv.ok(Some(qy), "query($b: String!) { bale(barcode: $b) { inspection { lengthMm strength micronaire uniformityPct conditionedKg } } }", json!({ "b": "DS01" })).await;
    assert_eq!(
        b["bale"]["inspection"],
        json!({ "lengthMm": "29.1", "strength": "30.25", "micronaire": "4.2", "uniformityPct": "83.00", "conditionedKg": "227.00" })
    );
}
