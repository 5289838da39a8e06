//! Trace units beyond single requests: live UNIT_CHANGED / UNIT_REVIEWED events
//! (scoped to the regiment, across server processes), growers' sign-in and
//! results, the no-N+1 guarantee of the unit listing, concurrent saves claiming
//! the same plots, and the demo season.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;
use crate::unit_fixtures::*;

both_backends!(
    unit_events_reach_the_units_regiment,
    unit_reviewed_across_server_processes,
    grower_login_and_my_results,
    grower_removed_from_a_unit_no_longer_sees_it,
    trace_units_listing_has_no_n_plus_one,
    concurrent_creates_claim_each_plot_once,
    demo_has_rosters_and_units_in_every_state,
);

const SUB: &str = "subscription($t: [EventTopic!], $r: ID) { events(topics: $t, regionId: $r) { topic regionId unitId at } }";

fn both_topics(region: Option<&str>) -> Value {
    json!({ "t": ["UNIT_CHANGED", "UNIT_REVIEWED"], "r": region })
}

fn assert_event(ev: &Value, topic: &str, region: &str, unit: &Value, what: &str) {
    assert_eq!(ev["topic"], topic, "{what}: {ev}");
    assert_eq!(ev["regionId"], region, "{what}: regionId is the unit's regiment: {ev}");
    assert_eq!(ev["unitId"], *unit, "{what}: unitId: {ev}");
}

