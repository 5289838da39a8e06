//! Trace units (rules §4, §5): creating (kinds, who, region, area minimum, one live
//! unit per plot), the lifecycle (update, dissolve, review, revoke) and who may do
//! what; reading (`traceUnit`, `traceUnits`). Every refusal leaves the data unchanged.

use serde_json::{Value, json};

use crate::harness::*;
use crate::unit_fixtures::*;

both_backends!(
    company_creates_company_unit,
    company_create_refusals,
    initiator_creates_free_and_cooperative,
    area_minimum_follows_season_rules,
    plot_in_one_live_unit_only,
    update_rules,
    initiator_unit_managed_by_its_creator_only,
    company_has_no_rights_over_its_initiators_units,
    dissolve_rules,
    review_and_revoke_matrix,
    trace_unit_visibility,
    trace_units_scopes_filters_paging,
);

fn code_of(resp: &Value) -> String {
    err_code(resp)
}

async fn admin_total(srv: &TestServer, admin: &str) -> i64 {
    units_conn(srv, admin, json!({})).await["totalCount"].as_i64().unwrap()
}

/// Plot code → the id of its live unit (None when free), for the given plots.
async fn plot_units(srv: &TestServer, admin: &str, company: &str) -> std::collections::BTreeMap<String, Option<String>> {
    plots(srv, admin, company, SEASON)
        .await
        .into_iter()
        .map(|(code, p)| (code, p["traceUnit"]["id"].as_str().map(str::to_string)))
        .collect()
}

fn assert_code_format(unit: &Value) {
    let code = s(&unit["code"]);
    let ok = code.len() == 13
        && code.starts_with("TU2026-")
        && code[7..].chars().all(|c| c.is_ascii_digit());
    assert!(ok, "unit code like TU2026-000001, got {code:?}");
}

async fn company_creates_company_unit(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    // Exactly the 500 mu minimum: growers 1 (A1-01, A1-02), 2 (A1-03, A1-04), 3 (A1-05).
    let u = create_unit(&srv, &t.lian_a1, "COMPANY", "一连第一追溯单元", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    assert_code_format(&u);
    assert_eq!(u["status"], "PENDING", "{u}");
    assert_eq!(u["kind"], "COMPANY");
    assert_eq!(u["name"], "一连第一追溯单元");
    assert_eq!(u["season"], SEASON);
    assert_eq!(u["processing"], false);
    assert!(u["legalPerson"].is_null());
    assert_eq!(u["region"]["id"], t.company_a1.as_str(), "region defaults to the company: {u}");
    assert_eq!(dec(&u["totalAreaMu"]), d("500"));
    let members = u["members"].as_array().unwrap();
    let mut summary: Vec<(String, Vec<String>, rust_decimal::Decimal)> = members
        .iter()
        .map(|m| {
            (
                s(&m["grower"]["name"]),
                m["plots"].as_array().unwrap().iter().map(|p| s(&p["code"])).collect(),
                dec(&m["areaMu"]),
            )
        })
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        vec![
            ("种植者1".into(), vec!["A1-01".into(), "A1-02".into()], d("200")),
            ("种植者2".into(), vec!["A1-03".into(), "A1-04".into()], d("200")),
            ("种植者3".into(), vec!["A1-05".into()], d("100")),
        ],
        "members grouped by grower: {u}"
    );
    for m in members {
        let n: u32 = s(&m["grower"]["name"]).trim_start_matches("种植者").parse().unwrap();
        assert_eq!(m["grower"]["idNumberMasked"], masked(&id_number(n)), "masked for the company: {m}");
    }
    let reviews = u["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "one review record: {u}");
    assert_eq!(reviews[0]["action"], "SUBMIT");
    assert!(reviews[0]["reason"].is_null());
    assert_eq!(reviews[0]["by"]["username"], "lian_a1");
    chrono::DateTime::parse_from_rfc3339(reviews[0]["at"].as_str().unwrap()).expect("review `at` is RFC 3339");

    // Plot.traceUnit: the five plots are in the unit, the others free.
    let held = plot_units(&srv, &t.admin, &t.company_a1).await;
    for (code, unit) in &held {
        let inside = ["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"].contains(&code.as_str());
        assert_eq!(unit.as_deref(), if inside { u["id"].as_str() } else { None }, "Plot.traceUnit of {code}");
    }
    // Read back as the admin: the same unit.
    assert_eq!(unit_state(&srv, &t.admin, &s(&u["id"])).await, u, "traceUnit == the created unit");

    // Another company: region is that company; codes differ.
    let u2 = create_unit(&srv, &w.lian_a2, "COMPANY", "二连第一追溯单元", &w.ids(&["A2-01", "A2-02", "A2-03", "A2-04", "A2-05"])).await;
    assert_eq!(u2["region"]["id"], w.company_a2.as_str());
    assert_code_format(&u2);
    assert_ne!(u2["code"], u["code"]);
    assert_eq!(admin_total(&srv, &t.admin).await, 2);
}

async fn company_create_refusals(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let five = w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"]);
    let held = create_unit(&srv, &t.lian_a1, "COMPANY", "已有单元", &w.ids(&["A1-08", "A1-09", "A1-10", "A1-11", "A1-12"])).await;
    let held_before = unit_state(&srv, &t.admin, &s(&held["id"])).await;
    let plots_before = plot_units(&srv, &t.admin, &t.company_a1).await;

    let mut coop = create_input("COOPERATIVE", "合作社", &five);
    coop["legalPerson"] = legal_person();
    let mut with_lp = create_input("COMPANY", "带法人的连队组团", &five);
    with_lp["legalPerson"] = legal_person();
    let mut a2_and_a1 = five[..4].to_vec();
    a2_and_a1.push(w.plot["A2-01"].clone());
    let mut old_season = w.ids(&["A1-04", "A1-05", "A1-06", "A1-07"]);
    old_season.push(w.plot["A1-2025-01"].clone());
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("company creates FREE", &t.lian_a1, create_input("FREE", "自由", &five), "FORBIDDEN"),
        ("company creates COOPERATIVE", &t.lian_a1, coop, "FORBIDDEN"),
        ("company uses another company's plots (same regiment)", &t.lian_a1, create_input("COMPANY", "x", &w.ids(&["A2-01", "A2-02", "A2-03", "A2-04", "A2-05"])), "FORBIDDEN"),
        ("company mixes in another company's plot", &t.lian_a1, create_input("COMPANY", "x", &a2_and_a1), "FORBIDDEN"),
        ("company uses another regiment's plots", &t.lian_a1, create_input("COMPANY", "x", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])), "FORBIDDEN"),
        ("regiment creates", &t.tuan_a, create_input("COMPANY", "x", &five), "FORBIDDEN"),
        ("admin creates", &t.admin, create_input("COMPANY", "x", &five), "FORBIDDEN"),
        ("enterprise creates", &t.qy_a, create_input("COMPANY", "x", &five), "FORBIDDEN"),
        ("legal person on a COMPANY unit", &t.lian_a1, with_lp, "VALIDATION"),
        ("400 mu", &t.lian_a1, create_input("COMPANY", "x", &five[..4]), "AREA_TOO_SMALL"),
        ("a plot of season 2025", &t.lian_a1, create_input("COMPANY", "x", &old_season), "VALIDATION"),
        ("a plot in a live unit", &t.lian_a1, create_input("COMPANY", "x", &w.ids(&["A1-04", "A1-05", "A1-06", "A1-07", "A1-08"])), "PLOT_TAKEN"),
    ];
    for (what, token, input, want) in cases {
        let resp = create_unit_resp(&srv, token, input).await;
        assert_eq!(code_of(&resp), want, "{what}: {resp}");
        if want == "AREA_TOO_SMALL" {
            let m = err_msg(&resp);
            assert!(m.contains("400") && m.contains("500"), "{what}: the message states current and required area: {m}");
        }
        if want == "PLOT_TAKEN" {
            let m = err_msg(&resp);
            assert!(m.contains("A1-08"), "{what}: the message names the plot: {m}");
            assert!(m.contains(held["code"].as_str().unwrap()), "{what}: the message names the unit holding it: {m}");
        }
    }
    let resp = srv.gql(None, &create_q(), json!({ "i": create_input("COMPANY", "x", &five) })).await;
    assert_eq!(code_of(&resp), "UNAUTHENTICATED");

    assert_eq!(admin_total(&srv, &t.admin).await, 1, "refused creates create no unit");
    assert_eq!(plot_units(&srv, &t.admin, &t.company_a1).await, plots_before, "refused creates claim no plot");
    assert_eq!(unit_state(&srv, &t.admin, &s(&held["id"])).await, held_before, "the holding unit is unchanged");
    // And the five free plots are still usable.
    create_unit(&srv, &t.lian_a1, "COMPANY", "第二单元", &five).await;
}

