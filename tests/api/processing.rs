//! Processing on the gin line (issue 6, rules §8): online VI lines (scan prompts
//! verbatim, delay, bales with conditioned weights, automatic and manual finish,
//! reprocess with the verification account), the unit lock once processing has
//! started, the BALE_LINKED / CARD_FINISHED events, and IV/V upload files that
//! replay through the same state machine.

use std::time::Duration;

use chrono::Utc;
use cotton_plugin_host::PluginRegistry;
use serde_json::{Value, json};

use crate::ginning::SEASON;
use crate::harness::*;
use crate::processing_fixture::*;
use crate::unit_fixtures;

both_backends!(
    vi_scan_prompts_delay_and_queue,
    vi_line_refusals_by_model_enterprise_and_role,
    vi_bales_conditioned_weight_auto_finish_and_unit_lock,
    end_and_reprocess_need_the_verification_account,
    processing_events_reach_enterprise_and_regiment_only,
    uploaded_iv_and_v_files_link_like_the_online_vi_line,
    uploaded_file_with_zero_delay_links_like_the_online_vi_line,
    racing_bales_on_one_line_are_all_recorded,
    racing_duplicate_barcodes_record_one,
    bales_of_several_lines_at_once_are_each_recorded,
);

fn judged_all(v: &[(&str, &str)]) -> Vec<(String, String, Option<String>)> {
    v.iter().map(|(c, o)| judged(c, o)).collect()
}

async fn vi_scan_prompts_delay_and_queue(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let mut cards = Vec::new();
    for no in ["P-A", "P-B", "P-C", "P-D"] {
        cards.push(work_card(&srv, &m, qy, no).await);
    }
    let [a, b, c, dd] = [&cards[0], &cards[1], &cards[2], &cards[3]].map(|x| x.as_str());
    // A well-formed number of another enterprise's card, and one nobody printed.
    let theirs = card_of(&srv, &m.qy_b, &ticket(&m, "P-B1", 7, "A1-07-1", "1000", "200")).await;
    let unknown = unknown_card_no(SEASON);

    // Line start: empty queue, tracing off.
    let st = line_state(&srv, qy, &vi.id).await;
    assert_eq!(st, json!({ "queue": [], "tracing": false, "pendingDelay": 0 }), "a new line");
    let lines = srv.ok(Some(qy), "{ productionLines { id state { queue { card { cardNo } } tracing pendingDelay } } }", json!({})).await;
    let mine = lines["productionLines"].as_array().unwrap().iter().find(|l| l["id"] == vi.id.as_str()).cloned().expect("the VI line is listed");
    assert_eq!(mine["state"], json!({ "queue": [], "tracing": false, "pendingDelay": 0 }), "productionLines.state");

    // No bale traced yet: every scan asks for the delay; nothing is queued by the scan itself.
    assert_eq!(scan(&srv, qy, &vi.id, &[a]).await, judged_all(&[(a, "NEED_DELAY")]));
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[]), "NEED_DELAY queues nothing");
    let st = delay(&srv, qy, &vi.id, a, 2).await;
    assert_eq!(queue(&st), q(&[(a, 2)]));
    assert_eq!(st["pendingDelay"], 2);
    assert_eq!(st["tracing"], false);
    assert_eq!(scan(&srv, qy, &vi.id, &[b]).await, judged_all(&[(b, "NEED_DELAY")]));
    let st = delay(&srv, qy, &vi.id, b, 0).await;
    assert_eq!(queue(&st), q(&[(a, 2), (b, 0)]));
    // Still not tracing: a queued card asks again; entering a new count updates it.
    assert_eq!(scan(&srv, qy, &vi.id, &[a]).await, judged_all(&[(a, "NEED_DELAY")]));
    let st = delay(&srv, qy, &vi.id, a, 1).await;
    assert_eq!(queue(&st), q(&[(a, 1), (b, 0)]), "the delay is updated, the card not queued twice");
    assert_eq!(st["pendingDelay"], 1);
    let resp = delay_resp(&srv, qy, &vi.id, c, -1).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a negative delay: {resp}");

    // The delay bale passes untraced, then A takes bales and tracing is on.
    let r = bale(&srv, qy, &vi.id, "PX01", "100", None).await;
    assert_eq!(r["bale"]["traced"], false, "a delay bale: {r}");
    assert!(r["bale"]["card"].is_null(), "{r}");
    assert_eq!(r["state"]["pendingDelay"], 0);
    assert_eq!(r["state"]["tracing"], false);
    assert_eq!(queue(&r["state"]), q(&[(a, 0), (b, 0)]));
    let r = bale(&srv, qy, &vi.id, "PX02", "100", None).await;
    assert_eq!(r["bale"]["traced"], true, "{r}");
    assert_eq!(r["bale"]["card"]["cardNo"], a);
    assert_eq!(r["state"]["tracing"], true);

    // Tracing on: judged in order, prompts verbatim.
    let got = scan(&srv, qy, &vi.id, &[a, b, c, &unknown, &theirs, c]).await;
    assert_eq!(
        got,
        judged_all(&[(a, "IN_PROGRESS"), (b, "QUEUED"), (c, "QUEUED"), (&unknown, "NOT_FOUND"), (&theirs, "NOT_FOUND"), (c, "QUEUED")]),
        "head in progress, queued ones stay, new ones join the end, unknown and other enterprises' cards are not found"
    );
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(a, 0), (b, 0), (c, 0)]));

    // 21 cards: refused whole; 20: accepted.
    let many: Vec<&str> = std::iter::repeat_n(dd, 21).collect();
    let resp = scan_resp(&srv, qy, &vi.id, &many).await;
    assert_eq!(err_code(&resp), "VALIDATION", "21 cards on a VI line: {resp}");
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(a, 0), (b, 0), (c, 0)]), "a refused scan changes nothing");
    let twenty: Vec<&str> = std::iter::repeat_n(c, 20).collect();
    let got = scan(&srv, qy, &vi.id, &twenty).await;
    assert_eq!(got, vec![judged(c, "QUEUED"); 20], "20 cards are accepted");
    // A wrong check digit anywhere refuses the whole request.
    let resp = scan_resp(&srv, qy, &vi.id, &[dd, &wrong_check_digit(b)]).await;
    assert_eq!(err_code(&resp), "CARD_CHECKSUM", "{resp}");
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(a, 0), (b, 0), (c, 0)]), "D was not queued");

    // A reaches its target (100 + 250 ≥ 308) and finishes; B takes over.
    let r = bale(&srv, qy, &vi.id, "PX03", "250", None).await;
    assert_eq!(r["finishedCard"]["cardNo"], a, "{r}");
    assert_eq!(r["finishedCard"]["status"], "FINISHED");
    assert_eq!(dec(&r["finishedCard"]["processedLintKg"]), d("350"));
    assert_eq!(queue(&r["state"]), q(&[(b, 0), (c, 0)]));
    assert_eq!(scan(&srv, qy, &vi.id, &[a]).await, judged_all(&[(a, "FINISHED")]));
    // A finished card cannot be queued by entering a delay either.
    let resp = delay_resp(&srv, qy, &vi.id, a, 0).await;
    assert!(resp["errors"][0].is_object(), "a delay for a finished card is refused: {resp}");
    // Ending B and C by hand empties the queue; tracing stays on (last bale traced).
    end(&srv, qy, &vi.id).await;
    let st = end(&srv, qy, &vi.id).await;
    assert_eq!(st, json!({ "queue": [], "tracing": true, "pendingDelay": 0 }));
    assert_eq!(scan(&srv, qy, &vi.id, &[dd, dd]).await, judged_all(&[(dd, "STARTED"), (dd, "IN_PROGRESS")]));
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(dd, 0)]));
    for (no, status) in [(a, "FINISHED"), (b, "FINISHED"), (c, "FINISHED")] {
        assert_eq!(trace_card(&srv, qy, no).await["status"], status, "card {no}");
    }
}