async fn unit_events_reach_the_units_regiment(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_c = srv.register_initiator("13800000002", &w.company_a2).await;
    let mut sub_a = srv.subscribe(WsProto::TransportWs, &t.tuan_a, SUB, both_topics(Some(&t.regiment_a))).await;
    let mut sub_a_reviews = srv.subscribe(WsProto::LegacyWs, &t.tuan_a, SUB, json!({ "t": ["UNIT_REVIEWED"] })).await;
    let mut sub_b = srv.subscribe(WsProto::TransportWs, &t.tuan_b, SUB, both_topics(None)).await;
    let mut sub_admin_b = srv.subscribe(WsProto::TransportWs, &t.admin, SUB, both_topics(Some(&t.regiment_b))).await;

    // Regiment B's unit first: A's subscribers must not get it.
    let ub = create_unit(&srv, &t.lian_b1, "COMPANY", "乙团单元", &w.ids(&["B1-01", "B1-02", "B1-03", "B1-04", "B1-05"])).await;
    assert_event(&sub_b.next_event().await, "UNIT_CHANGED", &t.regiment_b, &ub["id"], "regiment B: its unit created");
    assert_event(&sub_admin_b.next_event().await, "UNIT_CHANGED", &t.regiment_b, &ub["id"], "admin filtered on B");

    let ua = create_unit(&srv, &t.lian_a1, "COMPANY", "甲团单元", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let id = s(&ua["id"]);
    assert_event(&sub_a.next_event().await, "UNIT_CHANGED", &t.regiment_a, &ua["id"], "create (first event of A is A's)");
    data(&update_resp(&srv, &t.lian_a1, &id, json!({ "name": "甲团单元（改）" })).await);
    assert_event(&sub_a.next_event().await, "UNIT_CHANGED", &t.regiment_a, &ua["id"], "update");
    data(&review_resp(&srv, &t.tuan_a, &id, false, Some("请补充")).await);
    assert_event(&sub_a.next_event().await, "UNIT_REVIEWED", &t.regiment_a, &ua["id"], "reject");
    data(&update_resp(&srv, &t.lian_a1, &id, json!({ "addPlotIds": [w.plot["A1-06"]] })).await);
    assert_event(&sub_a.next_event().await, "UNIT_CHANGED", &t.regiment_a, &ua["id"], "resubmit");
    data(&review_resp(&srv, &t.tuan_a, &id, true, None).await);
    assert_event(&sub_a.next_event().await, "UNIT_REVIEWED", &t.regiment_a, &ua["id"], "approve");
    data(&revoke_resp(&srv, &t.tuan_a, &id, "复核").await);
    assert_event(&sub_a.next_event().await, "UNIT_REVIEWED", &t.regiment_a, &ua["id"], "revoke");
    data(&dissolve_resp(&srv, &t.lian_a1, &id).await);
    assert_event(&sub_a.next_event().await, "UNIT_CHANGED", &t.regiment_a, &ua["id"], "dissolve");
    // An initiator's unit in company A2: the event's region is the regiment.
    let ui = create_unit(&srv, &init_c, "FREE", "发起人单元", &w.ids(&["A1-07", "A1-08", "A1-09", "A1-10", "A1-11"])).await;
    assert_event(&sub_a.next_event().await, "UNIT_CHANGED", &t.regiment_a, &ui["id"], "initiator's unit in company A2");

    // The reviews-only subscriber got exactly the three reviews.
    for what in ["reject", "approve", "revoke"] {
        assert_event(&sub_a_reviews.next_event().await, "UNIT_REVIEWED", &t.regiment_a, &ua["id"], what);
    }
    // Refused operations publish nothing.
    srv.code(Some(&t.tuan_b), &review_q(), json!({ "id": ui["id"], "a": true, "r": null })).await;
    srv.code(Some(&t.lian_a1), &update_q(), json!({ "id": ui["id"], "i": { "name": "x" } })).await;
    for (who, sub) in [("regiment A", &mut sub_a), ("regiment A, reviews", &mut sub_a_reviews), ("regiment B", &mut sub_b), ("admin filtered on B", &mut sub_admin_b)] {
        let extra = sub.any_event_within(Duration::from_secs(2)).await;
        assert!(extra.is_none(), "{who}: no further event, got {extra:?}");
    }
}

async fn unit_reviewed_across_server_processes(backend: Backend) {
    let a = TestServer::start(backend, Opts::default()).await;
    // PostgreSQL: a second process on the same database. SQLite: one process
    // (several processes on one SQLite file are not supported).
    let b_owned = match backend {
        Backend::Postgres => Some(a.another_on_same_db().await),
        Backend::Sqlite => None,
    };
    let b = b_owned.as_ref().unwrap_or(&a);
    let w = setup_world(b).await;
    let t = &w.t;
    let mut sub = a.subscribe(WsProto::TransportWs, &t.tuan_a, SUB, both_topics(Some(&t.regiment_a))).await;
    let mut sub_b = a.subscribe(WsProto::TransportWs, &t.tuan_b, SUB, both_topics(None)).await;
    let u = create_unit(b, &t.lian_a1, "COMPANY", "跨进程单元", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    assert_event(&sub.next_event().await, "UNIT_CHANGED", &t.regiment_a, &u["id"], "created through B, seen on A");
    data(&review_resp(b, &t.tuan_a, &s(&u["id"]), true, None).await);
    assert_event(&sub.next_event().await, "UNIT_REVIEWED", &t.regiment_a, &u["id"], "reviewed through B, seen on A");
    let extra = sub_b.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "regiment B gets nothing of A's unit, got {extra:?}");
}

const MY_RESULTS: &str = "query($s: Int) { myResults(season: $s) { units { id code name status season reviews { action reason } members { grower { name idNumberMasked } plots { code } } } } }";

async fn grower_login_and_my_results(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    // Grower 3 has A1-05 (unit 甲) and A1-06 (unit 乙).
    let u1 = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let u2 = create_unit(&srv, &t.lian_a1, "COMPANY", "乙", &w.ids(&["A1-06", "A1-07", "A1-08", "A1-09", "A1-10"])).await;
    let u3 = create_unit(&srv, &w.lian_a2, "COMPANY", "丙", &w.ids(&["A2-01", "A2-02", "A2-03", "A2-04", "A2-05"])).await;
    let id1 = s(&u1["id"]);
    data(&review_resp(&srv, &t.tuan_a, &id1, false, Some("面积不符")).await);
    data(&update_resp(&srv, &t.lian_a1, &id1, json!({ "name": "甲（改）" })).await);
    data(&review_resp(&srv, &t.tuan_a, &id1, true, None).await);

    // A mobile on no roster.
    let code = srv.sms_code("13999999999").await;
    let resp = srv.gql(None, GROWER_LOGIN, json!({ "p": "13999999999", "c": code })).await;
    assert_eq!(err_code(&resp), "NOT_FOUND", "growerLogin with a mobile on no roster: {resp}");

    // Wrong code, then the right one.
    let p3 = phone(3);
    let code = srv.sms_code(&p3).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let resp = srv.gql(None, GROWER_LOGIN, json!({ "p": p3, "c": wrong })).await;
    assert_eq!(err_code(&resp), "VALIDATION", "wrong code: {resp}");
    let d = srv.ok(None, GROWER_LOGIN, json!({ "p": p3, "c": code })).await;
    let g3 = s(&d["growerLogin"]["accessToken"]);
    assert_eq!(d["growerLogin"]["account"]["role"], "GROWER");
    assert_eq!(d["growerLogin"]["account"]["phone"], p3.as_str());
    assert_eq!(srv.me(&g3).await["role"], "GROWER");
    // The code is single-use.
    let resp = srv.gql(None, GROWER_LOGIN, json!({ "p": p3, "c": code })).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a used code: {resp}");

    let res = srv.ok(Some(&g3), MY_RESULTS, json!({ "s": SEASON })).await["myResults"].clone();
    let units = res["units"].as_array().unwrap().clone();
    let codes: Vec<String> = units.iter().map(|u| s(&u["code"])).collect();
    assert_eq!(codes, vec![s(&u1["code"]), s(&u2["code"])], "the units holding grower 3's plots: {res}");
    assert_eq!(units[0]["status"], "APPROVED");
    let history: Vec<(String, Value)> = units[0]["reviews"].as_array().unwrap().iter().map(|r| (s(&r["action"]), r["reason"].clone())).collect();
    assert_eq!(
        history,
        vec![
            ("SUBMIT".to_string(), Value::Null),
            ("REJECT".to_string(), json!("面积不符")),
            ("MODIFY".to_string(), Value::Null),
            ("APPROVE".to_string(), Value::Null),
        ],
        "review history with reasons"
    );
    assert_eq!(units[1]["status"], "PENDING");
    assert_eq!(actions(&units[1]), ["SUBMIT"]);
    // Their own ID number in full, the other members' masked.
    for u in &units {
        for m in u["members"].as_array().unwrap() {
            let n: u32 = s(&m["grower"]["name"]).trim_start_matches("种植者").parse().unwrap();
            let want = if n == 3 { id_number(3) } else { masked(&id_number(n)) };
            assert_eq!(m["grower"]["idNumberMasked"], want.as_str(), "grower 3 reading member {n}: {m}");
        }
    }
    // Without a season: the same; another season: none.
    let all = srv.ok(Some(&g3), MY_RESULTS, json!({})).await["myResults"]["units"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let old = srv.ok(Some(&g3), MY_RESULTS, json!({ "s": 2025 })).await["myResults"]["units"].clone();
    assert_eq!(old, json!([]), "no unit in 2025");

    // The grower reads their units, not others'.
    let d = srv.ok(Some(&g3), &unit_q(), json!({ "id": u1["id"] })).await;
    assert_eq!(d["traceUnit"]["id"], u1["id"]);
    let resp = srv.gql(Some(&g3), &unit_q(), json!({ "id": u3["id"] })).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");
    let conn = units_conn(&srv, &g3, json!({})).await;
    assert_eq!(conn["totalCount"], 2, "{conn}");
    // ...and may not change anything.
    let resp = create_unit_resp(&srv, &g3, create_input("FREE", "x", &w.ids(&["A1-11", "A1-12"]))).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");
    let resp = review_resp(&srv, &g3, &s(&u2["id"]), true, None).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");
    let resp = dissolve_resp(&srv, &g3, &s(&u2["id"])).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");

    // Another grower sees theirs.
    let g11 = grower_login(&srv, &phone(11)).await;
    let res = srv.ok(Some(&g11), MY_RESULTS, json!({ "s": SEASON })).await["myResults"]["units"].clone();
    let codes: Vec<String> = res.as_array().unwrap().iter().map(|u| s(&u["code"])).collect();
    assert_eq!(codes, vec![s(&u3["code"])], "{res}");
    // A grower in no unit: empty.
    let g6 = grower_login(&srv, &phone(6)).await; // A1-11, A1-12
    let res = srv.ok(Some(&g6), MY_RESULTS, json!({ "s": SEASON })).await["myResults"]["units"].clone();
    assert_eq!(res, json!([]), "{res}");

    // Not a grower: refused.
    for (who, token) in [("company", t.lian_a1.as_str()), ("regiment", t.tuan_a.as_str()), ("admin", t.admin.as_str()), ("enterprise", t.qy_a.as_str())] {
        let resp = srv.gql(Some(token), MY_RESULTS, json!({ "s": SEASON })).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "myResults for {who}: {resp}");
    }
    let resp = srv.gql(None, MY_RESULTS, json!({ "s": SEASON })).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED");
}

/// Once a grower's plots are removed from a unit, the unit no longer holds their
/// plots: it leaves their results and they may no longer read it.
async fn grower_removed_from_a_unit_no_longer_sees_it(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let u = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05", "A1-06", "A1-07"])).await;
    let g3 = grower_login(&srv, &phone(3)).await; // A1-05, A1-06
    let g1 = grower_login(&srv, &phone(1)).await; // A1-01, A1-02
    let res = srv.ok(Some(&g3), MY_RESULTS, json!({ "s": SEASON })).await["myResults"]["units"].clone();
    assert_eq!(res.as_array().unwrap().len(), 1, "grower 3 is a member: {res}");

    data(&update_resp(&srv, &t.lian_a1, &s(&u["id"]), json!({ "removePlotIds": w.ids(&["A1-05", "A1-06"]) })).await);
    let res = srv.ok(Some(&g3), MY_RESULTS, json!({ "s": SEASON })).await["myResults"]["units"].clone();
    assert_eq!(res, json!([]), "grower 3's plots left the unit: myResults: {res}");
    let resp = srv.gql(Some(&g3), &unit_q(), json!({ "id": u["id"] })).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "grower 3 reads a unit that no longer holds their plots: {resp}");
    let conn = units_conn(&srv, &g3, json!({})).await;
    assert_eq!(conn["totalCount"], 0, "grower 3's traceUnits: {conn}");
    // Grower 1 is still a member.
    let d = srv.ok(Some(&g1), &unit_q(), json!({ "id": u["id"] })).await;
    assert_eq!(d["traceUnit"]["id"], u["id"]);
}