async fn initiator_creates_free_and_cooperative(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_r = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init_c = srv.register_initiator("13800000002", &w.company_a2).await;
    let init_b = srv.register_initiator("13800000003", &t.regiment_b).await;

    // FREE across two companies of the regiment; region = the initiator's regiment.
    let free = create_unit(&srv, &init_r, "FREE", "自由组团一号", &w.ids(&["A1-01", "A1-02", "A2-01", "A2-02", "A2-03"])).await;
    assert_eq!(free["kind"], "FREE");
    assert_eq!(free["status"], "PENDING");
    assert_eq!(free["region"]["id"], t.regiment_a.as_str(), "region = the initiator's regiment: {free}");
    assert_eq!(free["members"].as_array().unwrap().len(), 3, "{free}");
    assert_eq!(actions(&free), ["SUBMIT"]);
    assert_eq!(free["reviews"][0]["by"]["username"], "13800000001");
    assert_eq!(free["reviews"][0]["by"]["role"], "INITIATOR");
    // An initiator of a company: region = that company; may use plots of other companies of the regiment.
    let free_c = create_unit(&srv, &init_c, "FREE", "自由组团二号", &w.ids(&["A1-03", "A1-04", "A1-05", "A1-06", "A1-07"])).await;
    assert_eq!(free_c["region"]["id"], w.company_a2.as_str(), "region = the initiator's company: {free_c}");

    let before = admin_total(&srv, &t.admin).await;
    let plots = w.ids(&["A1-08", "A1-09", "A1-10", "A1-11", "A1-12"]);
    let lp = legal_person();
    let with_lp = |field: &str, value: &str| {
        let mut i = create_input("COOPERATIVE", "合作社组团", &plots);
        let mut l = lp.clone();
        l[field] = json!(value);
        i["legalPerson"] = l;
        i
    };
    let mut free_lp = create_input("FREE", "自由", &plots);
    free_lp["legalPerson"] = lp.clone();
    let bad_credit = format!("{}{}", &CREDIT_CODE[..17], if CREDIT_CODE.ends_with('3') { '4' } else { '3' });
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("COOPERATIVE without legal person", &init_r, create_input("COOPERATIVE", "合作社组团", &plots), "VALIDATION"),
        ("bad credit code check char", &init_r, with_lp("creditCode", &bad_credit), "VALIDATION"),
        ("credit code of 17 characters", &init_r, with_lp("creditCode", &CREDIT_CODE[..17]), "VALIDATION"),
        ("legal person's ID check digit", &init_r, with_lp("idNumber", &bad_check(&id_number(900))), "VALIDATION"),
        ("legal person's mobile", &init_r, with_lp("phone", "12345"), "VALIDATION"),
        ("legal person's name empty", &init_r, with_lp("name", " "), "VALIDATION"),
        ("legal person on FREE", &init_r, free_lp, "VALIDATION"),
        ("initiator creates COMPANY", &init_r, create_input("COMPANY", "x", &plots), "FORBIDDEN"),
        ("initiator uses another regiment's plots", &init_r, create_input("FREE", "x", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])), "FORBIDDEN"),
        ("initiator of regiment B uses regiment A's plots", &init_b, create_input("FREE", "x", &plots), "FORBIDDEN"),
        ("plots held by another initiator's unit", &init_c, create_input("FREE", "x", &w.ids(&["A1-01", "A1-08", "A1-09", "A1-10", "A1-11"])), "PLOT_TAKEN"),
    ];
    for (what, token, input, want) in cases {
        let resp = create_unit_resp(&srv, token, input).await;
        assert_eq!(code_of(&resp), want, "{what}: {resp}");
    }
    assert_eq!(admin_total(&srv, &t.admin).await, before, "refused creates create nothing");

    let coop = create_unit_resp(&srv, &init_r, with_lp("name", "艾合买提")).await;
    let coop = data(&coop)["createTraceUnit"].clone();
    assert_eq!(coop["kind"], "COOPERATIVE");
    assert_eq!(coop["region"]["id"], t.regiment_a.as_str());
    assert_eq!(
        coop["legalPerson"],
        json!({ "name": "艾合买提", "idNumberMasked": masked(&id_number(900)), "creditCode": CREDIT_CODE, "phone": "13912345678" }),
        "legal person with masked ID number"
    );
    // Regiment B's initiator on B's plots: region regiment B.
    let b = create_unit(&srv, &init_b, "FREE", "二二团自由组团", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])).await;
    assert_eq!(b["region"]["id"], t.regiment_b.as_str());
    assert_eq!(admin_total(&srv, &t.admin).await, before + 2);
}