async fn vi_line_refusals_by_model_enterprise_and_role(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let iv = create_line(&srv, qy, "四号线", "IV").await;
    let v = create_line(&srv, qy, "五号线", "V").await;
    let a = work_card(&srv, &m, qy, "R-A").await;
    set_verifier(&srv, qy).await;
    assert_eq!(scan(&srv, qy, &vi.id, &[&a]).await, judged_all(&[(&a, "NEED_DELAY")]));
    delay(&srv, qy, &vi.id, &a, 0).await;
    let before = line_state(&srv, qy, &vi.id).await;

    let now = rfc(Utc::now());
    let ops = |line: &str| -> Vec<(&'static str, String, Value)> {
        vec![
            ("scanCards", SCAN.to_string(), json!({ "l": line, "c": [a] })),
            ("enterDelayBales", delay_q(), json!({ "l": line, "c": a, "n": 1 })),
            ("recordBale", bale_q(), json!({ "l": line, "b": "RF01", "n": "200", "m": null, "t": now })),
            ("endCurrentCard", end_q(), json!({ "l": line })),
            ("reprocessCard", reprocess_q(), json!({ "l": line, "c": a, "u": VERIFIER, "p": VERIFIER_PW })),
        ]
    };
    // Online operations on IV/V lines: VALIDATION (they upload files).
    for line in [&iv, &v] {
        for (what, query, vars) in ops(&line.id) {
            let resp = srv.gql(Some(qy), &query, vars).await;
            assert_eq!(err_code(&resp), "VALIDATION", "{what} on a {} line: {resp}", line.model);
        }
        assert_eq!(line_state(&srv, qy, &line.id).await, json!({ "queue": [], "tracing": false, "pendingDelay": 0 }));
    }
    // Another enterprise's line: NOT_FOUND, as is a line that does not exist.
    for (what, query, vars) in ops(&vi.id).into_iter().chain(ops("999999")) {
        let resp = srv.gql(Some(&m.qy_b), &query, vars).await;
        assert_eq!(err_code(&resp), "NOT_FOUND", "{what} by another enterprise / on no line: {resp}");
    }
    assert_eq!(srv.code(Some(&m.qy_b), &line_state_q(), json!({ "l": vi.id })).await, "NOT_FOUND", "lineState of another enterprise's line");
    // Accounts that are not enterprises: FORBIDDEN.
    for (who, token) in [("admin", &m.t.admin), ("regiment", &m.t.tuan_a), ("company", &m.t.lian_a1), ("initiator", &m.initiator)] {
        for (what, query, vars) in ops(&vi.id) {
            let resp = srv.gql(Some(token), &query, vars).await;
            assert_eq!(err_code(&resp), "FORBIDDEN", "{what} by {who}: {resp}");
        }
        assert_eq!(srv.code(Some(token), &line_state_q(), json!({ "l": vi.id })).await, "FORBIDDEN", "lineState by {who}");
        let resp = srv.gql(Some(token), SET_VERIFIER, json!({ "u": "jiaoyan09", "p": VERIFIER_PW })).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "setVerificationAccount by {who}: {resp}");
        let resp = srv.gql(Some(token), CREATE_LINE, json!({ "n": "七号线", "m": "VI" })).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "createProductionLine by {who}: {resp}");
    }
    let resp = srv.gql(None, SCAN, json!({ "l": vi.id, "c": [a] })).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED", "{resp}");
    assert_eq!(line_state(&srv, qy, &vi.id).await, before, "no refused operation changed the line");
    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(card["status"], "PRINTED", "{card}");
    assert!(card["bales"].as_array().unwrap().is_empty());
}

fn rfc(t: chrono::DateTime<Utc>) -> String {
    crate::ginning::rfc3339(t)
}