const LIST_DEEP: &str = "query($f: Int) { traceUnits(first: $f) { totalCount edges { node { code region { name } members { grower { name plots(season: 2026) { code } } plots { code } areaMu } reviews { action by { username } } totalAreaMu } } } }";

/// SQL statements for one deep listing of `n` units (the smaller of two runs).
async fn deep_listing_cost(srv: &TestServer, admin: &str, n: usize) -> (u64, Value) {
    let mut best = u64::MAX;
    let mut last = Value::Null;
    for _ in 0..2 {
        let before = db_queries(srv).await;
        let d = srv.ok(Some(admin), LIST_DEEP, json!({ "f": n })).await;
        let after = db_queries(srv).await;
        best = best.min(after - before);
        last = d;
    }
    let edges = last["traceUnits"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), n, "{n} units listed");
    for e in edges {
        let node = &e["node"];
        assert_eq!(node["members"].as_array().unwrap().len(), 2, "two members per unit: {node}");
        assert_eq!(dec(&node["totalAreaMu"]), d("30"), "{node}");
        assert!(!node["region"]["name"].as_str().unwrap().is_empty());
        for m in node["members"].as_array().unwrap() {
            assert_eq!(m["grower"]["plots"].as_array().unwrap().len(), 2, "the grower's season plots: {m}");
        }
        assert!(node["reviews"].as_array().unwrap().iter().all(|r| r["by"]["username"].is_string()));
    }
    (best, last)
}

