//! The public bale trace (issue 20): `baleTrace` and the page a bale tag's QR
//! code opens at `/t/<barcode>`, over HTTP on both backends. Bales are pressed on
//! a VI line for three units (a company's, a cooperative's, another regiment's)
//! and inspected; anyone — signed in or not — sees each traced bale's season,
//! enterprise, region, unit code, pressing, inspection and premium, and nothing
//! personal: the `BaleTrace` type reaches no field that could carry personal data
//! (walked by introspection), and no answer nor page holds any of the fixture's
//! grower or legal-person names, ID numbers, mobiles, ticket numbers, unit names
//! or user names. Unknown, delay and card-less bales answer null (the page says
//! 未找到该棉包); a malformed or over-long barcode is VALIDATION in Chinese. The
//! public budget per IP (`COTTON_PUBLIC_TRACE_PER_IP`) counts every baleTrace,
//! aliased ones included, apart from the sign-in budget.
//!
//! The page runs in headless Chromium (Debian's `chromium`) at 360 px; its
//! screenshot goes to `target/tmp/bale-trace-<backend>.png`, and with
//! `COTTON_UPDATE_SCREENSHOT=1` (SQLite run) to `docs/screenshots/bale-trace.png`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::cdp::{Browser, chromium_or_skip};
use crate::ginning::{SEASON, masked, parse_time};
use crate::harness::*;
use crate::processing_fixture::*;
use crate::unit_fixtures::{self, err_msg};

both_backends!(pressed_and_inspected_bales_show_publicly_without_personal_data, public_trace_has_its_own_budget_per_ip);

pub const TRACE: &str = "query($b: String!) { baleTrace(barcode: $b) { barcode season enterpriseName regionName unitCode pressedAt conditionedKg premium inspection { colorGrade lengthMm strength micronaire uniformityPct trashPct moisturePct conditionedKg premium } } }";

/// When the bales were pressed: 03:04:05 UTC, 11:04 Beijing time.
const PRESSED_AT: [&str; 3] = ["2026-10-12T03:04:05Z", "2026-10-12T05:30:00Z", "2026-10-13T01:15:00Z"];

/// Premium (双29B2); not premium (length 27.5); a delay bale and a card-less
/// bale inspected too, so that their null answer is not for want of an inspection.
const INSPECTIONS: [InspRow; 4] = [
    ["BT0001", "21", "30.1", "30.5", "4.1", "83.5", "2.1", "7.2", "230.10"],
    ["BT0002", "31", "27.5", "27.0", "4.6", "82.0", "2.5", "7.4", "229.80"],
    ["BTDLY1", "21", "30.0", "30.0", "4.0", "84.0", "2.0", "8.0", "220.00"],
    ["BTNOCARD", "21", "30.0", "30.0", "4.0", "84.0", "2.0", "8.0", "200.00"],
];

struct World {
    m: Mill,
    /// The unit codes of U1 (company A1), UC (the initiator's cooperative), UB (regiment B).
    u1_code: String,
    uc_code: String,
    ub_code: String,
    /// Everything personal the fixture holds (and names that may carry it).
    personal: Vec<String>,
}

async fn unit_code(srv: &TestServer, admin: &str, id: &str) -> String {
    let d = srv.ok(Some(admin), "query($i: ID!) { traceUnit(id: $i) { code } }", json!({ "i": id })).await;
    s(&d["traceUnit"]["code"])
}

async fn press(srv: &TestServer, token: &str, line: &str, barcode: &str, net: &str, moisture: Option<&str>, at: &str) -> Value {
    let resp = srv.gql(Some(token), &bale_q(), json!({ "l": line, "b": barcode, "n": net, "m": moisture, "t": at })).await;
    data(&resp)["recordBale"]["bale"].clone()
}