async fn vi_bales_conditioned_weight_auto_finish_and_unit_lock(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    // Target 308.00 kg: net 800 × 38.5 %.
    let a = work_card(&srv, &m, qy, "W-A").await;
    let b = work_card(&srv, &m, qy, "W-B").await;
    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(dec(&card["targetLintKg"]), d("308"));
    assert_eq!(card["processableBales"], 2, "ceil(308 / 227)");
    assert_eq!(card["traceUnit"]["processing"], false);

    assert_eq!(scan(&srv, qy, &vi.id, &[&a]).await, judged_all(&[(&a, "NEED_DELAY")]));
    delay(&srv, qy, &vi.id, &a, 0).await;
    // Queued, no bale yet: the unit is not processing.
    let unit = unit_fixtures::unit_state(&srv, &m.t.admin, &m.uw).await;
    assert_eq!(unit["processing"], false, "{unit}");

    // 227 kg at 10 % moisture: 227 × (100 + 8.5) / (100 + 10) = 223.9045… → 223.90.
    let r = bale(&srv, qy, &vi.id, "W001", "227", Some("10")).await;
    assert_eq!(dec(&r["bale"]["netKg"]), d("227"));
    assert_eq!(dec(&r["bale"]["conditionedKg"]), d("223.90"), "{r}");
    assert_eq!(r["bale"]["traced"], true);
    assert_eq!(r["bale"]["card"]["cardNo"], a.as_str());
    assert!(r["finishedCard"].is_null(), "{r}");
    assert_eq!(r["state"]["tracing"], true);
    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(card["status"], "PROCESSING", "after its first bale: {card}");
    assert_eq!(dec(&card["processedLintKg"]), d("223.90"));
    assert_eq!(card["traceUnit"]["processing"], true);
    // Moisture unknown: Z = Z0 and R = R0, the conditioned weight is the net weight.
    let r = bale(&srv, qy, &vi.id, "W002", "80", None).await;
    assert_eq!(dec(&r["bale"]["conditionedKg"]), d("80"));
    assert_eq!(dec(&trace_card(&srv, qy, &a).await["processedLintKg"]), d("303.90"));
    // 4.10 kg at the standard 8.5 %: 303.90 + 4.10 = 308.00 = target → finished.
    let r = bale(&srv, qy, &vi.id, "W003", "4.10", Some("8.5")).await;
    assert_eq!(dec(&r["bale"]["conditionedKg"]), d("4.10"));
    assert_eq!(r["finishedCard"]["cardNo"], a.as_str(), "processed ≥ target finishes the card: {r}");
    assert_eq!(r["finishedCard"]["status"], "FINISHED");
    assert_eq!(dec(&r["finishedCard"]["processedLintKg"]), d("308.00"));
    assert_eq!(r["state"], json!({ "queue": [], "tracing": true, "pendingDelay": 0 }));
    // No card: not traced, tracing off. 201 × 108.5 / 100 = 218.085 → 218.09 (half away from zero).
    let r = bale(&srv, qy, &vi.id, "W004", "201", Some("0")).await;
    assert_eq!(r["bale"]["traced"], false, "{r}");
    assert!(r["bale"]["card"].is_null());
    assert_eq!(dec(&r["bale"]["conditionedKg"]), d("218.09"));
    assert_eq!(r["state"], json!({ "queue": [], "tracing": false, "pendingDelay": 0 }));

    // A barcode pressed before (traced or not): CONFLICT, nothing changes.
    let st = line_state(&srv, qy, &vi.id).await;
    for code in ["W002", "W004"] {
        let resp = bale_resp(&srv, qy, &vi.id, code, "100", None).await;
        assert_eq!(err_code(&resp), "CONFLICT", "duplicate barcode {code}: {resp}");
    }
    // Invalid bales: VALIDATION.
    for (what, code, net) in [("net 0", "W0X1", "0"), ("barcode with a symbol", "W-0X2", "100")] {
        let resp = bale_resp(&srv, qy, &vi.id, code, net, None).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{what}: {resp}");
    }
    assert_eq!(line_state(&srv, qy, &vi.id).await, st, "refused bales change nothing");
    assert_eq!(dec(&trace_card(&srv, qy, &a).await["processedLintKg"]), d("308.00"));

    // After an untraced bale a scan asks for the delay; B's delay bale passes, then B traces.
    assert_eq!(scan(&srv, qy, &vi.id, &[&b, &a]).await, judged_all(&[(&b, "NEED_DELAY"), (&a, "FINISHED")]));
    delay(&srv, qy, &vi.id, &b, 1).await;
    // 225.55 × 108.5 / 107.3 = 228.0724… → 228.07
    let r = bale(&srv, qy, &vi.id, "W005", "225.55", Some("7.3")).await;
    assert_eq!(r["bale"]["traced"], false);
    assert_eq!(dec(&r["bale"]["conditionedKg"]), d("228.07"));
    let r = bale(&srv, qy, &vi.id, "W006", "225.55", Some("7.3")).await;
    assert_eq!(r["bale"]["card"]["cardNo"], b.as_str());

    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(bale_codes(&card), ["W001", "W002", "W003"], "{card}");
    for (bl, kg) in card["bales"].as_array().unwrap().iter().zip(["223.90", "80", "4.10"]) {
        assert_eq!(bl["traced"], true);
        assert_eq!(bl["card"]["cardNo"], a.as_str());
        assert_eq!(dec(&bl["conditionedKg"]), d(kg), "{bl}");
    }
    assert_eq!(card["status"], "FINISHED");
    let card = trace_card(&srv, qy, &b).await;
    assert_eq!(bale_codes(&card), ["W006"]);
    assert_eq!(card["status"], "PROCESSING");
    assert_eq!(dec(&card["processedLintKg"]), d("228.07"));
    let usage = crate::ginning::card_usage(&srv, qy, SEASON).await;
    assert_eq!(usage, [0, 0, 1, 1], "cardUsage [printed, exported, processing, finished]");

    // The unit is processing: no modify, dissolve or revoke any more.
    let unit_before = unit_fixtures::unit_state(&srv, &m.t.admin, &m.uw).await;
    assert_eq!(unit_before["processing"], true);
    assert_eq!(unit_before["status"], "APPROVED");
    let resp = unit_fixtures::update_resp(&srv, &m.t.lian_a1, &m.uw, json!({ "name": "改名" })).await;
    assert_eq!(err_code(&resp), "UNIT_LOCKED", "update: {resp}");
    let resp = unit_fixtures::dissolve_resp(&srv, &m.t.lian_a1, &m.uw).await;
    assert_eq!(err_code(&resp), "UNIT_LOCKED", "dissolve: {resp}");
    let resp = unit_fixtures::revoke_resp(&srv, &m.t.tuan_a, &m.uw, "复核").await;
    assert_eq!(err_code(&resp), "UNIT_LOCKED", "revoke: {resp}");
    assert_eq!(unit_fixtures::unit_state(&srv, &m.t.admin, &m.uw).await, unit_before, "refusals leave the unit unchanged");
    // A unit that has not started processing can still have its review revoked.
    let resp = unit_fixtures::revoke_resp(&srv, &m.t.tuan_a, &m.u1, "复核").await;
    assert_eq!(data(&resp)["revokeReview"]["status"], "PENDING", "{resp}");
}

