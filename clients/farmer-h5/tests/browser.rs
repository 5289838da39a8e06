//! The farmers' page in headless Chromium (Debian's `chromium`, driven over the
//! DevTools protocol): a demo grower signs in with mobile + SMS code on a
//! 360 px wide screen and sees their premium share, bales and inspection data.
//! The data is made first through the public API: a ticket and trace card by the
//! enterprise, bales on a VI line, an inspection import by the admin.
//!
//! Without `chromium` the browser test fails under `CI=true` and is skipped
//! (with a message) otherwise. The screenshot goes to
//! `target/farmer-h5/farmer-h5.png`; with `COTTON_UPDATE_SCREENSHOT=1` it also
//! replaces `docs/farmer-h5.png`.

#[path = "../../report/tests/support/mod.rs"]
mod support;
mod cdp;

use std::path::PathBuf;

use serde_json::json;

use cdp::{Browser, chromium_or_skip};
use support::*;

const WIDTH: u32 = 360;
const HEIGHT: u32 = 780;

// ---------------------------------------------------------------- the data

const GROWER: usize = 1; // 一团一连 grower 1, in the demo's approved unit
const BALE_PREMIUM: &str = "650012691000001";
const BALE_PLAIN: &str = "650012691000002";

/// Makes a delivery with a card, two linked bales (one premium by inspection)
/// for demo grower 1 through the public API; returns (phone, card number, the
/// codes of the grower's plots in the unit).
async fn make_data(srv: &Server) -> (String, String, Vec<String>) {
    let qts = srv.login("qts65001", DEMO_PW).await;
    let admin = srv.login("admin", ADMIN_PW).await;
    let id_number = demo_id_number(GROWER);
    let in_unit: Vec<(String, String)> = grower_plots(srv, &qts, &id_number)
        .await
        .into_iter()
        .filter(|(_, _, unit)| unit.is_some())
        .map(|(id, code, _)| (id, code))
        .collect();
    let plots: Vec<String> = in_unit.iter().map(|(id, _)| id.clone()).collect();
    let codes: Vec<String> = in_unit.into_iter().map(|(_, code)| code).collect();
    assert!(!plots.is_empty(), "demo grower 1 has plots in the approved unit");
    let card = ticket_with_card(srv, &qts, "H5-2026-0001", &id_number, &plots, "1500", "500").await;
    let line = vi_line(srv, &qts, "H5测试线").await;
    start_card(srv, &qts, &line, &card).await;
    for b in [BALE_PREMIUM, BALE_PLAIN] {
        let (linked, _) = bale(srv, &qts, &line, b, "227.5").await;
        assert_eq!(linked.as_deref(), Some(card.as_str()), "bale {b} linked to {card}");
    }
    let created = import_inspections(
        srv,
        &admin,
        &[format!("{BALE_PREMIUM},21,30.1,30.5,4.1,83.5,2.1,7.2,230.10"), format!("{BALE_PLAIN},31,27.5,27.0,4.6,82.0,2.5,7.4,229.80")],
    )
    .await;
    assert_eq!(created, 2);
    (demo_phone(1, GROWER), card, codes)
}

fn target_dir() -> PathBuf {
    target_dirs().0
}

// ---------------------------------------------------------------- tests