/// The processing fixture, three cards of three units, five bales on one VI line
/// of qy_a, and the inspections:
///
/// ```text
/// card  ticket     grower unit                                    bales
/// c1    TK-BT-1    G1     U1 (company A1, 一二一团一连)            BTDLY1 (delay), BT0001 227 @ 8.5 → 227.00
/// c5    TK-BT-5    G5     UC (cooperative, legal person)          BT0002 230 @ 9.0 → 228.94
/// cb    TK-BT-B    G8     UB (company B1 of regiment B)           BT0003 227, never inspected
/// (no card: the queue is empty)                                   BTNOCARD
/// ```
async fn world(backend: Backend) -> (TestServer, World) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a().to_string();
    let c1 = card_of(&srv, &qy, &ticket(&m, "TK-BT-1", 1, "A1-01-1", "1000", "200")).await;
    let c5 = card_of(&srv, &qy, &ticket(&m, "TK-BT-5", 5, "A1-05-1", "1000", "200")).await;
    let cb = card_of(&srv, &qy, &ticket(&m, "TK-BT-B", 8, "B1-08-1", "1000", "200")).await;
    let line = create_line(&srv, &qy, "扫码线", "VI").await;
    let l = line.id.as_str();

    assert_eq!(scan(&srv, &qy, l, &[&c1]).await, vec![judged(&c1, "NEED_DELAY")]);
    delay(&srv, &qy, l, &c1, 1).await;
    let b = press(&srv, &qy, l, "BTDLY1", "220", None, PRESSED_AT[0]).await;
    assert_eq!(b["traced"], false, "the delay bale: {b}");
    let b = press(&srv, &qy, l, "BT0001", "227", Some("8.5"), PRESSED_AT[0]).await;
    assert_eq!((b["traced"].clone(), b["card"]["cardNo"].clone()), (json!(true), json!(c1)), "{b}");
    assert_eq!(b["conditionedKg"], "227.00");
    end(&srv, &qy, l).await;
    for (card, barcode, net, moisture, at) in [(&c5, "BT0002", "230", Some("9.0"), PRESSED_AT[1]), (&cb, "BT0003", "227", None, PRESSED_AT[2])] {
        assert_eq!(scan(&srv, &qy, l, &[card]).await, vec![judged(card, "STARTED")]);
        let b = press(&srv, &qy, l, barcode, net, moisture, at).await;
        assert_eq!(b["card"]["cardNo"], card.as_str(), "{b}");
        end(&srv, &qy, l).await;
    }
    let b = press(&srv, &qy, l, "BTNOCARD", "200", None, PRESSED_AT[2]).await;
    assert_eq!((b["traced"].clone(), b["card"].clone()), (json!(false), Value::Null), "no card, not traced: {b}");

    let report = import_inspections(&srv, &m.t.admin, "公检.csv", inspection_csv(&INSPECTIONS)).await;
    assert_eq!(counts(&report), [4, 0, 0, 0], "{report}");

    let (u1_code, uc_code, ub_code) = (unit_code(&srv, &m.t.admin, &m.u1).await, unit_code(&srv, &m.t.admin, &m.uc).await, unit_code(&srv, &m.t.admin, &m.ub).await);

    let mut personal: Vec<String> = Vec::new();
    for g in &m.growers[1..] {
        let phone = &g.phone;
        personal.extend([g.name.to_string(), g.id_number.clone(), masked(&g.id_number), phone.clone(), format!("{}****{}", &phone[..3], &phone[7..])]);
    }
    let lp = unit_fixtures::legal_person();
    for k in ["name", "idNumber", "phone", "creditCode"] {
        personal.push(s(&lp[k]));
    }
    personal.push(masked(&s(&lp["idNumber"])));
    personal.extend(["TK-BT-1", "TK-BT-5", "TK-BT-B", INITIATOR_PHONE, "单户追溯单元", "合作社追溯单元", "二二团追溯单元"].map(String::from));
    personal.extend(["qy_a", "lian_a1", "lian_b1", "tuan_a", "tuan_b"].map(String::from));
    (srv, World { m, u1_code, uc_code, ub_code, personal })
}

