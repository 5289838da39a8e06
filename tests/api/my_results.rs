//! `myResults` precomputed (issue 19; docs/decisions.md "myResults precomputed"):
//! the grower's results page and each unit's allocation are kept in the database
//! and marked stale by triggers in the writer's transaction. Every kind of change
//! shows in the next read — a ticket uploaded and re-sent, a card printed, a bale
//! pressed, an inspection imported and re-imported, season rules changed, a unit
//! reviewed, revoked and dissolved — after a read kept the page; on PostgreSQL
//! the changes are made through a second server instance on the same database
//! while the first one answers. The kept page costs a fixed few statements.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::ginning::{self, Pr, SEASON};
use crate::harness::*;
use crate::processing_fixture::*;
use crate::unit_fixtures;

both_backends!(my_results_follow_every_change, my_results_of_a_mobile_in_two_rosters);

/// The benchmark's selection, plus the units' status and the ticket's fields a
/// re-send changes.
const FULL: &str = "query($s: Int) { myResults(season: $s) { growerIds units { id code status } tickets { ticketNo netKg tareKg late card { cardNo status processedLintKg bales { barcode conditionedKg inspection { lengthMm strength micronaire premium } } } } premiumShares { unit { id } seedKg shareKg } } }";
const ALLOCATION: &str = "query($u: ID!) { premiumAllocation(unitId: $u) { premiumKg shares { grower { name } seedKg shareKg } } }";
const RULES: &str = "mutation($s: Int!, $i: SeasonRulesInput!) { setSeasonRules(season: $s, input: $i) { premiumMicMax } }";

/// Reads G's page twice through `read` (the second answer comes from the kept
/// page) and checks both are the same.
async fn page(read: &TestServer, token: &str) -> Value {
    let first = read.ok(Some(token), FULL, json!({ "s": SEASON })).await["myResults"].clone();
    let again = read.ok(Some(token), FULL, json!({ "s": SEASON })).await["myResults"].clone();
    assert_eq!(first, again, "a kept page answers as the computed one");
    first
}

fn bales_of(p: &Value) -> Vec<Value> {
    p["tickets"].as_array().unwrap().iter().flat_map(|t| t["card"]["bales"].as_array().cloned().unwrap_or_default()).collect()
}

fn share(p: &Value) -> Option<(Decimal, Decimal)> {
    let ps = p["premiumShares"].as_array().unwrap();
    assert!(ps.len() <= 1, "{p}");
    ps.first().map(|x| (dec(&x["seedKg"]), dec(&x["shareKg"])))
}