async fn end_and_reprocess_need_the_verification_account(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let a = work_card(&srv, &m, qy, "E-A").await;
    let b = work_card(&srv, &m, qy, "E-B").await;

    let resp = end_resp(&srv, qy, &vi.id).await;
    assert_eq!(err_code(&resp), "VALIDATION", "end with an empty queue: {resp}");
    scan(&srv, qy, &vi.id, &[&a, &b]).await;
    delay(&srv, qy, &vi.id, &a, 0).await;
    delay(&srv, qy, &vi.id, &b, 0).await;
    bale(&srv, qy, &vi.id, "E001", "100", None).await;
    let st = end(&srv, qy, &vi.id).await;
    assert_eq!(queue(&st), q(&[(&b, 0)]), "结束 ends the head card");
    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(card["status"], "FINISHED", "{card}");
    assert_eq!(dec(&card["processedLintKg"]), d("100"));
    assert_eq!(scan(&srv, qy, &vi.id, &[&a]).await, judged_all(&[(&a, "FINISHED")]));

    // No verification account yet.
    let resp = reprocess_resp(&srv, qy, &vi.id, &a, VERIFIER, VERIFIER_PW).await;
    assert_eq!(err_code(&resp), "VALIDATION", "reprocess without a verification account: {resp}");
    set_verifier(&srv, qy).await;
    // Another enterprise's verification account does not count.
    let d2 = srv.ok(Some(&m.qy_b), SET_VERIFIER, json!({ "u": "jiaoyan02", "p": "Other#2026" })).await;
    assert_eq!(d2["setVerificationAccount"], true);
    for (what, user, pw) in [
        ("wrong password", VERIFIER, "Wrong#2026"),
        ("wrong account", "jiaoyan03", VERIFIER_PW),
        ("another enterprise's account", "jiaoyan02", "Other#2026"),
        ("the enterprise's login instead", "qy_a", PW),
    ] {
        let resp = reprocess_resp(&srv, qy, &vi.id, &a, user, pw).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "{what}: {resp}");
    }
    assert_eq!(queue(&line_state(&srv, qy, &vi.id).await), q(&[(&b, 0)]), "refused reprocess changes nothing");
    assert_eq!(trace_card(&srv, qy, &a).await["status"], "FINISHED");
    // An unfinished card is not reprocessed.
    let resp = reprocess_resp(&srv, qy, &vi.id, &b, VERIFIER, VERIFIER_PW).await;
    assert_eq!(err_code(&resp), "VALIDATION", "reprocess an unfinished card: {resp}");

    // The right account: A is PROCESSING again, at the end of the queue.
    let resp = reprocess_resp(&srv, qy, &vi.id, &a, VERIFIER, VERIFIER_PW).await;
    let st = data(&resp)["reprocessCard"].clone();
    assert_eq!(queue(&st), q(&[(&b, 0), (&a, 0)]), "{st}");
    assert_eq!(trace_card(&srv, qy, &a).await["status"], "PROCESSING");
    assert_eq!(scan(&srv, qy, &vi.id, &[&a]).await, judged_all(&[(&a, "QUEUED")]), "no longer finished");
    // The verification account can be changed; the old password no longer works.
    srv.ok(Some(qy), SET_VERIFIER, json!({ "u": VERIFIER, "p": "Changed#2026" })).await;

    // B takes a bale and is ended; A continues from 100 kg and finishes at ≥ 308.
    let r = bale(&srv, qy, &vi.id, "E002", "50", None).await;
    assert_eq!(r["bale"]["card"]["cardNo"], b.as_str());
    end(&srv, qy, &vi.id).await;
    let r = bale(&srv, qy, &vi.id, "E003", "250", None).await;
    assert_eq!(r["bale"]["card"]["cardNo"], a.as_str());
    assert_eq!(r["finishedCard"]["cardNo"], a.as_str(), "100 + 250 ≥ 308: {r}");
    assert_eq!(dec(&r["finishedCard"]["processedLintKg"]), d("350"));
    let card = trace_card(&srv, qy, &a).await;
    assert_eq!(bale_codes(&card), ["E001", "E003"]);
    assert_eq!(card["status"], "FINISHED");
    // B was ended by hand: re-processable, with the new password only. A reached
    // its target: never again, even with the right account (issue 15).
    let resp = reprocess_resp(&srv, qy, &vi.id, &b, VERIFIER, VERIFIER_PW).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "the old verification password: {resp}");
    let resp = reprocess_resp(&srv, qy, &vi.id, &a, VERIFIER, "Changed#2026").await;
    assert_eq!(err_code(&resp), "VALIDATION", "a card finished at its target: {resp}");
    let resp = reprocess_resp(&srv, qy, &vi.id, &b, VERIFIER, "Changed#2026").await;
    assert_eq!(queue(&data(&resp)["reprocessCard"]), q(&[(&b, 0)]));
}