async fn area_minimum_follows_season_rules(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let resp = create_unit_resp(&srv, &t.lian_a1, create_input("COMPANY", "x", &w.ids(&["A1-01", "A1-02", "A1-03"]))).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "300 mu under the default 500: {resp}");
    let m = err_msg(&resp);
    assert!(m.contains("300") && m.contains("500"), "current and required area: {m}");

    set_min_area(&srv, &t.admin, SEASON, "250").await;
    let u = create_unit(&srv, &t.lian_a1, "COMPANY", "三块地", &w.ids(&["A1-01", "A1-02", "A1-03"])).await;
    assert_eq!(dec(&u["totalAreaMu"]), d("300"));
    let resp = create_unit_resp(&srv, &t.lian_a1, create_input("COMPANY", "x", &w.ids(&["A1-04", "A1-05"]))).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "200 under 250: {resp}");
    let m = err_msg(&resp);
    assert!(m.contains("200") && m.contains("250"), "current and required area: {m}");

    // Removing a plot would leave 200 < 250.
    let before = unit_state(&srv, &t.admin, &s(&u["id"])).await;
    let resp = update_resp(&srv, &t.lian_a1, &s(&u["id"]), json!({ "removePlotIds": [w.plot["A1-03"]] })).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "{resp}");
    let m = err_msg(&resp);
    assert!(m.contains("200") && m.contains("250"), "current and required area: {m}");
    assert_eq!(unit_state(&srv, &t.admin, &s(&u["id"])).await, before, "refused update changes nothing");

    // Season 2025 still has the default.
    let input = json!({ "kind": "COMPANY", "name": "x", "season": 2025, "plotIds": [w.plot["A1-2025-01"]] });
    let resp = create_unit_resp(&srv, &t.lian_a1, input).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "{resp}");
    assert!(err_msg(&resp).contains("500"), "{resp}");
    set_min_area(&srv, &t.admin, 2025, "100").await;
    let input = json!({ "kind": "COMPANY", "name": "二〇二五", "season": 2025, "plotIds": [w.plot["A1-2025-01"]] });
    let u25 = data(&create_unit_resp(&srv, &t.lian_a1, input).await)["createTraceUnit"].clone();
    assert_eq!(u25["season"], 2025);
    assert!(s(&u25["code"]).starts_with("TU2025-"), "{u25}");
    // A 2026 plot cannot join the 2025 unit.
    let resp = update_resp(&srv, &t.lian_a1, &s(&u25["id"]), json!({ "addPlotIds": [w.plot["A1-10"]] })).await;
    assert_eq!(code_of(&resp), "VALIDATION", "{resp}");
}

async fn plot_in_one_live_unit_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init = srv.register_initiator("13800000001", &t.regiment_a).await;
    let u1 = create_unit(&srv, &t.lian_a1, "COMPANY", "甲单元", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    // The same plot through another creator (an initiator of the regiment).
    let resp = create_unit_resp(&srv, &init, create_input("FREE", "乙单元", &w.ids(&["A1-05", "A2-01", "A2-02", "A2-03", "A2-04"]))).await;
    assert_eq!(code_of(&resp), "PLOT_TAKEN", "{resp}");
    let m = err_msg(&resp);
    assert!(m.contains("A1-05"), "names the plot: {m}");
    assert!(m.contains(u1["code"].as_str().unwrap()), "names the unit: {m}");
    // Listing the same plot twice in one request is one plot (500 mu still needs 5 distinct plots).
    let mut dup = w.ids(&["A1-06", "A1-07", "A1-08", "A1-09"]);
    dup.push(w.plot["A1-06"].clone());
    let resp = create_unit_resp(&srv, &t.lian_a1, create_input("COMPANY", "重复", &dup)).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "a plot listed twice counts once: {resp}");
    assert_eq!(admin_total(&srv, &t.admin).await, 1);

    // Dissolving frees the plots for the other creator.
    data(&dissolve_resp(&srv, &t.lian_a1, &s(&u1["id"])).await);
    let u2 = create_unit(&srv, &init, "FREE", "乙单元", &w.ids(&["A1-05", "A2-01", "A2-02", "A2-03", "A2-04"])).await;
    let held = plot_units(&srv, &t.admin, &t.company_a1).await;
    assert_eq!(held["A1-05"].as_deref(), u2["id"].as_str(), "A1-05 now in the new unit");
    assert_eq!(held["A1-01"], None, "A1-01 freed");
}