async fn my_results_follow_every_change(backend: Backend) {
    let (a, m) = start(backend).await;
    // The writer: a second instance on the same database (PostgreSQL), so the
    // first instance answers from what the database says, not from its memory.
    let second = match backend {
        Backend::Postgres => Some(a.another_on_same_db_with(ginning::opts()).await),
        Backend::Sqlite => None,
    };
    let w = second.as_ref().unwrap_or(&a);
    let admin = m.t.admin.clone();
    let qy = m.qy_a().to_string();
    let g2 = unit_fixtures::grower_login(&a, &m.phone(2)).await;

    // Nothing delivered yet: the unit, no tickets, no shares.
    let p = page(&a, &g2).await;
    assert_eq!(p["units"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["units"][0]["id"], m.u3.as_str());
    assert_eq!(p["units"][0]["status"], "APPROVED");
    assert_eq!(p["tickets"], json!([]));
    assert_eq!(p["premiumShares"], json!([]));

    // A ticket uploaded: shown, without a card.
    let tk = ticket(&m, "R-1", 2, "A1-02-1", "2200", "300");
    let t = ginning::upload(w, &qy, &tk).await;
    let p = page(&a, &g2).await;
    assert_eq!(p["tickets"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["tickets"][0]["ticketNo"], "R-1");
    assert_eq!(dec(&p["tickets"][0]["netKg"]), d("1900"));
    assert_eq!(p["tickets"][0]["card"], Value::Null);

    // Re-sent with the tare corrected: the new net weight.
    ginning::upload(w, &qy, &ginning::Tk(tk.0.clone()).tare("200")).await;
    let p = page(&a, &g2).await;
    assert_eq!(dec(&p["tickets"][0]["netKg"]), d("2000"), "{p}");
    assert_eq!(dec(&p["tickets"][0]["tareKg"]), d("200"));

    // The card printed: shown; the unit's S now has G2's 2000 kg (share 0: no bale).
    let printed = ginning::print(w, &qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await;
    let card = s(&printed["card"]["cardNo"]);
    let p = page(&a, &g2).await;
    assert_eq!(p["tickets"][0]["card"]["cardNo"], card.as_str(), "{p}");
    assert_eq!(p["tickets"][0]["card"]["status"], "PRINTED");
    assert_eq!(p["tickets"][0]["card"]["bales"], json!([]));
    assert_eq!(share(&p), Some((d("2000"), d("0"))));

    // A bale pressed on a VI line: the card is processing, the bale linked, no
    // inspection yet.
    let line = create_line(w, &qy, "一号线", "VI").await;
    scan(w, &qy, &line.id, &[&card]).await;
    delay(w, &qy, &line.id, &card, 0).await;
    bale(w, &qy, &line.id, "R1A", "227", None).await;
    let p = page(&a, &g2).await;
    assert_eq!(p["tickets"][0]["card"]["status"], "PROCESSING", "{p}");
    assert_eq!(dec(&p["tickets"][0]["card"]["processedLintKg"]), d("227.00"));
    assert_eq!(bales_of(&p), vec![json!({ "barcode": "R1A", "conditionedKg": "227.00", "inspection": null })]);
    assert_eq!(share(&p), Some((d("2000"), d("0"))));

    // A second bale, then the card ended by hand.
    bale(w, &qy, &line.id, "R1B", "226", None).await;
    end(w, &qy, &line.id).await;
    let p = page(&a, &g2).await;
    assert_eq!(p["tickets"][0]["card"]["status"], "FINISHED", "{p}");
    assert_eq!(bales_of(&p).len(), 2);

    // The inspection imported: R1A premium, R1B not (length 28.0). G2 is U3's only
    // grower with carded seed cotton: all of Q.
    let rows: [InspRow; 2] = [
        ["R1A", "21", "30.0", "30.0", "4.5", "84.0", "2.0", "8.0", "226.50"],
        ["R1B", "21", "28.0", "30.0", "4.0", "84.0", "2.0", "8.0", "225.00"],
    ];
    let rep = import_inspections(w, &admin, "公检.csv", inspection_csv(&rows)).await;
    assert_eq!(counts(&rep), [2, 0, 0, 0], "{rep}");
    let p = page(&a, &g2).await;
    let bales = bales_of(&p);
    assert_eq!(bales[0]["inspection"], json!({ "lengthMm": "30.0", "strength": "30.0", "micronaire": "4.5", "premium": true }), "{p}");
    assert_eq!(bales[1]["inspection"]["premium"], false);
    assert_eq!(share(&p), Some((d("2000"), d("226.50"))));
    let alloc = a.ok(Some(&admin), ALLOCATION, json!({ "u": m.u3 })).await["premiumAllocation"].clone();
    assert_eq!(dec(&alloc["premiumKg"]), d("226.50"), "{alloc}");

    // Re-imported with R1B's length corrected: both premium, Q = 451.50.
    let rows: [InspRow; 1] = [["R1B", "21", "29.5", "30.0", "4.0", "84.0", "2.0", "8.0", "225.00"]];
    let rep = import_inspections(w, &admin, "公检2.csv", inspection_csv(&rows)).await;
    assert_eq!(counts(&rep), [0, 1, 0, 0], "{rep}");
    let p = page(&a, &g2).await;
    assert_eq!(bales_of(&p)[1]["inspection"]["lengthMm"], "29.5", "{p}");
    assert_eq!(bales_of(&p)[1]["inspection"]["premium"], true);
    assert_eq!(share(&p), Some((d("2000"), d("451.50"))));

    // Season rules: micronaire at most 4.4 → R1A (4.5) is no longer premium.
    w.ok(Some(&admin), RULES, json!({ "s": SEASON, "i": { "premiumMicMax": "4.4" } })).await;
    let p = page(&a, &g2).await;
    assert_eq!(bales_of(&p)[0]["inspection"]["premium"], false, "{p}");
    assert_eq!(share(&p), Some((d("2000"), d("225.00"))));
    w.ok(Some(&admin), RULES, json!({ "s": SEASON, "i": { "premiumMicMax": "4.9" } })).await;
    let p = page(&a, &g2).await;
    assert_eq!(bales_of(&p)[0]["inspection"]["premium"], true, "{p}");
    assert_eq!(share(&p), Some((d("2000"), d("451.50"))));

    // Another grower's card in the same unit changes G2's share (S grows): G3
    // delivers 3000 kg → G2 gets 2/5 of 451.50 = 180.60.
    card_of(w, &qy, &ticket(&m, "R-3", 3, "A1-03-1", "3200", "200")).await;
    let p = page(&a, &g2).await;
    assert_eq!(share(&p), Some((d("2000"), d("180.60"))), "{p}");

    // The kept page costs a fixed few statements, whatever the number of bales.
    let before = unit_fixtures::db_queries(&a).await;
    a.ok(Some(&g2), FULL, json!({ "s": SEASON })).await;
    let n = unit_fixtures::db_queries(&a).await - before;
    eprintln!("myResults from the kept page ({backend:?}): {n} SQL statements");
    assert!(n <= 4, "myResults from the kept page took {n} SQL statements");

    // Unit review: G7's PENDING unit UP is approved, its review revoked, and it is
    // dissolved; G7 holds UW (approved) too.
    let g7 = unit_fixtures::grower_login(&a, &m.phone(7)).await;
    let status_of = |p: &Value, u: &str| p["units"].as_array().unwrap().iter().find(|x| x["id"] == u).map(|x| s(&x["status"]));
    let p = page(&a, &g7).await;
    assert_eq!(status_of(&p, &m.up).as_deref(), Some("PENDING"), "{p}");
    assert_eq!(status_of(&p, &m.uw).as_deref(), Some("APPROVED"));
    let r = unit_fixtures::review_resp(w, &m.t.tuan_a, &m.up, true, None).await;
    assert_eq!(data(&r)["reviewTraceUnit"]["status"], "APPROVED", "{r}");
    let p = page(&a, &g7).await;
    assert_eq!(status_of(&p, &m.up).as_deref(), Some("APPROVED"), "{p}");
    let r = unit_fixtures::revoke_resp(w, &m.t.tuan_a, &m.up, "重新核对地块").await;
    assert_eq!(data(&r)["revokeReview"]["status"], "PENDING", "{r}");
    let p = page(&a, &g7).await;
    assert_eq!(status_of(&p, &m.up).as_deref(), Some("PENDING"), "{p}");
    let r = unit_fixtures::dissolve_resp(w, &m.t.lian_a1, &m.up).await;
    assert_eq!(data(&r)["dissolveTraceUnit"]["status"], "DISSOLVED", "{r}");
    let p = page(&a, &g7).await;
    assert_eq!(status_of(&p, &m.up), None, "a dissolved unit holds no plot of G7's: {p}");
    assert_eq!(status_of(&p, &m.uw).as_deref(), Some("APPROVED"));

    // Still only for growers.
    assert_eq!(a.code(Some(&qy), FULL, json!({ "s": SEASON })).await, "FORBIDDEN");
}

/// One mobile on two roster entries (two people sharing a phone, in two
/// companies): both entries are the signed-in grower; their pages are kept apart
/// and answered together, tickets in id order; a change of either shows.
async fn my_results_of_a_mobile_in_two_rosters(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a().to_string();
    let other = ginning::id_number(409);
    let rows = [unit_fixtures::row("孙小梅", &other, &m.phone(8), "A1-08-9", "100")];
    let rep = unit_fixtures::import_roster(&srv, &m.t.lian_a1, &m.t.company_a1, i64::from(SEASON), &rows).await;
    assert_eq!(unit_fixtures::counts(&rep), [1, 0, 0, 0], "{rep}");
    let plots = unit_fixtures::plots(&srv, &m.t.lian_a1, &m.t.company_a1, i64::from(SEASON)).await;
    let plot9 = s(&plots["A1-08-9"]["id"]);

    let g8 = unit_fixtures::grower_login(&srv, &m.phone(8)).await;
    let p = page(&srv, &g8).await;
    assert_eq!(p["growerIds"].as_array().unwrap().len(), 2, "{p}");
    assert_eq!(p["units"].as_array().unwrap().iter().map(|u| s(&u["id"])).collect::<Vec<_>>(), vec![m.ub.clone()], "{p}");
    assert_eq!(p["tickets"], json!([]));

    // G8's card in UB, then a ticket of the other entry (no unit, no card).
    card_of(&srv, &qy, &ticket(&m, "R-8", 8, "B1-08-1", "1000", "200")).await;
    let p = page(&srv, &g8).await;
    assert_eq!(p["tickets"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(share(&p), Some((d("800"), d("0"))));
    ginning::upload(&srv, &qy, &ginning::Tk::new("R-9", &other, &[plot9], "1000").tare("100")).await;
    let p = page(&srv, &g8).await;
    let nos: Vec<String> = p["tickets"].as_array().unwrap().iter().map(|t| s(&t["ticketNo"])).collect();
    assert_eq!(nos, ["R-8", "R-9"], "{p}");
    assert_eq!(p["tickets"][1]["card"], Value::Null);
    assert_eq!(dec(&p["tickets"][1]["netKg"]), d("900"));
}