async fn trace_units_listing_has_no_n_plus_one(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    set_min_area(&srv, &t.admin, SEASON, "1").await;
    // 100 growers with 2 plots of 10 mu each; unit i holds both plots of grower
    // 2i+1 and the first plot of grower 2i+2.
    let rows: Vec<Row> = (1..=100u32)
        .flat_map(|g| (1..=2).map(move |p| row(&format!("种植者{g}"), &id_number(g), &phone(g), &format!("N-{g:03}-{p}"), "10")))
        .collect();
    let rep = import_roster(&srv, &t.admin, &t.company_a1, SEASON, &rows).await;
    assert_eq!(counts(&rep), [200, 0, 0, 0]);
    let plot = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(plot.len(), 200);
    let create = |i: u32| {
        let ids = vec![
            s(&plot[&format!("N-{:03}-1", 2 * i + 1)]["id"]),
            s(&plot[&format!("N-{:03}-2", 2 * i + 1)]["id"]),
            s(&plot[&format!("N-{:03}-1", 2 * i + 2)]["id"]),
        ];
        let srv = &srv;
        let t = &t;
        async move {
            let u = create_unit(srv, &t.lian_a1, "COMPANY", &format!("单元{i}"), &ids).await;
            if i % 2 == 0 {
                data(&review_resp(srv, &t.tuan_a, &s(&u["id"]), true, None).await);
            }
        }
    };
    for i in 0..5 {
        create(i).await;
    }
    let (q5, _) = deep_listing_cost(&srv, &t.admin, 5).await;
    for i in 5..50 {
        create(i).await;
    }
    let (q50, d50) = deep_listing_cost(&srv, &t.admin, 50).await;
    assert_eq!(d50["traceUnits"]["totalCount"], 50);
    eprintln!("deep traceUnits listing: {q5} SQL statements for 5 units, {q50} for 50 ({backend:?})");
    assert!(q5 <= 25, "listing 5 units took {q5} SQL statements (bound 25)");
    assert!(q50 <= 25, "listing 50 units took {q50} SQL statements (bound 25; 5 units took {q5})");
    assert!(q50 <= q5 + 2, "statements grow with the number of units: {q5} for 5, {q50} for 50");
}