async fn update_rules(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    srv.create_account(&t.admin, "lian_a1b", PW, "COMPANY", &t.company_a1).await;
    let lian_a1b = srv.login("lian_a1b", PW).await;
    let init = srv.register_initiator("13800000001", &t.regiment_a).await;
    let u1 = create_unit(&srv, &t.lian_a1, "COMPANY", "一号", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05", "A1-06"])).await;
    let id = s(&u1["id"]);
    let u2 = create_unit(&srv, &t.lian_a1, "COMPANY", "二号", &w.ids(&["A1-08", "A1-09", "A1-10", "A1-11", "A1-12"])).await;
    let id2 = s(&u2["id"]);

    // Another account of the same company may modify.
    let r = data(&update_resp(&srv, &lian_a1b, &id, json!({ "name": "一号（改）" })).await)["updateTraceUnit"].clone();
    assert_eq!(r["name"], "一号（改）");
    assert_eq!(r["status"], "PENDING");
    assert_eq!(actions(&r), ["SUBMIT", "MODIFY"]);
    assert_eq!(r["reviews"][1]["by"]["username"], "lian_a1b");

    // Not the creator.
    let before = unit_state(&srv, &t.admin, &id).await;
    for (who, token) in [
        ("company A2", w.lian_a2.as_str()),
        ("company B1", t.lian_b1.as_str()),
        ("regiment A", t.tuan_a.as_str()),
        ("admin", t.admin.as_str()),
        ("enterprise", t.qy_a.as_str()),
        ("initiator of the regiment", init.as_str()),
    ] {
        let resp = update_resp(&srv, token, &id, json!({ "name": "篡改" })).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "update by {who}: {resp}");
    }
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "refused updates change nothing");

    // Remove one plot (600 → 500), then removing another would leave 400.
    let r = data(&update_resp(&srv, &t.lian_a1, &id, json!({ "removePlotIds": [w.plot["A1-06"]] })).await)["updateTraceUnit"].clone();
    assert_eq!(unit_plot_codes(&r), ["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"]);
    assert_eq!(dec(&r["totalAreaMu"]), d("500"));
    let before = unit_state(&srv, &t.admin, &id).await;
    let resp = update_resp(&srv, &t.lian_a1, &id, json!({ "removePlotIds": [w.plot["A1-05"]] })).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL", "{resp}");
    assert!(err_msg(&resp).contains("400") && err_msg(&resp).contains("500"), "{resp}");
    // Swap: add A1-07 and remove A1-05 in one change (stays at 500).
    let r = data(&update_resp(&srv, &t.lian_a1, &id, json!({ "addPlotIds": [w.plot["A1-07"]], "removePlotIds": [w.plot["A1-05"]] })).await)["updateTraceUnit"].clone();
    assert_eq!(unit_plot_codes(&r), ["A1-01", "A1-02", "A1-03", "A1-04", "A1-07"], "{r}");
    let held = plot_units(&srv, &t.admin, &t.company_a1).await;
    assert_eq!(held["A1-05"], None, "a removed plot is free");
    assert_eq!(held["A1-06"], None);
    assert_eq!(held["A1-07"].as_deref(), Some(id.as_str()));
    assert_ne!(before, unit_state(&srv, &t.admin, &id).await);

    // Refused changes: each leaves both units as they were.
    let before1 = unit_state(&srv, &t.admin, &id).await;
    let before2 = unit_state(&srv, &t.admin, &id2).await;
    let plots_before = plot_units(&srv, &t.admin, &t.company_a1).await;
    let mut lp = json!({ "name": "x" });
    lp["legalPerson"] = legal_person();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("add a plot held by unit 二号", json!({ "addPlotIds": [w.plot["A1-08"]], "name": "新名字" }), "PLOT_TAKEN"),
        ("add another company's plot", json!({ "addPlotIds": [w.plot["A2-01"]] }), "FORBIDDEN"),
        ("add another regiment's plot", json!({ "addPlotIds": [w.plot["B1-01"]] }), "FORBIDDEN"),
        ("add a 2025 plot", json!({ "addPlotIds": [w.plot["A1-2025-01"]] }), "VALIDATION"),
        ("legal person on a COMPANY unit", lp, "VALIDATION"),
        ("empty name", json!({ "name": "  " }), "VALIDATION"),
    ];
    for (what, input, want) in cases {
        let resp = update_resp(&srv, &t.lian_a1, &id, input).await;
        assert_eq!(code_of(&resp), want, "{what}: {resp}");
        if want == "PLOT_TAKEN" {
            let m = err_msg(&resp);
            assert!(m.contains("A1-08") && m.contains(u2["code"].as_str().unwrap()), "names plot and unit: {m}");
        }
    }
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before1, "refused updates change nothing");
    assert_eq!(unit_state(&srv, &t.admin, &id2).await, before2, "the other unit is untouched");
    assert_eq!(plot_units(&srv, &t.admin, &t.company_a1).await, plots_before);

    // REJECTED → modified → PENDING again.
    let r = data(&review_resp(&srv, &t.tuan_a, &id, false, Some("地块面积有误")).await)["reviewTraceUnit"].clone();
    assert_eq!(r["status"], "REJECTED");
    let r = data(&update_resp(&srv, &t.lian_a1, &id, json!({ "addPlotIds": [w.plot["A1-06"]] })).await)["updateTraceUnit"].clone();
    assert_eq!(r["status"], "PENDING", "a modified REJECTED unit is resubmitted: {r}");
    assert_eq!(actions(&r), ["SUBMIT", "MODIFY", "MODIFY", "MODIFY", "REJECT", "MODIFY"]);

    // APPROVED: locked with the manual's message.
    data(&review_resp(&srv, &t.tuan_a, &id, true, None).await);
    let before = unit_state(&srv, &t.admin, &id).await;
    assert_eq!(before["status"], "APPROVED");
    for input in [json!({ "name": "审核后改名" }), json!({ "addPlotIds": [w.plot["A1-05"]] }), json!({ "removePlotIds": [w.plot["A1-06"]] })] {
        let resp = update_resp(&srv, &t.lian_a1, &id, input.clone()).await;
        assert_eq!(code_of(&resp), "UNIT_LOCKED", "{input}: {resp}");
        let m = err_msg(&resp);
        assert!(m.contains("已审核，如需修改请联系团级单位撤销审核"), "the manual's message: {m}");
    }
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "an approved unit is unchanged");
    // Revoked: editable again.
    data(&revoke_resp(&srv, &t.tuan_a, &id, "需补充地块").await);
    let r = data(&update_resp(&srv, &t.lian_a1, &id, json!({ "addPlotIds": [w.plot["A1-05"]] })).await)["updateTraceUnit"].clone();
    assert_eq!(r["status"], "PENDING");
    assert_eq!(dec(&r["totalAreaMu"]), d("700"));

    // DISSOLVED: locked.
    data(&dissolve_resp(&srv, &t.lian_a1, &id2).await);
    let before = unit_state(&srv, &t.admin, &id2).await;
    let resp = update_resp(&srv, &t.lian_a1, &id2, json!({ "name": "复活" })).await;
    assert_eq!(code_of(&resp), "UNIT_LOCKED", "{resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id2).await, before);
    // Unknown unit.
    let resp = update_resp(&srv, &t.lian_a1, "999999", json!({ "name": "x" })).await;
    assert_eq!(code_of(&resp), "NOT_FOUND", "{resp}");
}