const EVENTS_SUB: &str = "subscription { events(topics: [BALE_LINKED, CARD_FINISHED]) { topic regionId enterpriseId unitId cardNo baleBarcode } }";

fn assert_event(ev: &Value, topic: &str, region: &str, enterprise: &str, unit: &str, card: &str, bale: Option<&str>, what: &str) {
    assert_eq!(ev["topic"], topic, "{what}: {ev}");
    assert_eq!(ev["regionId"], region, "{what}: regionId: {ev}");
    assert_eq!(ev["enterpriseId"], enterprise, "{what}: enterpriseId: {ev}");
    assert_eq!(ev["unitId"], unit, "{what}: unitId: {ev}");
    assert_eq!(ev["cardNo"], card, "{what}: cardNo: {ev}");
    if let Some(b) = bale {
        assert_eq!(ev["baleBarcode"], b, "{what}: baleBarcode: {ev}");
    }
}

async fn processing_events_reach_enterprise_and_regiment_only(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let a = work_card(&srv, &m, qy, "V-A").await;
    // A card of regiment B's unit, processed by enterprise A.
    let cb = card_of(&srv, qy, &ticket(&m, "V-B", 8, "B1-08-1", "1000", "200")).await;
    let proto = WsProto::TransportWs;
    let mut sub_qy = srv.subscribe(proto, qy, EVENTS_SUB, json!({})).await;
    let mut sub_ra = srv.subscribe(proto, &m.t.tuan_a, EVENTS_SUB, json!({})).await;
    let mut sub_qb = srv.subscribe(proto, &m.qy_b, EVENTS_SUB, json!({})).await;
    let mut sub_rb = srv.subscribe(proto, &m.t.tuan_b, EVENTS_SUB, json!({})).await;

    let (ea, ra, rb) = (m.t.enterprise_a.as_str(), m.t.regiment_a.as_str(), m.t.regiment_b.as_str());
    scan(&srv, qy, &vi.id, &[&a]).await;
    delay(&srv, qy, &vi.id, &a, 1).await;
    bale(&srv, qy, &vi.id, "V000", "200", None).await; // delay bale: no event
    bale(&srv, qy, &vi.id, "V001", "200", None).await;
    bale(&srv, qy, &vi.id, "V002", "200", None).await; // 400 ≥ 308: A finishes
    for (who, sub) in [("enterprise A", &mut sub_qy), ("regiment A", &mut sub_ra)] {
        assert_event(&sub.next_event().await, "BALE_LINKED", ra, ea, &m.uw, &a, Some("V001"), who);
        assert_event(&sub.next_event().await, "BALE_LINKED", ra, ea, &m.uw, &a, Some("V002"), who);
        assert_event(&sub.next_event().await, "CARD_FINISHED", ra, ea, &m.uw, &a, None, who);
    }
    assert_eq!(scan(&srv, qy, &vi.id, &[&cb]).await, judged_all(&[(&cb, "STARTED")]));
    bale(&srv, qy, &vi.id, "V003", "200", None).await;
    let ev = sub_rb.next_event().await;
    assert_event(&ev, "BALE_LINKED", rb, ea, &m.ub, &cb, Some("V003"), "regiment B: its first event is its own unit's");
    assert_event(&sub_qy.next_event().await, "BALE_LINKED", rb, ea, &m.ub, &cb, Some("V003"), "enterprise A");
    let extra = sub_ra.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "regiment A must not receive regiment B's bale: {extra:?}");
    let extra = sub_qb.any_event_within(Duration::from_millis(500)).await;
    assert!(extra.is_none(), "another enterprise receives nothing: {extra:?}");
    for sub in [sub_qy, sub_ra, sub_qb, sub_rb] {
        sub.close().await;
    }
}

/// A shift with everything the state machine knows: scans at line start (delay
/// prompts), delay bales, automatic finish, a queued scan and a finished scan,
/// a manual end, a reprocess, a finish after reprocess and a bale without card.
/// Cards: target 308 kg each.
fn shift() -> Vec<Op> {
    vec![
        Op::Scan(vec![0, 1]),           // NEED_DELAY, NEED_DELAY
        Op::Delay(0, 1),
        Op::Delay(1, 1),
        Op::Bale("01", "160", None),    // c0's delay bale: untraced
        Op::Bale("02", "160", None),    // c0 160
        Op::Bale("03", "160", None),    // c0 320 ≥ 308: finished; c1 heads
        Op::Bale("04", "160", None),    // c1's delay bale: untraced
        Op::Bale("05", "160", Some("9.5")), // c1 160 × 108.5 / 109.5 = 158.54
        Op::Scan(vec![2, 0]),           // QUEUED, FINISHED
        Op::End(1),                     // c1 ended by hand; c2 heads
        Op::Bale("06", "227", Some("10")), // c2 223.90
        Op::Reprocess(1),               // c1 back, at the queue end
        Op::Bale("07", "100", None),    // c2 323.90: finished; c1 heads
        Op::Bale("08", "160", None),    // c1 318.54: finished
        Op::Bale("09", "150", None),    // no card: untraced
    ]
}