/// Runs `sets` as simultaneous createTraceUnit calls; returns (index, response).
async fn race(srv: &TestServer, token: &str, sets: &[Vec<String>], tag: &str) -> Vec<(usize, Value)> {
    let futs = sets.iter().enumerate().map(|(i, ids)| {
        let input = create_input("COMPANY", &format!("{tag}{i}"), ids);
        async move { (i, create_unit_resp(srv, token, input).await) }
    });
    futures_util::future::join_all(futs).await
}

/// After a race: every plot in at most one live unit, winners' units hold exactly
/// their sets, losers got PLOT_TAKEN. Returns the number of winners.
async fn check_race(srv: &TestServer, t: &Tree, sets: &[Vec<String>], results: &[(usize, Value)], what: &str) -> usize {
    let mut winners = Vec::new();
    let mut other_codes = Vec::new();
    for (i, resp) in results {
        if resp.get("errors").is_some_and(|e| !e.is_null()) {
            let code = resp["errors"][0]["extensions"]["code"].as_str().unwrap_or("?").to_string();
            if code != "PLOT_TAKEN" {
                other_codes.push((*i, resp.clone()));
            } else {
                let m = err_msg(resp);
                assert!(has_cjk(&m) && (m.contains("C-") || m.contains("H-")), "{what}: PLOT_TAKEN names the plot: {m}");
            }
        } else {
            let u = resp["data"]["createTraceUnit"].clone();
            assert_eq!(u["status"], "PENDING", "{what}: {u}");
            winners.push((*i, u));
        }
    }
    assert!(other_codes.is_empty(), "{what}: losers must get PLOT_TAKEN, got {other_codes:?}");
    assert!(!winners.is_empty(), "{what}: at least one save wins");

    // Winners hold exactly their requested plots, pairwise disjoint.
    let mut claimed: BTreeMap<String, String> = BTreeMap::new(); // plot id -> unit id
    for (i, u) in &winners {
        let state = unit_state(srv, &t.admin, &s(&u["id"])).await;
        let mut held: Vec<String> = state["members"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["plots"].as_array().unwrap().iter().map(|p| s(&p["id"])))
            .collect();
        held.sort();
        let mut want = sets[*i].clone();
        want.sort();
        assert_eq!(held, want, "{what}: winner {i} holds its plots");
        for p in held {
            if let Some(other) = claimed.insert(p.clone(), s(&u["id"])) {
                panic!("{what}: plot {p} is in two live units: {other} and {}", s(&u["id"]));
            }
        }
    }
    // No unit was created for a loser; Plot.traceUnit agrees with the memberships.
    let all = units_conn(srv, &t.admin, json!({ "f": 200, "st": "PENDING" })).await;
    let live: BTreeSet<String> = nodes(&all).iter().filter(|u| s(&u["name"]).starts_with(&what[..1])).map(|u| s(&u["id"])).collect();
    let won: BTreeSet<String> = winners.iter().map(|(_, u)| s(&u["id"])).collect();
    assert_eq!(live, won, "{what}: exactly the winners' units exist");
    let prefix = format!("{}-", &what[..1]);
    for p in plots(srv, &t.admin, &t.company_a1, SEASON).await.values() {
        if !s(&p["code"]).starts_with(&prefix) {
            continue; // the other round's plots
        }
        let pid = s(&p["id"]);
        assert_eq!(
            p["traceUnit"]["id"].as_str().map(str::to_string),
            claimed.get(&pid).cloned(),
            "{what}: Plot.traceUnit of {}",
            p["code"]
        );
    }
    winners.len()
}