fn assert_nothing_personal(what: &str, text: &str, personal: &[String]) {
    let found: Vec<&String> = personal.iter().filter(|p| text.contains(p.as_str())).collect();
    assert!(found.is_empty(), "{what} holds personal data {found:?}:\n{text}");
}

async fn trace(srv: &TestServer, token: Option<&str>, barcode: &str) -> Value {
    srv.ok(token, TRACE, json!({ "b": barcode })).await["baleTrace"].clone()
}

async fn pressed_and_inspected_bales_show_publicly_without_personal_data(backend: Backend) {
    let (srv, w) = world(backend).await;
    api(&srv, &w).await;
    page(&srv, &w, backend).await;
}

async fn api(srv: &TestServer, w: &World) {
    // Anyone: no token, a grower's, a stale or forged one — the same answer.
    let bt1 = trace(srv, None, "BT0001").await;
    let pressed = bt1["pressedAt"].clone();
    assert_eq!(parse_time(&pressed), parse_time(&json!(PRESSED_AT[0])), "{bt1}");
    assert_eq!(
        bt1,
        json!({
            "barcode": "BT0001", "season": SEASON, "enterpriseName": "一二一团棉业", "regionName": "一二一团一连",
            "unitCode": w.u1_code, "pressedAt": pressed, "conditionedKg": "227.00", "premium": true,
            "inspection": { "colorGrade": "21", "lengthMm": "30.1", "strength": "30.5", "micronaire": "4.1", "uniformityPct": "83.50",
                            "trashPct": "2.10", "moisturePct": "7.20", "conditionedKg": "230.10", "premium": true }
        })
    );
    let code = srv.sms_code(&w.m.phone(1)).await;
    let g1 = srv.ok(None, unit_fixtures::GROWER_LOGIN, json!({ "p": w.m.phone(1), "c": code })).await;
    let g1 = s(&g1["growerLogin"]["accessToken"]);
    for token in [Some(g1.as_str()), Some("not-a-token"), Some(w.m.t.admin.as_str()), Some(w.m.qy_b.as_str())] {
        assert_eq!(trace(srv, token, "BT0001").await, bt1, "the same public answer for every caller");
    }
    // Blanks around a scanned code are ignored.
    assert_eq!(trace(srv, None, " BT0001 ").await, bt1);

    // The cooperative's bale: not premium (length 27.5); the unit's region is the initiator's company.
    let bt2 = trace(srv, None, "BT0002").await;
    assert_eq!(
        (bt2["regionName"].clone(), bt2["unitCode"].clone(), bt2["conditionedKg"].clone(), bt2["premium"].clone(), bt2["inspection"]["premium"].clone()),
        (json!("一二一团一连"), json!(w.uc_code), json!("228.94"), json!(false), json!(false)),
        "{bt2}"
    );
    assert_eq!(bt2["inspection"]["lengthMm"], "27.5");
    // Regiment B's unit, pressed by qy_a, not inspected yet.
    let bt3 = trace(srv, None, "BT0003").await;
    assert_eq!(
        (bt3["regionName"].clone(), bt3["unitCode"].clone(), bt3["enterpriseName"].clone(), bt3["inspection"].clone(), bt3["premium"].clone()),
        (json!("一二二团一连"), json!(w.ub_code), json!("一二一团棉业"), Value::Null, json!(false)),
        "{bt3}"
    );
    assert_eq!(parse_time(&bt3["pressedAt"]), parse_time(&json!(PRESSED_AT[2])));

    // Unknown, delay and card-less bales: null, no error.
    for barcode in ["ZZ9999", "BTDLY1", "BTNOCARD", "bt0001"] {
        let resp = srv.gql(None, TRACE, json!({ "b": barcode })).await;
        assert_eq!(resp, json!({ "data": { "baleTrace": null } }), "{barcode}");
    }

    // Bad characters, empty, too long: VALIDATION with a Chinese message, bounded input.
    for barcode in ["BT-0001", "棉包0001", "BT 0001", "BT0001\u{7}", "", "   ", &"B".repeat(33), &"B".repeat(100_000)] {
        let resp = srv.gql(None, TRACE, json!({ "b": barcode })).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{barcode:?}: {resp}");
        assert!(resp.get("data").is_none_or(|d| d.is_null() || d["baleTrace"].is_null()), "{barcode:?}: {resp}");
        assert!(err_msg(&resp).contains("棉包条码"), "{barcode:?}: the message names the barcode: {resp}");
    }

    // No field reachable from BaleTrace can carry personal data.
    let mut types = BTreeSet::new();
    let mut fields = BTreeSet::new();
    let mut todo = vec!["BaleTrace".to_string()];
    while let Some(name) = todo.pop() {
        if !types.insert(name.clone()) {
            continue;
        }
        let d = srv
            .ok(None, "query($n: String!) { __type(name: $n) { kind fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }", json!({ "n": name }))
            .await;
        let t = &d["__type"];
        assert_eq!(t["kind"], "OBJECT", "{name}: {t}");
        for f in t["fields"].as_array().unwrap() {
            fields.insert(format!("{name}.{}", s(&f["name"])));
            let mut ty = &f["type"];
            while ty["name"].is_null() {
                ty = &ty["ofType"];
            }
            match ty["kind"].as_str().unwrap() {
                "SCALAR" | "ENUM" => assert!(["String", "Int", "Boolean", "Decimal", "DateTime"].contains(&ty["name"].as_str().unwrap()), "{name}.{}: {ty}", f["name"]),
                _ => todo.push(s(&ty["name"])),
            }
        }
    }
    assert_eq!(types, BTreeSet::from(["BaleTrace".to_string(), "Inspection".to_string()]), "BaleTrace reaches no other object (no grower, ticket, unit, card, account)");
    assert_eq!(
        fields.iter().filter(|f| f.starts_with("BaleTrace.")).cloned().collect::<BTreeSet<_>>(),
        ["barcode", "season", "enterpriseName", "regionName", "unitCode", "pressedAt", "conditionedKg", "inspection", "premium"]
            .iter()
            .map(|f| format!("BaleTrace.{f}"))
            .collect::<BTreeSet<_>>(),
        "exactly the contract's fields"
    );
    for f in &fields {
        let field = f.split('.').nth(1).unwrap().to_lowercase();
        for word in ["grower", "idnumber", "phone", "mobile", "ticket", "legal", "person", "account", "user", "credit", "member", "card", "plot"] {
            assert!(!field.contains(word), "{f} looks personal ({word})");
        }
        if field.contains("name") {
            assert!(["BaleTrace.enterpriseName", "BaleTrace.regionName"].contains(&f.as_str()), "{f}: only org names");
        }
    }

    // And no value of a real answer holds any of the fixture's personal data.
    let answers: Vec<String> = [bt1, bt2, bt3].iter().map(Value::to_string).collect();
    assert_nothing_personal("the baleTrace answers", &answers.join("\n"), &w.personal);
}