/// The server serves the page's files at /h5/ (no browser needed).
#[tokio::test]
async fn served_at_h5() {
    let srv = Server::demo().await;
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_redirect.get(format!("{}/h5", srv.base())).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/h5/");
    for (path, mime, file) in [("/h5/", "text/html", "index.html"), ("/h5/app.js", "text/javascript", "app.js"), ("/h5/style.css", "text/css", "style.css")] {
        let r = srv.http.get(format!("{}{path}", srv.base())).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(mime), "{path}: {:?}", r.headers()["content-type"]);
        let body = r.text().await.unwrap();
        let expected = cotton_farmer_h5::FILES.iter().find(|(n, _)| *n == file).unwrap().1;
        assert_eq!(body, expected, "{path} is the embedded {file}");
    }
    let r = srv.http.get(format!("{}/h5/nope.js", srv.base())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // The page is Chinese, for phones, and needs no framework or build step.
    let html = cotton_farmer_h5::FILES[0].1;
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("name=\"viewport\""));
    assert!(html.contains("获取验证码"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grower_signs_in_and_sees_premium_share() {
    let Some(exe) = chromium_or_skip("the farmers' page browser test") else { return };
    let srv = Server::demo().await;
    let (phone, card, my_plots) = make_data(&srv).await;

    let mut b = Browser::launch(&exe, WIDTH, HEIGHT).await;
    b.call("Emulation.setDeviceMetricsOverride", json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": true }))
        .await;
    b.call("Page.enable", json!({})).await;
    b.call("Page.navigate", json!({ "url": format!("{}/h5/", srv.base()) })).await;
    b.wait_js("the sign-in form", "document.readyState === 'complete' && !document.getElementById('login-view').hidden").await;

    // A malformed number is refused on the page.
    b.type_into("#phone", "1390100").await;
    b.click("#send-code").await;
    let msg = b.wait_js("the phone-number message", "document.getElementById('login-msg').hidden ? '' : document.getElementById('login-msg').textContent").await;
    assert!(msg.as_str().unwrap().contains("手机号"), "{msg}");

    // Mobile + SMS code. The demo server shows the code it "sent" as a hint.
    b.type_into("#phone", &phone).await;
    let phone_on_page = b.eval("document.getElementById('phone').value").await;
    assert_eq!(phone_on_page, phone.as_str());
    b.click("#send-code").await;
    let code = b.wait_js("the demo code hint", "!document.getElementById('dev-hint').hidden && document.getElementById('dev-code').textContent").await;
    let code = code.as_str().unwrap().to_string();
    assert_eq!(Some(code.clone()), srv.dev_sms_code(&phone).await, "the hint shows the code just sent");
    let button = b.eval("document.getElementById('send-code').textContent").await;
    assert!(button.as_str().unwrap().contains("秒"), "a countdown on the button: {button}");
    b.type_into("#code", &code).await;
    b.click("#login-btn").await;

    // The results: premium share, units with reviews, the delivery with its card and bales.
    b.wait_js("the results", "!document.getElementById('results-view').hidden && document.getElementById('premium-total')").await;

    // What the page must show, read through the API with the page's own session.
    let token = b.eval("JSON.parse(localStorage.getItem('cotton-h5-session')).accessToken").await;
    let mine = srv.gql(token.as_str(), "{ myResults { premiumShares { unit { id name } shareKg } } }", json!({})).await;
    let shares = mine["myResults"]["premiumShares"].as_array().unwrap().clone();
    assert!(!shares.is_empty(), "the grower has a premium share: {mine}");
    let total: f64 = shares.iter().map(|s| s["shareKg"].as_str().unwrap().parse::<f64>().unwrap()).sum();
    assert!(total > 0.0, "a non-zero premium share: {mine}");

    let shown_total = b
        .wait_js("the premium share", "!document.getElementById('results-view').hidden && document.getElementById('premium-total') && document.getElementById('premium-total').textContent")
        .await;
    let shown_total: f64 = shown_total.as_str().unwrap().parse().unwrap();
    assert!((shown_total - total).abs() < 0.005, "the page shows {shown_total} kg, the API says {total} kg");
    for s in &shares {
        let row = b
            .eval(&format!("(document.querySelector('.share-row[data-unit=\"{}\"]') || {{}}).innerText || ''", s["unit"]["id"].as_str().unwrap()))
            .await;
        let row = row.as_str().unwrap();
        assert!(row.contains(s["unit"]["name"].as_str().unwrap()) && row.contains(s["shareKg"].as_str().unwrap()), "share row: {row}");
    }
    let text = b.eval("document.getElementById('results').innerText").await;
    let text = text.as_str().unwrap();
    for expected in ["优质棉分配", "审核通过", "面积与名册核对无误", "H5-2026-0001", card.as_str(), BALE_PREMIUM, BALE_PLAIN, "优质棉", "马克隆值", "30.1"] {
        assert!(text.contains(expected), "the page shows {expected:?}:\n{text}");
    }
    // "My plots" are found by the grower's roster id (co-members' mobiles are masked).
    let unit_text = b.eval("(document.querySelector('.card.unit') || {}).innerText || ''").await;
    let unit_text = unit_text.as_str().unwrap();
    assert!(unit_text.contains("我的地块"), "the unit lists the grower's plots:\n{unit_text}");
    for code in &my_plots {
        assert!(unit_text.contains(code.as_str()), "my plot {code} is listed:\n{unit_text}");
    }
    let premium_badge = b.eval(&format!("document.querySelector('.bale[data-barcode=\"{BALE_PREMIUM}\"] .premium') !== null")).await;
    assert_eq!(premium_badge, true, "the premium bale carries the 优质棉 badge");
    let plain_badge = b.eval(&format!("document.querySelector('.bale[data-barcode=\"{BALE_PLAIN}\"] .premium') === null")).await;
    assert_eq!(plain_badge, true, "the other bale does not");

    // Fits a 360 px screen: nothing wider than the viewport.
    let width = b.eval("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)").await;
    assert!(width.as_f64().unwrap() <= f64::from(WIDTH), "the page is {width} px wide on a {WIDTH} px screen");

    // Screenshot of the whole page.
    b.eval("window.scrollTo(0, 0)").await;
    let png = b.screenshot(None, true).await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = target_dir().join("farmer-h5");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("farmer-h5.png");
    std::fs::write(&out, &png).unwrap();
    eprintln!("screenshot: {}", out.display());
    if std::env::var("COTTON_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        // The README's picture: the top of the page (share, unit, first delivery).
        let top = b.screenshot(Some(1150), true).await;
        std::fs::write(workspace_root().join("docs/farmer-h5.png"), &top).unwrap();
    }

    // A reload keeps the session; 退出 signs out.
    b.eval("window.beforeReload = true").await;
    b.call("Page.reload", json!({})).await;
    b.wait_js(
        "the results after a reload",
        "!window.beforeReload && !document.getElementById('results-view').hidden && document.getElementById('premium-total')",
    )
    .await;
    b.click("#logout").await;
    b.wait_js("the sign-in form after 退出", "!document.getElementById('login-view').hidden && !localStorage.getItem('cotton-h5-session')").await;
}