async fn concurrent_creates_claim_each_plot_once(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    set_min_area(&srv, &t.admin, SEASON, "300").await;
    let mut rows = company_rows("C", 14, 1);
    rows.extend(company_rows("H", 25, 100));
    import_roster(&srv, &t.admin, &t.company_a1, SEASON, &rows).await;
    let plot: BTreeMap<String, String> = plots(&srv, &t.admin, &t.company_a1, SEASON).await.into_iter().map(|(c, p)| (c, s(&p["id"]))).collect();
    let id = |c: String| plot[&c].clone();

    // Round 1: a chain of overlapping triples C-01..03, C-02..04, ..., C-12..14.
    let sets: Vec<Vec<String>> = (0..12).map(|i| (1..=3).map(|k| id(format!("C-{:02}", i + k))).collect()).collect();
    let results = race(&srv, &t.lian_a1, &sets, "C").await;
    let n1 = check_race(&srv, &t, &sets, &results, "C: chain of overlapping sets").await;
    assert!(n1 <= 4, "at most 4 disjoint triples fit in 14 plots, got {n1}");

    // Round 2: all twelve share the hot plot H-25: exactly one wins.
    let sets: Vec<Vec<String>> = (0..12)
        .map(|i| vec![id("H-25".into()), id(format!("H-{:02}", 2 * i + 1)), id(format!("H-{:02}", 2 * i + 2))])
        .collect();
    let results = race(&srv, &t.lian_a1, &sets, "H").await;
    let n2 = check_race(&srv, &t, &sets, &results, "H: one shared plot").await;
    assert_eq!(n2, 1, "exactly one of the saves sharing H-25 wins");
    // Every loser's message names the hot plot.
    for (_, resp) in &results {
        if resp.get("errors").is_some_and(|e| !e.is_null()) {
            assert!(err_msg(resp).contains("H-25"), "the loser learns which plot: {resp}");
        }
    }
}

async fn demo_has_rosters_and_units_in_every_state(backend: Backend) {
    let srv = TestServer::start(backend, Opts::demo()).await;
    let admin = srv.admin_token().await;
    let companies = srv.orgs_of_kind("COMPANY").await;
    assert_eq!(companies.len(), 4, "{companies:?}");
    let mut total = 0;
    for c in &companies {
        let conn = growers(&srv, &admin, &s(&c["id"]), SEASON, None).await;
        let n = conn["totalCount"].as_i64().unwrap();
        assert!(n > 0, "company {} has a roster: {conn}", c["code"]);
        for g in nodes(&conn) {
            assert!(!g["plots"].as_array().unwrap().is_empty(), "a grower with plots: {g}");
            assert!(s(&g["idNumberMasked"]).contains("**********"), "masked: {g}");
        }
        total += n;
    }
    assert!(total >= 60, "at least 60 growers in the demo, got {total}");

    let conn = srv
        .ok(Some(&admin), "{ traceUnits(season: 2026, first: 200) { totalCount edges { node { status kind totalAreaMu members { grower { id } } } } } }", json!({}))
        .await["traceUnits"]
        .clone();
    let statuses: BTreeSet<String> = nodes(&conn).iter().map(|u| s(&u["status"])).collect();
    for st in ["PENDING", "APPROVED", "REJECTED", "DISSOLVED"] {
        assert!(statuses.contains(st), "a demo unit in state {st}: {conn}");
    }
    for u in nodes(&conn) {
        if u["status"] != "DISSOLVED" {
            assert!(dec(&u["totalAreaMu"]) >= d("500"), "a live demo unit meets the 500 mu minimum: {u}");
        }
    }

    // A demo grower signs in and sees their unit.
    let g = grower_login(&srv, "13901000001").await;
    let res = srv.ok(Some(&g), MY_RESULTS, json!({ "s": SEASON })).await["myResults"]["units"].clone();
    assert!(!res.as_array().unwrap().is_empty(), "the first demo grower is in a unit: {res}");
}