/// Only the test server (or `data:` URLs) was asked for anything.
fn only_local(requests: &[String], base: &str) {
    let outside: Vec<&String> = requests.iter().filter(|u| !u.starts_with(base) && !u.starts_with("data:")).collect();
    assert!(outside.is_empty(), "the page asked other hosts: {outside:?}");
}

const WIDTH: u32 = 360;
const HEIGHT: u32 = 780;

async fn open(b: &mut Browser, srv: &TestServer, path: &str) {
    b.eval("window.stale = true").await;
    b.call("Page.navigate", json!({ "url": srv.url(path) })).await;
    b.wait_js("the new page", "!window.stale && document.readyState === 'complete' && document.getElementById('loading').hidden").await;
}

async fn visible_text(b: &mut Browser, id: &str) -> String {
    let v = b.wait_js(id, &format!("!document.getElementById('{id}').hidden && document.getElementById('{id}').innerText")).await;
    s(&v)
}

async fn page(srv: &TestServer, w: &World, backend: Backend) {
    // The files, embedded in the binary, with their types.
    for (path, mime) in [("/t/BT0001", "text/html"), ("/t/", "text/html"), ("/t/_/app.js", "text/javascript"), ("/t/_/style.css", "text/css")] {
        let r = srv.http.get(srv.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(mime), "{path}: {:?}", r.headers()["content-type"]);
    }
    let html = srv.http.get(srv.url("/t/BT0001")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html, include_str!("../../clients/bale-trace/index.html"), "the embedded page");
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("name=\"viewport\"") && !html.contains("://"), "Chinese, for phones, no other host");
    assert_eq!(srv.http.get(srv.url("/t/_/nope.js")).send().await.unwrap().status(), 404);

    let Some(exe) = chromium_or_skip("the bale trace page browser test") else { return };
    let mut b = Browser::launch_with(&exe, WIDTH, HEIGHT, &["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]).await;
    b.record_requests().await;
    b.call("Emulation.setDeviceMetricsOverride", json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": true })).await;
    b.call("Page.enable", json!({})).await;

    // A traced, inspected, premium bale: its story from field to inspection.
    open(&mut b, srv, "/t/BT0001").await;
    let text = visible_text(&mut b, "trace").await;
    for expected in [
        "BT0001", "优质棉", "2026年度", "产地", "一二一团一连", w.u1_code.as_str(), "加工", "一二一团棉业", "2026-10-12 11:04", "227.00 kg",
        "纤维公证检验", "21（白棉2级）", "30.1 mm", "30.5 cN/tex", "4.1", "83.50 %", "230.10 kg", "达到本年度优质棉标准",
    ] {
        assert!(text.contains(expected), "the page shows {expected:?}:\n{text}");
    }
    let steps = b.eval("Array.from(document.querySelectorAll('#story .step')).map(e => e.id)").await;
    assert_eq!(steps, json!(["step-origin", "step-ginning", "step-inspection", "step-grade"]), "field to inspection, in order");
    let body = s(&b.eval("document.body.innerText").await);
    assert_nothing_personal("the page", &body, &w.personal);
    // Readable at 360 px: nothing wider than the screen, text not shrunk.
    let width = b.eval("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)").await;
    assert!(width.as_f64().unwrap() <= f64::from(WIDTH), "the page is {width} px wide on a {WIDTH} px screen");
    let font = b.eval("parseFloat(getComputedStyle(document.querySelector('dl.kv dd')).fontSize)").await;
    assert!(font.as_f64().unwrap() >= 14.0, "readable values: {font} px");

    b.eval("window.scrollTo(0, 0)").await;
    let png = b.screenshot(None, true).await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bale-trace-{backend:?}.png"));
    std::fs::write(&out, &png).unwrap();
    eprintln!("screenshot: {}", out.display());
    if backend == Backend::Sqlite && std::env::var("COTTON_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("bale-trace.png"), &png).unwrap();
    }

    // Not inspected yet: the inspection and the grade wait.
    open(&mut b, srv, "/t/BT0003").await;
    let text = visible_text(&mut b, "trace").await;
    for expected in ["BT0003", "待公检", "一二二团一连", w.ub_code.as_str(), "尚未公检", "待公检后判定"] {
        assert!(text.contains(expected), "the page shows {expected:?}:\n{text}");
    }
    assert!(!text.contains("优质棉 达到"), "{text}");

    // Unknown, delay and card-less codes: 未找到该棉包.
    for code in ["ZZ9999", "BTDLY1", "BTNOCARD"] {
        open(&mut b, srv, &format!("/t/{code}")).await;
        let text = visible_text(&mut b, "not-found").await;
        assert!(text.contains("未找到该棉包") && text.contains(code), "{code}:\n{text}");
        let trace_hidden = b.eval("document.getElementById('trace').hidden").await;
        assert_eq!(trace_hidden, true);
    }
    // A malformed code: 未找到该棉包 with the server's reason.
    open(&mut b, srv, "/t/BT-0001").await;
    let text = visible_text(&mut b, "not-found").await;
    assert!(text.contains("未找到该棉包") && text.contains("棉包条码应为1至32位英文字母或数字"), "{text}");
    // The form under it opens the page of a typed code.
    b.type_into("#code", "BT0002").await;
    b.eval("window.stale = true").await;
    b.eval("document.querySelector('#lookup button').click()").await;
    b.wait_js("the typed bale", "!window.stale && !document.getElementById('trace').hidden && document.getElementById('barcode').textContent === 'BT0002'").await;
    let text = visible_text(&mut b, "trace").await;
    assert!(text.contains("未达到本年度优质棉标准") && text.contains(w.uc_code.as_str()), "{text}");
    assert_nothing_personal("the page", &text, &w.personal);

    b.eval("1").await; // reads the DevTools events still queued
    only_local(&b.requests, &srv.base);
    assert!(b.requests.iter().any(|u| u.ends_with("/t/_/app.js")), "{:?}", b.requests);
}

async fn public_trace_has_its_own_budget_per_ip(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default().env("COTTON_PUBLIC_TRACE_PER_IP", "3/hour")).await;
    // Two aliased lookups in one document take two tokens, one more the third.
    let two = "{ a: baleTrace(barcode: \"NOPE1\") { season } b: baleTrace(barcode: \"NOPE2\") { season } }";
    assert_eq!(srv.ok(None, two, json!({})).await, json!({ "a": null, "b": null }));
    assert!(trace(&srv, None, "NOPE3").await.is_null());
    // The fourth: RATE_LIMITED before anything runs, in Chinese, signed in or not.
    let resp = srv.gql(None, TRACE, json!({ "b": "NOPE4" })).await;
    assert_eq!(err_code(&resp), "RATE_LIMITED", "{resp}");
    assert!(err_msg(&resp).contains("扫码查询"), "{resp}");
    assert!(resp.get("data").is_none(), "refused before execution: {resp}");
    let admin = srv.admin_token().await;
    assert_eq!(srv.code(Some(&admin), TRACE, json!({ "b": "NOPE5" })).await, "RATE_LIMITED", "the budget is per IP, not per account");
    // Sign-in and other queries keep their own budgets.
    assert!(srv.ok(Some(&admin), "{ orgs { id } }", json!({})).await["orgs"].is_array());
    srv.login(ADMIN_USER, ADMIN_PW).await;
    // The same document with a new address behind a trusted proxy has its own bucket.
    let srv = TestServer::start(backend, Opts::default().env("COTTON_PUBLIC_TRACE_PER_IP", "1/hour").env("COTTON_TRUSTED_PROXIES", "127.0.0.1")).await;
    let via = |ip: &'static str| {
        srv.http.post(srv.url("/graphql")).header("x-forwarded-for", ip).json(&json!({ "query": TRACE, "variables": { "b": "NOPE" } })).send()
    };
    let first: Value = via("203.0.113.1").await.unwrap().json().await.unwrap();
    assert_eq!(first, json!({ "data": { "baleTrace": null } }));
    let again: Value = via("203.0.113.1").await.unwrap().json().await.unwrap();
    assert_eq!(err_code(&again), "RATE_LIMITED", "{again}");
    let other: Value = via("203.0.113.2").await.unwrap().json().await.unwrap();
    assert_eq!(other, json!({ "data": { "baleTrace": null } }), "another phone's address");
}