/// What a line did with a shift: per card (processed kg, status, bale suffixes
/// with their conditioned kg), and each bale's card index (None = untraced).
async fn outcome(srv: &TestServer, token: &str, cards: &[String], prefix: &str, n_bales: usize) -> (Vec<(rust_decimal::Decimal, String, Vec<(String, rust_decimal::Decimal)>)>, Vec<Option<usize>>) {
    let mut per_card = Vec::new();
    let mut links = vec![None; n_bales];
    for (i, no) in cards.iter().enumerate() {
        let c = trace_card(srv, token, no).await;
        let mut bales = Vec::new();
        for b in c["bales"].as_array().unwrap() {
            let code = s(&b["barcode"]);
            let sfx = code.strip_prefix(prefix).unwrap_or_else(|| panic!("bale {code} has prefix {prefix}")).to_string();
            let k: usize = sfx.parse::<usize>().unwrap() - 1;
            assert!(links[k].is_none(), "bale {code} on two cards");
            links[k] = Some(i);
            assert_eq!(b["traced"], true);
            bales.push((sfx, dec(&b["conditionedKg"])));
        }
        per_card.push((dec(&c["processedLintKg"]), s(&c["status"]), bales));
    }
    (per_card, links)
}

async fn uploaded_iv_and_v_files_link_like_the_online_vi_line(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let registry = PluginRegistry::load_dir(plugins_dir());
    set_verifier(&srv, qy).await;
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let v = create_line(&srv, qy, "五号线", "V").await;
    let iv = create_line(&srv, qy, "四号线", "IV").await;
    let mut cards = std::collections::HashMap::new();
    for line in ["VI", "V", "IV"] {
        let mut cs = Vec::new();
        for i in 0..3 {
            cs.push(work_card(&srv, &m, qy, &format!("S-{line}-{i}")).await);
        }
        cards.insert(line, cs);
    }
    let ops = shift();
    let n_bales = ops.iter().filter(|o| matches!(o, Op::Bale(..))).count();

    // Online on the VI line.
    run_online(&srv, qy, &vi.id, &cards["VI"], "A6", &ops).await;
    let (vi_cards, vi_links) = outcome(&srv, qy, &cards["VI"], "A6", n_bales).await;
    assert_eq!(
        vi_links,
        [None, Some(0), Some(0), None, Some(1), Some(2), Some(2), Some(1), None],
        "the VI line's links (bale → card index)"
    );
    let kg = |v: &str| d(v);
    assert_eq!(
        vi_cards.iter().map(|c| (c.0, c.1.as_str())).collect::<Vec<_>>(),
        [(kg("320"), "FINISHED"), (kg("318.54"), "FINISHED"), (kg("323.90"), "FINISHED")],
        "the VI line's cards"
    );
    let vi_state = line_state(&srv, qy, &vi.id).await;
    assert_eq!(vi_state, json!({ "queue": [], "tracing": false, "pendingDelay": 0 }));

    for (line, prefix) in [(&v, "A5"), (&iv, "A4")] {
        let model = line.model.as_str();
        let cs = &cards[model];
        let recs = records(cs, prefix, &ops, Utc::now() - chrono::Duration::hours(2));
        let n = recs.len() as i64;
        let good = upload_file(&registry, model, &line.line_ref, &line.device_key, recs.clone());

        // Refused files change nothing.
        let other_key = if model == "V" { &iv.device_key } else { &v.device_key };
        let forged = upload_file(&registry, model, &line.line_ref, other_key, recs.clone());
        let resp = upload_resp(&srv, qy, &line.id, forged).await;
        assert_eq!(err_code(&resp), "BAD_FILE", "{model}: a file signed with another line's key: {resp}");
        let needle = format!("{prefix}06");
        let pos = good
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .map(|p| p + needle.len() - 1)
            .unwrap_or(good.len() / 2);
        let mut altered = good.clone();
        altered[pos] = if altered[pos] == b'9' { b'8' } else { b'9' };
        let resp = upload_resp(&srv, qy, &line.id, altered).await;
        assert_eq!(err_code(&resp), "BAD_FILE", "{model}: a file altered by one byte: {resp}");
        let resp = upload_resp(&srv, qy, &vi.id, good.clone()).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{model} file uploaded for a VI line: {resp}");
        let resp = upload_resp(&srv, &m.qy_b, &line.id, good.clone()).await;
        assert_eq!(err_code(&resp), "NOT_FOUND", "{model}: another enterprise uploads to this line: {resp}");
        let resp = upload_resp(&srv, &m.t.tuan_a, &line.id, good.clone()).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "{model}: a regiment uploads: {resp}");
        assert_eq!(line_state(&srv, qy, &line.id).await, json!({ "queue": [], "tracing": false, "pendingDelay": 0 }));
        for no in cs {
            let c = trace_card(&srv, qy, no).await;
            assert_eq!(c["status"], "PRINTED", "{model}: refused uploads leave card {no} untouched: {c}");
            assert!(c["bales"].as_array().unwrap().is_empty());
        }

        // The good file: every record accepted; the same links as online.
        let resp = upload_resp(&srv, qy, &line.id, good.clone()).await;
        let rep = data(&resp)["uploadProcessingFile"].clone();
        assert_eq!(rep, json!({ "accepted": n, "duplicates": 0, "rejected": 0, "errors": [] }), "{model}: first upload");
        let (got_cards, got_links) = outcome(&srv, qy, cs, prefix, n_bales).await;
        assert_eq!(got_links, vi_links, "{model}: the same bale → card links as the VI line");
        assert_eq!(got_cards, vi_cards, "{model}: the same card weights, statuses and bales as the VI line");
        assert_eq!(line_state(&srv, qy, &line.id).await, vi_state, "{model}: the same line state");
        let unit = unit_fixtures::unit_state(&srv, &m.t.admin, &m.uw).await;
        assert_eq!(unit["processing"], true);
        // The untraced bales were recorded too: their barcodes are taken.
        for sfx in ["01", "04", "09"] {
            let resp = bale_resp(&srv, qy, &vi.id, &format!("{prefix}{sfx}"), "100", None).await;
            assert_eq!(err_code(&resp), "CONFLICT", "{model}: untraced bale {prefix}{sfx} is known: {resp}");
        }

        // Re-upload: all duplicates, nothing changes.
        let resp = upload_resp(&srv, qy, &line.id, good.clone()).await;
        let rep = data(&resp)["uploadProcessingFile"].clone();
        assert_eq!(rep, json!({ "accepted": 0, "duplicates": n, "rejected": 0, "errors": [] }), "{model}: re-upload");
        assert_eq!(outcome(&srv, qy, cs, prefix, n_bales).await, (got_cards.clone(), got_links.clone()), "{model}: re-upload changes nothing");
        assert_eq!(line_state(&srv, qy, &line.id).await, vi_state);

        // The device's next file holds the old records and one new bale: only that one is applied.
        let mut more = ops.clone();
        more.push(Op::Bale("10", "120", None));
        let recs = records(cs, prefix, &more, Utc::now() - chrono::Duration::hours(2));
        let next = upload_file(&registry, model, &line.line_ref, &line.device_key, recs);
        let resp = upload_resp(&srv, qy, &line.id, next).await;
        let rep = data(&resp)["uploadProcessingFile"].clone();
        assert_eq!(rep, json!({ "accepted": 1, "duplicates": n, "rejected": 0, "errors": [] }), "{model}: a longer file");
        let resp = bale_resp(&srv, qy, &vi.id, &format!("{prefix}10"), "100", None).await;
        assert_eq!(err_code(&resp), "CONFLICT", "{model}: the new bale was recorded: {resp}");
        assert_eq!(outcome(&srv, qy, cs, prefix, n_bales + 1).await.0, got_cards, "the new bale has no card");

        // A file whose writes are deferred to one multi-row INSERT still refuses, record
        // by record, a barcode pressed before (in the database) and one repeated in the
        // same file; the other records are applied and a re-upload skips them all.
        let mut dup = more.clone();
        dup.extend([Op::Bale("10", "120", None), Op::Bale("11", "120", None), Op::Bale("11", "120", None), Op::Bale("12", "120", None)]);
        let recs = records(cs, prefix, &dup, Utc::now() - chrono::Duration::hours(2));
        let file = upload_file(&registry, model, &line.line_ref, &line.device_key, recs);
        let resp = upload_resp(&srv, qy, &line.id, file.clone()).await;
        let rep = data(&resp)["uploadProcessingFile"].clone();
        assert_eq!((rep["accepted"].clone(), rep["duplicates"].clone(), rep["rejected"].clone()), (json!(2), json!(n + 1), json!(2)), "{model}: {rep}");
        let errors = rep["errors"].as_array().unwrap();
        assert!(errors.iter().all(|e| e.as_str().unwrap().contains("已经记录过")), "{model}: {rep}");
        assert!(errors[0].as_str().unwrap().contains(&format!("{prefix}10")) && errors[1].as_str().unwrap().contains(&format!("{prefix}11")), "{model}: {rep}");
        for sfx in ["11", "12"] {
            let resp = bale_resp(&srv, qy, &vi.id, &format!("{prefix}{sfx}"), "100", None).await;
            assert_eq!(err_code(&resp), "CONFLICT", "{model}: bale {prefix}{sfx} of the file was recorded: {resp}");
        }
        let resp = upload_resp(&srv, qy, &line.id, file).await;
        let rep = data(&resp)["uploadProcessingFile"].clone();
        assert_eq!((rep["accepted"].clone(), rep["rejected"].clone()), (json!(0), json!(0)), "{model}: re-upload of it: {rep}");
    }
}