async fn initiator_unit_managed_by_its_creator_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init1 = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init2 = srv.register_initiator("13800000002", &t.regiment_a).await;
    let init3 = srv.register_initiator("13800000003", &t.company_a1).await;
    let u = create_unit(&srv, &init1, "FREE", "发起人单元", &w.ids(&["A1-01", "A1-02", "A2-01", "A2-02", "A2-03", "A2-04"])).await;
    let id = s(&u["id"]);
    let before = unit_state(&srv, &t.admin, &id).await;
    for (who, token) in [
        ("another initiator of the regiment", init2.as_str()),
        ("an initiator of company A1", init3.as_str()),
        ("company A1 (owns some plots)", t.lian_a1.as_str()),
        ("company A2 (owns some plots)", w.lian_a2.as_str()),
    ] {
        let resp = update_resp(&srv, token, &id, json!({ "name": "篡改" })).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "update by {who}: {resp}");
        let resp = dissolve_resp(&srv, token, &id).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "dissolve by {who}: {resp}");
    }
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "refusals change nothing");
    let r = data(&update_resp(&srv, &init1, &id, json!({ "removePlotIds": [w.plot["A2-04"]] })).await)["updateTraceUnit"].clone();
    assert_eq!(dec(&r["totalAreaMu"]), d("500"));
    assert_eq!(r["reviews"][1]["by"]["username"], "13800000001");
    let r = data(&dissolve_resp(&srv, &init1, &id).await)["dissolveTraceUnit"].clone();
    assert_eq!(r["status"], "DISSOLVED");
}

/// A unit created by an initiator who belongs to company A2 is that initiator's:
/// company A2's accounts may neither change, dissolve, read nor list it.
async fn company_has_no_rights_over_its_initiators_units(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_c = srv.register_initiator("13800000004", &w.company_a2).await;
    let v = create_unit(&srv, &init_c, "FREE", "连队发起人单元", &w.ids(&["A1-05", "A1-06", "A1-07", "A1-08", "A1-09"])).await;
    let vid = s(&v["id"]);
    let own = create_unit(&srv, &w.lian_a2, "COMPANY", "二连单元", &w.ids(&["A2-01", "A2-02", "A2-03", "A2-04", "A2-05"])).await;
    let v_before = unit_state(&srv, &t.admin, &vid).await;
    for (who, token) in [("company A2", w.lian_a2.as_str()), ("company A1", t.lian_a1.as_str())] {
        let resp = update_resp(&srv, token, &vid, json!({ "name": "篡改" })).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "update of an initiator's unit by {who}: {resp}");
        let resp = dissolve_resp(&srv, token, &vid).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "dissolve of an initiator's unit by {who}: {resp}");
        let resp = read_unit(&srv, token, &v["id"]).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "traceUnit of an initiator's unit read by {who}: {resp}");
    }
    assert_eq!(unit_state(&srv, &t.admin, &vid).await, v_before, "refusals change nothing");
    let conn = units_conn(&srv, &w.lian_a2, json!({})).await;
    let ids: Vec<String> = nodes(&conn).iter().map(|n| s(&n["id"])).collect();
    assert_eq!(ids, vec![s(&own["id"])], "company A2 lists its own units only: {conn}");
    // The initiator manages it.
    let r = data(&update_resp(&srv, &init_c, &vid, json!({ "name": "改名" })).await)["updateTraceUnit"].clone();
    assert_eq!(r["name"], "改名");
}

