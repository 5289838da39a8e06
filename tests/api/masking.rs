//! Mobiles are personal data (issue 16 item 4): a roster entry's mobile is shown
//! whole only to the grower themself, their company, its regiment and the admin; an
//! account's to itself, the admin and its regiment; a legal person's to the unit's
//! creator, its regiment and the admin. Everyone else gets `137****0002`.

use serde_json::{Value, json};

use crate::harness::*;
use crate::unit_fixtures::*;

both_backends!(co_members_mobiles_are_masked, legal_person_and_account_mobiles);

fn masked_mobile(m: &str) -> String {
    format!("{}****{}", &m[..3], &m[m.len() - 4..])
}

const MEMBERS_Q: &str = "query($id: ID!) { traceUnit(id: $id) { members { grower { id name phone } } } }";

/// name → phone of each member, as `token` sees them.
async fn member_phones(srv: &TestServer, token: &str, unit: &Value) -> Vec<(String, String)> {
    let d = srv.ok(Some(token), MEMBERS_Q, json!({ "id": unit["id"] })).await;
    let mut out: Vec<(String, String)> = d["traceUnit"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (s(&m["grower"]["name"]), s(&m["grower"]["phone"])))
        .collect();
    out.sort();
    out
}

async fn co_members_mobiles_are_masked(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    // Growers 1, 2, 3 hold A1-01..A1-05.
    let unit = create_unit(&srv, &t.lian_a1, "COMPANY", "甲", &w.ids(&["A1-01", "A1-02", "A1-03", "A1-04", "A1-05"])).await;
    let whole = vec![
        ("种植者1".to_string(), phone(1)),
        ("种植者2".to_string(), phone(2)),
        ("种植者3".to_string(), phone(3)),
    ];
    for (who, token) in [("company", &t.lian_a1), ("regiment", &t.tuan_a), ("admin", &t.admin)] {
        assert_eq!(member_phones(&srv, token, &unit).await, whole, "{who} sees every mobile whole");
    }
    let g1 = grower_login(&srv, &phone(1)).await;
    let seen = member_phones(&srv, &g1, &unit).await;
    assert_eq!(
        seen,
        vec![
            ("种植者1".to_string(), phone(1)),
            ("种植者2".to_string(), masked_mobile(&phone(2))),
            ("种植者3".to_string(), masked_mobile(&phone(3))),
        ],
        "a grower sees their own mobile and only masked co-members'"
    );
    assert_eq!(masked_mobile(&phone(2)), "137****0002");

    // The same under myResults, and the grower's own roster ids to find "my plots" by.
    let d = srv
        .ok(Some(&g1), "{ myResults { growerIds units { members { grower { id name phone } } } } }", json!({}))
        .await;
    let r = &d["myResults"];
    let ids: Vec<String> = r["growerIds"].as_array().unwrap().iter().map(s).collect();
    assert_eq!(ids.len(), 1, "one roster entry with grower 1's mobile: {r}");
    for m in r["units"][0]["members"].as_array().unwrap() {
        let mine = ids.contains(&s(&m["grower"]["id"]));
        assert_eq!(mine, s(&m["grower"]["name"]) == "种植者1", "growerIds picks grower 1 only: {m}");
        let p = s(&m["grower"]["phone"]);
        assert_eq!(!p.contains('*'), mine, "only the grower's own mobile is whole: {m}");
    }

    // The enterprise reading the grower's tickets by ID number sees a masked mobile.
    let d = srv
        .ok(
            Some(&t.qy_a),
            "query($i: String!, $s: Int!) { growerTickets(idNumber: $i, season: $s) { grower { phone idNumberMasked } } }",
            json!({ "i": id_number(2), "s": SEASON }),
        )
        .await;
    assert_eq!(d["growerTickets"]["grower"]["phone"], masked_mobile(&phone(2)), "enterprise: {d}");
    // The regiment sees the roster of every company in its area whole.
    let d = srv
        .ok(
            Some(&t.tuan_a),
            "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s) { edges { node { phone } } } }",
            json!({ "c": w.company_a2, "s": SEASON }),
        )
        .await;
    for e in d["growers"]["edges"].as_array().unwrap() {
        assert!(!s(&e["node"]["phone"]).contains('*'), "regiment A sees company A2's roster whole: {e}");
    }
}

async fn legal_person_and_account_mobiles(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init = srv.register_initiator("13800000001", &t.regiment_a).await;
    let mut input = create_input("COOPERATIVE", "合作社", &w.ids(&["A1-07", "A1-08", "A1-09", "A1-10", "A1-11"]));
    input["legalPerson"] = legal_person();
    let resp = create_unit_resp(&srv, &init, input).await;
    let unit = data(&resp)["createTraceUnit"].clone();
    let q = "query($id: ID!) { traceUnit(id: $id) { legalPerson { phone } reviews { by { username phone } } } }";
    for (who, token) in [("creator", &init), ("regiment", &t.tuan_a), ("admin", &t.admin)] {
        let d = srv.ok(Some(token), q, json!({ "id": unit["id"] })).await;
        assert_eq!(d["traceUnit"]["legalPerson"]["phone"], "13912345678", "{who}: {d}");
        // The SUBMIT review was made by the initiator, whose account mobile the
        // creator (itself), its regiment and the admin see whole.
        assert_eq!(d["traceUnit"]["reviews"][0]["by"]["phone"], "13800000001", "{who}: {d}");
    }
    // Grower 4 holds A1-07 and A1-08: a member, but the legal person's and the
    // initiator's mobiles are not theirs.
    let g4 = grower_login(&srv, &phone(4)).await;
    let d = srv.ok(Some(&g4), q, json!({ "id": unit["id"] })).await;
    assert_eq!(d["traceUnit"]["legalPerson"]["phone"], "139****5678", "grower: {d}");
    assert_eq!(d["traceUnit"]["reviews"][0]["by"]["phone"], "138****0001", "grower: {d}");
    // An account reads its own mobile whole.
    let d = srv.ok(Some(&init), "{ me { phone } }", json!({})).await;
    assert_eq!(d["me"]["phone"], "13800000001");
    let d = srv.ok(Some(&g4), "{ me { phone } }", json!({})).await;
    assert_eq!(d["me"]["phone"], phone(4));
}