/// The most common start of a shift: the operator answers the delay prompt with 0
/// (no bale of the previous lot left in the press). Online that is
/// `enterDelayBales(count: 0)`; an IV/V device must be able to record the same
/// answer in its upload file, and the platform must link the bales alike.
async fn uploaded_file_with_zero_delay_links_like_the_online_vi_line(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();
    let registry = PluginRegistry::load_dir(plugins_dir());
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let v = create_line(&srv, qy, "五号线", "V").await;
    let vi_cards = vec![work_card(&srv, &m, qy, "Z-VI-0").await, work_card(&srv, &m, qy, "Z-VI-1").await];
    let v_cards = vec![work_card(&srv, &m, qy, "Z-V-0").await, work_card(&srv, &m, qy, "Z-V-1").await];
    let ops = vec![
        Op::Scan(vec![0]),            // NEED_DELAY
        Op::Delay(0, 0),              // "0": c0 starts at once
        Op::Bale("01", "160", None),  // c0 160
        Op::Scan(vec![1]),            // QUEUED
        Op::Bale("02", "160", None),  // c0 320: finished; c1 heads
        Op::Bale("03", "160", None),  // c1 160
    ];
    run_online(&srv, qy, &vi.id, &vi_cards, "Z6", &ops).await;
    let (vi_out, vi_links) = outcome(&srv, qy, &vi_cards, "Z6", 3).await;
    assert_eq!(vi_links, [Some(0), Some(0), Some(1)], "online: every bale traced");

    let upload = cotton_plugin_host::abi::wire::RecordUpload {
        line_id: v.line_ref.clone(),
        model: model_of("V"),
        device_id: "SN-2026-002".into(),
        written_at: Utc::now(),
        records: records(&v_cards, "Z5", &ops, Utc::now() - chrono::Duration::hours(1)),
    };
    let key = cotton_plugin_host::signing::signing_key_from_base64(&v.device_key).unwrap();
    let file = registry.require_collector(model_of("V")).unwrap().upload_file(&upload, &key).unwrap_or_else(|e| {
        panic!("a V device cannot write the operator's delay answer 0 (DELAY_ENTERED count 0) into its upload file: {e:?}")
    });
    let resp = upload_resp(&srv, qy, &v.id, file.bytes).await;
    let rep = data(&resp)["uploadProcessingFile"].clone();
    assert_eq!(rep, json!({ "accepted": ops.len(), "duplicates": 0, "rejected": 0, "errors": [] }), "{rep}");
    let (v_out, v_links) = outcome(&srv, qy, &v_cards, "Z5", 3).await;
    assert_eq!(v_links, vi_links, "the same links as online");
    assert_eq!(v_out, vi_out);
}