async fn dissolve_rules(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    srv.create_account(&t.admin, "lian_a1b", PW, "COMPANY", &t.company_a1).await;
    let lian_a1b = srv.login("lian_a1b", PW).await;
    let five = w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"]);
    let u = create_unit(&srv, &t.lian_a1, "COMPANY", "待解散", &five).await;
    let id = s(&u["id"]);

    let before = unit_state(&srv, &t.admin, &id).await;
    for (who, token) in [
        ("company A2", w.lian_a2.as_str()),
        ("regiment A", t.tuan_a.as_str()),
        ("admin", t.admin.as_str()),
        ("enterprise", t.qy_a.as_str()),
    ] {
        let resp = dissolve_resp(&srv, token, &id).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "dissolve by {who}: {resp}");
    }
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before);

    // APPROVED cannot be dissolved.
    data(&review_resp(&srv, &t.tuan_a, &id, true, None).await);
    let before = unit_state(&srv, &t.admin, &id).await;
    let resp = dissolve_resp(&srv, &t.lian_a1, &id).await;
    assert_eq!(code_of(&resp), "UNIT_LOCKED", "{resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "an approved unit is not dissolved");
    assert!(plot_units(&srv, &t.admin, &t.company_a1).await["A1-01"].is_some(), "plots stay held");

    // Revoked (PENDING): another account of the company dissolves it.
    data(&revoke_resp(&srv, &t.tuan_a, &id, "重新组团").await);
    let r = data(&dissolve_resp(&srv, &lian_a1b, &id).await)["dissolveTraceUnit"].clone();
    assert_eq!(r["status"], "DISSOLVED");
    assert_eq!(actions(&r), ["SUBMIT", "APPROVE", "REVOKE", "DISSOLVE"]);
    assert_eq!(r["reviews"][3]["by"]["username"], "lian_a1b");
    let held = plot_units(&srv, &t.admin, &t.company_a1).await;
    for code in ["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"] {
        assert_eq!(held[code], None, "{code} freed by dissolving");
    }
    // Dissolved again / reviewed / revoked: refused, unchanged.
    let before = unit_state(&srv, &t.admin, &id).await;
    let resp = dissolve_resp(&srv, &t.lian_a1, &id).await;
    assert_eq!(code_of(&resp), "UNIT_LOCKED", "dissolve a dissolved unit: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before);
    assert_eq!(units_conn(&srv, &t.admin, json!({ "st": "DISSOLVED" })).await["totalCount"], 1);

    // The freed plots form a new unit; a REJECTED unit may be dissolved too.
    let u2 = create_unit(&srv, &t.lian_a1, "COMPANY", "新单元", &five).await;
    let id2 = s(&u2["id"]);
    data(&review_resp(&srv, &t.tuan_a, &id2, false, Some("材料不全")).await);
    let r = data(&dissolve_resp(&srv, &t.lian_a1, &id2).await)["dissolveTraceUnit"].clone();
    assert_eq!(r["status"], "DISSOLVED");
    assert_eq!(actions(&r), ["SUBMIT", "REJECT", "DISSOLVE"]);
    assert!(plot_units(&srv, &t.admin, &t.company_a1).await.values().all(Option::is_none), "all plots free");
    let resp = dissolve_resp(&srv, &t.lian_a1, "999999").await;
    assert_eq!(code_of(&resp), "NOT_FOUND", "{resp}");
}

async fn review_and_revoke_matrix(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_r = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init_c = srv.register_initiator("13800000002", &w.company_a2).await;
    let ua = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let id = s(&ua["id"]);
    let ui = create_unit(&srv, &init_c, "FREE", "乙", &w.ids(&["A1-06", "A1-07", "A2-01", "A2-02", "A2-03"])).await;
    let ub = create_unit(&srv, &t.lian_b1, "COMPANY", "丙", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])).await;

    let before = unit_state(&srv, &t.admin, &id).await;
    let others: Vec<(&str, &str)> = vec![
        ("regiment B", &t.tuan_b),
        ("the creating company", &t.lian_a1),
        ("company A2", &w.lian_a2),
        ("admin", &t.admin),
        ("enterprise", &t.qy_a),
        ("initiator", &init_r),
    ];
    for (who, token) in &others {
        for approve in [true, false] {
            let resp = review_resp(&srv, token, &id, approve, Some("理由")).await;
            assert_eq!(code_of(&resp), "FORBIDDEN", "review (approve={approve}) by {who}: {resp}");
        }
    }
    let resp = review_resp(&srv, &t.tuan_a, &id, false, None).await;
    assert_eq!(code_of(&resp), "VALIDATION", "reject without a reason: {resp}");
    let resp = review_resp(&srv, &t.tuan_a, &id, false, Some("   ")).await;
    assert_eq!(code_of(&resp), "VALIDATION", "reject with a blank reason: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "refused reviews change nothing");

    // Approve.
    let r = data(&review_resp(&srv, &t.tuan_a, &id, true, None).await)["reviewTraceUnit"].clone();
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(actions(&r), ["SUBMIT", "APPROVE"]);
    assert_eq!(r["reviews"][1]["by"]["username"], "tuan_a");
    assert_eq!(r["reviews"][1]["by"]["role"], "REGIMENT");
    chrono::DateTime::parse_from_rfc3339(r["reviews"][1]["at"].as_str().unwrap()).expect("RFC 3339");
    let before = unit_state(&srv, &t.admin, &id).await;
    for approve in [true, false] {
        let resp = review_resp(&srv, &t.tuan_a, &id, approve, Some("再审")).await;
        assert_eq!(code_of(&resp), "VALIDATION", "review an APPROVED unit (approve={approve}): {resp}");
    }
    for (who, token) in &others {
        let resp = revoke_resp(&srv, token, &id, "撤销").await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "revoke by {who}: {resp}");
    }
    let resp = revoke_resp(&srv, &t.tuan_a, &id, "  ").await;
    assert_eq!(code_of(&resp), "VALIDATION", "revoke without a reason: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before, "refusals change nothing");

    // Revoke → PENDING.
    let r = data(&revoke_resp(&srv, &t.tuan_a, &id, "复核发现面积有误").await)["revokeReview"].clone();
    assert_eq!(r["status"], "PENDING");
    assert_eq!(actions(&r), ["SUBMIT", "APPROVE", "REVOKE"]);
    assert_eq!(r["reviews"][2]["reason"], "复核发现面积有误");
    assert_eq!(r["reviews"][2]["by"]["username"], "tuan_a");
    let before = unit_state(&srv, &t.admin, &id).await;
    let resp = revoke_resp(&srv, &t.tuan_a, &id, "再撤销").await;
    assert_eq!(code_of(&resp), "VALIDATION", "revoke a PENDING unit: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before);

    // Reject with a reason → REJECTED.
    let r = data(&review_resp(&srv, &t.tuan_a, &id, false, Some("成员地块与实际种植不符")).await)["reviewTraceUnit"].clone();
    assert_eq!(r["status"], "REJECTED");
    assert_eq!(actions(&r), ["SUBMIT", "APPROVE", "REVOKE", "REJECT"]);
    assert_eq!(r["reviews"][3]["reason"], "成员地块与实际种植不符");
    let before = unit_state(&srv, &t.admin, &id).await;
    for approve in [true, false] {
        let resp = review_resp(&srv, &t.tuan_a, &id, approve, Some("再审")).await;
        assert_eq!(code_of(&resp), "VALIDATION", "review a REJECTED unit (approve={approve}): {resp}");
    }
    let resp = revoke_resp(&srv, &t.tuan_a, &id, "撤销").await;
    assert_eq!(code_of(&resp), "VALIDATION", "revoke a REJECTED unit: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before);

    // The initiator's unit (region company A2) is reviewed by regiment A, not B.
    let resp = review_resp(&srv, &t.tuan_b, &s(&ui["id"]), true, None).await;
    assert_eq!(code_of(&resp), "FORBIDDEN", "{resp}");
    let r = data(&review_resp(&srv, &t.tuan_a, &s(&ui["id"]), true, Some("同意")).await)["reviewTraceUnit"].clone();
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["reviews"][1]["reason"], "同意", "an approval may carry a remark");
    // Regiment B reviews its own; A cannot.
    let resp = review_resp(&srv, &t.tuan_a, &s(&ub["id"]), true, None).await;
    assert_eq!(code_of(&resp), "FORBIDDEN", "{resp}");
    data(&review_resp(&srv, &t.tuan_b, &s(&ub["id"]), true, None).await);
    let resp = revoke_resp(&srv, &t.tuan_a, &s(&ub["id"]), "越权撤销").await;
    assert_eq!(code_of(&resp), "FORBIDDEN", "{resp}");
    assert_eq!(unit_state(&srv, &t.admin, &s(&ub["id"])).await["status"], "APPROVED");

    // A dissolved unit can be neither reviewed nor revoked.
    data(&dissolve_resp(&srv, &t.lian_a1, &id).await);
    let before = unit_state(&srv, &t.admin, &id).await;
    for approve in [true, false] {
        let resp = review_resp(&srv, &t.tuan_a, &id, approve, Some("审核")).await;
        let c = code_of(&resp);
        assert!(c == "VALIDATION" || c == "UNIT_LOCKED", "review a DISSOLVED unit: {resp}");
    }
    let resp = revoke_resp(&srv, &t.tuan_a, &id, "撤销").await;
    let c = code_of(&resp);
    assert!(c == "VALIDATION" || c == "UNIT_LOCKED", "revoke a DISSOLVED unit: {resp}");
    assert_eq!(unit_state(&srv, &t.admin, &id).await, before);
    let resp = review_resp(&srv, &t.tuan_a, "999999", true, None).await;
    assert_eq!(code_of(&resp), "NOT_FOUND", "{resp}");
}

async fn read_unit(srv: &TestServer, token: &str, id: &Value) -> Value {
    srv.gql(Some(token), &unit_q(), json!({ "id": id })).await
}

async fn trace_unit_visibility(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    srv.create_account(&t.admin, "lian_a1b", PW, "COMPANY", &t.company_a1).await;
    let lian_a1b = srv.login("lian_a1b", PW).await;
    let init_r = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init_c = srv.register_initiator("13800000002", &w.company_a2).await;
    let ua1 = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let ui = create_unit(&srv, &init_r, "FREE", "乙", &w.ids(&["A1-06", "A1-07", "A1-08", "A1-09", "A1-10"])).await;
    let q = unit_q();
    for (who, token) in [
        ("creator", t.lian_a1.as_str()),
        ("another account of the company", lian_a1b.as_str()),
        ("regiment A", t.tuan_a.as_str()),
        ("admin", t.admin.as_str()),
    ] {
        let d = data(&read_unit(&srv, token, &ua1["id"]).await);
        assert_eq!(d["traceUnit"]["id"], ua1["id"], "traceUnit read by {who}");
    }
    for (who, token) in [
        ("company A2", w.lian_a2.as_str()),
        ("company B1", t.lian_b1.as_str()),
        ("regiment B", t.tuan_b.as_str()),
        ("enterprise", t.qy_a.as_str()),
        ("initiator of the regiment", init_r.as_str()),
    ] {
        let resp = read_unit(&srv, token, &ua1["id"]).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "traceUnit read by {who}: {resp}");
    }
    let resp = srv.gql(None, &q, json!({ "id": ua1["id"] })).await;
    assert_eq!(code_of(&resp), "UNAUTHENTICATED");
    // The initiator's unit: the initiator and the regiment, not the companies whose plots it holds.
    assert_eq!(data(&read_unit(&srv, &init_r, &ui["id"]).await)["traceUnit"]["id"], ui["id"]);
    assert_eq!(data(&read_unit(&srv, &t.tuan_a, &ui["id"]).await)["traceUnit"]["id"], ui["id"]);
    for (who, token) in [("another initiator", init_c.as_str()), ("company A1", t.lian_a1.as_str()), ("regiment B", t.tuan_b.as_str())] {
        let resp = read_unit(&srv, token, &ui["id"]).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "initiator's unit read by {who}: {resp}");
    }
    // Growers: the units holding their plots only.
    let g1 = grower_login(&srv, &phone(1)).await; // A1-01, A1-02 in 甲
    let g4 = grower_login(&srv, &phone(4)).await; // A1-07, A1-08 in 乙
    let g11 = grower_login(&srv, &phone(11)).await; // in no unit
    assert_eq!(data(&read_unit(&srv, &g1, &ua1["id"]).await)["traceUnit"]["id"], ua1["id"]);
    assert_eq!(data(&read_unit(&srv, &g4, &ui["id"]).await)["traceUnit"]["id"], ui["id"]);
    for (who, token, unit) in [("grower 1", &g1, &ui), ("grower 4", &g4, &ua1), ("grower 11", &g11, &ua1)] {
        let resp = read_unit(&srv, token, &unit["id"]).await;
        assert_eq!(code_of(&resp), "FORBIDDEN", "{who} reads a unit without their plots: {resp}");
    }
    // Unknown id: null.
    let d = data(&read_unit(&srv, &t.admin, &json!("999999")).await);
    assert!(d["traceUnit"].is_null(), "unknown unit is null: {d}");
}