/// A VI line of enterprise A with one big card A (target 3850 kg: net 10 000 × 38.5 %) at its head.
async fn line_with_big_card(backend: Backend) -> (TestServer, String, Line, String) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a().to_string();
    let vi = create_line(&srv, &qy, "六号线", "VI").await;
    let a = card_of(&srv, &qy, &ticket(&m, "C-A", 7, "A1-07-1", "10000", "0")).await;
    scan(&srv, &qy, &vi.id, &[&a]).await;
    delay(&srv, &qy, &vi.id, &a, 0).await;
    (srv, qy, vi, a)
}

async fn racing_bales_on_one_line_are_all_recorded(backend: Backend) {
    let (srv, qy, vi, a) = line_with_big_card(backend).await;
    // Six bales at once on one line: all recorded, all on A, weights add up.
    let nets = ["101", "102", "103", "104", "105", "106"];
    let futs = nets.iter().enumerate().map(|(i, net)| {
        let (srv, qy, line) = (&srv, qy.as_str(), vi.id.as_str());
        async move { bale_resp(srv, qy, line, &format!("CC{i:02}"), net, None).await }
    });
    let results = futures_util::future::join_all(futs).await;
    for (i, resp) in results.iter().enumerate() {
        assert!(
            resp["errors"].is_null(),
            "racing bale CC{i:02} (a new barcode) was refused; the loser of a race must retry on the fresh line state: {resp}"
        );
        assert_eq!(resp["data"]["recordBale"]["bale"]["card"]["cardNo"], a.as_str(), "{resp}");
    }
    let card = trace_card(&srv, &qy, &a).await;
    let mut codes = bale_codes(&card);
    codes.sort();
    assert_eq!(codes, ["CC00", "CC01", "CC02", "CC03", "CC04", "CC05"]);
    assert_eq!(dec(&card["processedLintKg"]), d("621"), "101 + … + 106");
}

async fn racing_duplicate_barcodes_record_one(backend: Backend) {
    let (srv, qy, vi, a) = line_with_big_card(backend).await;
    // The same barcode twice at once: one is recorded, the other is a CONFLICT.
    let futs = (0..2).map(|_| {
        let (srv, qy, line) = (&srv, qy.as_str(), vi.id.as_str());
        async move { bale_resp(srv, qy, line, "CCDUP", "100", None).await }
    });
    let results = futures_util::future::join_all(futs).await;
    let ok = results.iter().filter(|r| r["errors"].is_null()).count();
    assert_eq!(ok, 1, "exactly one of two racing duplicates is recorded: {results:?}");
    let refused = results.iter().find(|r| !r["errors"].is_null()).unwrap();
    assert_eq!(err_code(refused), "CONFLICT", "the loser: {refused}");
    let card = trace_card(&srv, &qy, &a).await;
    assert_eq!(bale_codes(&card), ["CCDUP"]);
    assert_eq!(dec(&card["processedLintKg"]), d("100"));
}

/// Bales of three lines at once (issue 19 tried them in group commit; kept as a
/// guard for any batching): each lands on its own line's card, the weights add
/// up per card, and a bale whose barcode is taken is refused alone.
async fn bales_of_several_lines_at_once_are_each_recorded(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a().to_string();
    let mut lines = Vec::new();
    for (i, name) in ["一号线", "二号线", "三号线"].iter().enumerate() {
        let vi = create_line(&srv, &qy, name, "VI").await;
        let card = card_of(&srv, &qy, &ticket(&m, &format!("GL-{i}"), 7, "A1-07-1", "10000", "0")).await;
        scan(&srv, &qy, &vi.id, &[&card]).await;
        delay(&srv, &qy, &vi.id, &card, 0).await;
        lines.push((vi, card));
    }
    let taken = bale_resp(&srv, &qy, &lines[0].0.id, "GLTAKEN", "100", None).await;
    assert!(taken["errors"].is_null(), "{taken}");

    let mut calls: Vec<(usize, String, &str)> = Vec::new();
    for k in 0..4 {
        for l in 0..3 {
            calls.push((l, format!("GL{l}{k}"), ["101", "102", "103", "104"][k]));
        }
    }
    calls.push((2, "GLTAKEN".into(), "100"));
    let futs = calls.iter().map(|(l, code, net)| {
        let (srv, qy, line) = (&srv, qy.as_str(), lines[*l].0.id.clone());
        async move { bale_resp(srv, qy, &line, code, net, None).await }
    });
    let results = futures_util::future::join_all(futs).await;
    for ((l, code, _), resp) in calls.iter().zip(&results) {
        if code == "GLTAKEN" {
            assert!(!resp["errors"].is_null(), "a barcode already recorded is refused: {resp}");
        } else {
            assert!(resp["errors"].is_null(), "bale {code}: {resp}");
            assert_eq!(resp["data"]["recordBale"]["bale"]["card"]["cardNo"], lines[*l].1.as_str(), "bale {code} on its own line's card: {resp}");
        }
    }
    for (l, (_, card)) in lines.iter().enumerate() {
        let c = trace_card(&srv, &qy, card).await;
        let mut codes = bale_codes(&c);
        codes.sort();
        let mut want: Vec<String> = (0..4).map(|k| format!("GL{l}{k}")).collect();
        if l == 0 {
            want.insert(0, "GLTAKEN".into());
        }
        want.sort();
        assert_eq!(codes, want, "line {l}");
        let kg = if l == 0 { d("510") } else { d("410") };
        assert_eq!(dec(&c["processedLintKg"]), kg, "line {l}: 101 + 102 + 103 + 104 (+ 100 on line 0)");
    }
}