async fn trace_units_scopes_filters_paging(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_r = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init_c = srv.register_initiator("13800000002", &w.company_a2).await;
    let ua1 = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let ua2 = create_unit(&srv, &w.lian_a2, "COMPANY", "乙", &w.ids(&["A2-01", "A2-02", "A2-03", "A2-04", "A2-05"])).await;
    let ui = create_unit(&srv, &init_r, "FREE", "丙", &w.ids(&["A1-06", "A1-07", "A1-08", "A1-09", "A1-10"])).await;
    let mut coop = create_input("COOPERATIVE", "丁", &w.ids(&["A1-11", "A1-12", "A2-06", "A2-07", "A2-08"]));
    coop["legalPerson"] = legal_person();
    let uc = data(&create_unit_resp(&srv, &init_c, coop).await)["createTraceUnit"].clone();
    let ub = create_unit(&srv, &t.lian_b1, "COMPANY", "戊", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])).await;
    // A refused create (300 mu) is not listed anywhere.
    let resp = create_unit_resp(&srv, &t.lian_b1, create_input("COMPANY", "己", &w.ids(&["B1-06", "B1-07", "B1-08"]))).await;
    assert_eq!(code_of(&resp), "AREA_TOO_SMALL");
    data(&review_resp(&srv, &t.tuan_a, &s(&ua1["id"]), true, None).await);
    data(&review_resp(&srv, &t.tuan_a, &s(&ua2["id"]), false, Some("驳回")).await);
    data(&dissolve_resp(&srv, &t.lian_b1, &s(&ub["id"])).await);

    let ids = |conn: &Value| -> Vec<String> { nodes(conn).iter().map(|n| s(&n["id"])).collect() };
    let id = |u: &Value| s(&u["id"]);
    let g1 = grower_login(&srv, &phone(1)).await;

    // Scopes.
    let scopes: Vec<(&str, &str, Vec<String>)> = vec![
        ("admin", &t.admin, vec![id(&ua1), id(&ua2), id(&ui), id(&uc), id(&ub)]),
        ("regiment A", &t.tuan_a, vec![id(&ua1), id(&ua2), id(&ui), id(&uc)]),
        ("regiment B", &t.tuan_b, vec![id(&ub)]),
        ("company A1", &t.lian_a1, vec![id(&ua1)]),
        // company A2 (whose initiator created 丁): company_has_no_rights_over_its_initiators_units
        ("company B1", &t.lian_b1, vec![id(&ub)]),
        ("initiator of regiment A", &init_r, vec![id(&ui)]),
        ("initiator of company A2", &init_c, vec![id(&uc)]),
        ("grower 1", &g1, vec![id(&ua1)]),
    ];
    for (who, token, want) in scopes {
        let conn = units_conn(&srv, token, json!({ "f": 50 })).await;
        assert_eq!(ids(&conn), want, "traceUnits seen by {who}: {conn}");
        assert_eq!(conn["totalCount"], want.len(), "totalCount for {who}");
    }
    let resp = srv.gql(Some(&t.qy_a), UNITS_Q, json!({})).await;
    assert_eq!(code_of(&resp), "FORBIDDEN", "traceUnits for an enterprise: {resp}");
    let resp = srv.gql(None, UNITS_Q, json!({})).await;
    assert_eq!(code_of(&resp), "UNAUTHENTICATED");

    // Filters (admin).
    let filters: Vec<(&str, Value, Vec<String>)> = vec![
        ("status APPROVED", json!({ "st": "APPROVED" }), vec![id(&ua1)]),
        ("status REJECTED", json!({ "st": "REJECTED" }), vec![id(&ua2)]),
        ("status PENDING", json!({ "st": "PENDING" }), vec![id(&ui), id(&uc)]),
        ("status DISSOLVED", json!({ "st": "DISSOLVED" }), vec![id(&ub)]),
        ("kind FREE", json!({ "k": "FREE" }), vec![id(&ui)]),
        ("kind COOPERATIVE", json!({ "k": "COOPERATIVE" }), vec![id(&uc)]),
        ("kind COMPANY", json!({ "k": "COMPANY" }), vec![id(&ua1), id(&ua2), id(&ub)]),
        ("region company A1", json!({ "r": t.company_a1 }), vec![id(&ua1)]),
        ("region company A2", json!({ "r": w.company_a2 }), vec![id(&ua2), id(&uc)]),
        ("region regiment A", json!({ "r": t.regiment_a }), vec![id(&ua1), id(&ua2), id(&ui), id(&uc)]),
        ("region regiment B", json!({ "r": t.regiment_b }), vec![id(&ub)]),
        ("season 2026", json!({ "s": 2026 }), vec![id(&ua1), id(&ua2), id(&ui), id(&uc), id(&ub)]),
        ("season 2025", json!({ "s": 2025 }), vec![]),
        ("kind COMPANY + status PENDING", json!({ "k": "COMPANY", "st": "PENDING" }), vec![]),
        ("region regiment A + kind COMPANY", json!({ "r": t.regiment_a, "k": "COMPANY" }), vec![id(&ua1), id(&ua2)]),
    ];
    for (what, vars, want) in filters {
        let conn = units_conn(&srv, &t.admin, vars).await;
        assert_eq!(ids(&conn), want, "admin traceUnits {what}: {conn}");
        assert_eq!(conn["totalCount"], want.len(), "totalCount {what}");
    }
    // Filters stay within the scope.
    let conn = units_conn(&srv, &t.tuan_a, json!({ "k": "COMPANY" })).await;
    assert_eq!(ids(&conn), vec![id(&ua1), id(&ua2)]);
    let conn = units_conn(&srv, &t.tuan_b, json!({ "r": t.regiment_a })).await;
    assert_eq!(conn["totalCount"], 0, "regiment B filtering on A's region sees nothing: {conn}");
    let conn = units_conn(&srv, &t.lian_a1, json!({ "st": "REJECTED" })).await;
    assert_eq!(conn["totalCount"], 0, "{conn}");

    // Paging (admin): 2 + 2 + 1.
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let conn = units_conn(&srv, &t.admin, json!({ "f": 2, "a": after })).await;
        assert_eq!(conn["totalCount"], 5, "{conn}");
        let page = ids(&conn);
        sizes.push(page.len());
        seen.extend(page);
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(s(&conn["pageInfo"]["endCursor"]));
        assert!(sizes.len() < 10);
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, vec![id(&ua1), id(&ua2), id(&ui), id(&uc), id(&ub)]);
    // Paging within a scope and a filter.
    let conn = units_conn(&srv, &t.tuan_a, json!({ "f": 3 })).await;
    assert_eq!(conn["totalCount"], 4);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let conn = units_conn(&srv, &t.tuan_a, json!({ "f": 3, "a": conn["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids(&conn), vec![id(&uc)]);
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
}
