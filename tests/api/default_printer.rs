//! The enterprise's default printer (issue 15 item 7, rules §7): setDefaultPrinter
//! by the enterprise only, checked against the loaded printer plugins
//! (case-sensitive; VALIDATION naming the loaded models); printTraceCard without
//! `printer` and reprints use it, else PDF; a stored default whose plugin is no
//! longer loaded is refused with a clear message until it is set again.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

both_backends!(default_printer_set_used_and_refused, default_printer_no_longer_loaded);

const SET_DEFAULT: &str = "mutation($m: String!) { setDefaultPrinter(model: $m) }";
const RECORD_PRINTERS: &str = "query($c: String) { printRecords(cardNo: $c) { edges { node { reprint printer } } } }";

async fn set_default(srv: &TestServer, token: &str, model: &str) -> Value {
    srv.gql(Some(token), SET_DEFAULT, json!({ "m": model })).await
}

/// (reprint, printer) of a card's records, newest first.
async fn printers_of(srv: &TestServer, token: &str, card_no: &str) -> Vec<(bool, String)> {
    let recs = srv.ok(Some(token), RECORD_PRINTERS, json!({ "c": card_no })).await["printRecords"].clone();
    recs["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e["node"]["reprint"].as_bool().unwrap(), s(&e["node"]["printer"])))
        .collect()
}

async fn reprint(srv: &TestServer, token: &str, card_no: &str) -> Value {
    srv.gql(Some(token), &reprint_query(), json!({ "c": card_no, "n": 1 })).await
}

fn message(resp: &Value) -> String {
    s(&resp["errors"][0]["message"])
}

/// A ZPL label (^XA … ^XZ), a TSPL program, a PDF: which format `output` is.
fn format_of(output: &Value) -> &'static str {
    let bytes = file_bytes(output);
    if bytes.starts_with(b"%PDF") {
        "PDF"
    } else if contains(&bytes, "^XA") && contains(&bytes, "^XZ") {
        "ZPL"
    } else if contains(&bytes, "SIZE") && contains(&bytes, "PRINT") {
        "TSPL"
    } else {
        "unknown"
    }
}

/// Asserts a VALIDATION refusal whose Chinese message names `asked` and every
/// loaded printer model, and says models are case-sensitive.
fn assert_unknown_model(resp: &Value, asked: &str, loaded: &[&str], why: &str) {
    assert_eq!(err_code(resp), "VALIDATION", "{why}: {resp}");
    let msg = message(resp);
    assert!(has_cjk(&msg), "{why}: a Chinese message: {msg}");
    assert!(msg.contains(asked), "{why}: the message names {asked:?}: {msg}");
    for m in loaded {
        assert!(msg.contains(m), "{why}: the message lists the loaded model {m}: {msg}");
    }
    assert!(msg.contains("区分大小写"), "{why}: the message says models are case-sensitive: {msg}");
}

async fn default_printer_set_used_and_refused(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    const LOADED: [&str; 3] = ["PDF", "ZPL", "TSPL"];

    // No default yet: PDF.
    let first = carded_ticket(&srv, &g, qy, "DP-1", &Pr::default()).await;
    let c1 = s(&first["card"]["cardNo"]);
    assert_eq!(first["record"]["printer"], "PDF", "{first}");

    // The enterprise sets ZPL: the answer is the model stored.
    assert_eq!(data(&set_default(&srv, qy, "ZPL").await)["setDefaultPrinter"], "ZPL");
    let res = carded_ticket(&srv, &g, qy, "DP-2", &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "ZPL", "a print naming no printer uses the default: {res}");
    assert_eq!(format_of(&res["output"]), "ZPL", "a ZPL label: {res}");
    assert!(contains(&file_bytes(&res["output"]), &s(&res["card"]["cardNo"])), "the label carries the card number");
    // A printer named on the print still wins.
    let res = carded_ticket(&srv, &g, qy, "DP-3", &Pr::default().printer("TSPL")).await;
    assert_eq!(res["record"]["printer"], "TSPL", "{res}");
    assert_eq!(format_of(&res["output"]), "TSPL");
    // A reprint (it names no printer) uses the default now, not the card's first printer.
    let re = data(&reprint(&srv, qy, &c1).await)["reprintTraceCard"].clone();
    assert_eq!(re["record"]["printer"], "ZPL", "{re}");
    assert_eq!(format_of(&re["output"]), "ZPL");
    assert_eq!(printers_of(&srv, qy, &c1).await, [(true, "ZPL".to_string()), (false, "PDF".to_string())]);

    // The default is the enterprise's own: the other enterprise still prints PDF.
    let tk = Tk::new("DP-B1", &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    let tb = upload(&srv, &g.qy_b, &tk).await;
    let res = print(&srv, &g.qy_b, &s(&tb["id"]), &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "PDF", "enterprise B has no default: {res}");

    // Set again (surrounding spaces are not part of the model): TSPL.
    assert_eq!(data(&set_default(&srv, qy, "  TSPL ").await)["setDefaultPrinter"], "TSPL");
    let res = carded_ticket(&srv, &g, qy, "DP-4", &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "TSPL", "{res}");

    // Refused models, each changing nothing.
    for (model, why) in [("XYZ", "an unknown model"), ("zpl", "models are case-sensitive"), ("Pdf", "models are case-sensitive")] {
        assert_unknown_model(&set_default(&srv, qy, model).await, model, &LOADED, &format!("setDefaultPrinter({model}): {why}"));
    }
    let resp = set_default(&srv, qy, "zpl").await;
    assert!(message(&resp).contains("“ZPL”"), "a case slip names the model meant: {resp}");
    for blank in ["", "   "] {
        let resp = set_default(&srv, qy, blank).await;
        assert_eq!(err_code(&resp), "VALIDATION", "an empty model: {resp}");
        assert!(has_cjk(&message(&resp)) && message(&resp).contains("ZPL"), "lists the loaded models: {resp}");
    }
    let resp = set_default(&srv, qy, &"Z".repeat(33)).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a model of 33 characters: {resp}");
    let res = carded_ticket(&srv, &g, qy, "DP-5", &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "TSPL", "the refusals left the default as it was: {res}");

    // printTraceCard naming an unknown model: VALIDATION, no card, whatever the default.
    let tk = Tk::new("DP-6", &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    let t = upload(&srv, qy, &tk).await;
    let before = card_usage(&srv, qy, SEASON).await;
    for model in ["XYZ", "tspl"] {
        let resp = print_raw(&srv, qy, &s(&t["id"]), &Pr::default().printer(model)).await;
        assert_unknown_model(&resp, model, &LOADED, &format!("printTraceCard(printer: {model})"));
    }
    assert_eq!(card_usage(&srv, qy, SEASON).await, before, "no card");
    assert!(upload(&srv, qy, &tk).await["card"].is_null());

    // Only the enterprise sets its default.
    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        let resp = set_default(&srv, token, "ZPL").await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "setDefaultPrinter by {who}: {resp}");
        assert!(has_cjk(&message(&resp)), "{resp}");
    }
    assert_eq!(err_code(&srv.gql(None, SET_DEFAULT, json!({ "m": "ZPL" })).await), "UNAUTHENTICATED");
    let res = carded_ticket(&srv, &g, qy, "DP-7", &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "TSPL", "nobody else changed enterprise A's default: {res}");
    let res = print(&srv, &g.qy_b, &s(&upload(&srv, &g.qy_b, &Tk::new("DP-B2", &g.id(3), &[g.plot("A1-03-1")], "1000").complete()).await["id"]), &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "PDF", "nor enterprise B's: {res}");
}

/// A plugins folder with the project's plugins but the TSPL printer.
fn plugins_without_tspl() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("cotton-no-tspl-").tempdir().expect("tempdir");
    let mut kept = 0;
    for entry in std::fs::read_dir(plugins_dir()).expect("the test plugins folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') || name.contains("tspl") {
            continue;
        }
        std::os::unix::fs::symlink(std::fs::canonicalize(&path).unwrap(), dir.path().join(&name)).expect("link a plugin");
        kept += 1;
    }
    assert_eq!(kept, PLUGIN_PACKAGES.len() - 1, "every plugin but TSPL");
    let p = dir.path().to_path_buf();
    (dir, p)
}

async fn default_printer_no_longer_loaded(backend: Backend) {
    let (mut srv, g) = start(backend).await;
    let qy = g.qy_a();
    assert_eq!(data(&set_default(&srv, qy, "TSPL").await)["setDefaultPrinter"], "TSPL");
    let a = carded_ticket(&srv, &g, qy, "NL-1", &Pr::default()).await;
    assert_eq!(a["record"]["printer"], "TSPL");
    let card_a = s(&a["card"]["cardNo"]);
    // Enterprise B has no default and prints a card on TSPL by name.
    let tb = upload(&srv, &g.qy_b, &Tk::new("NL-B", &g.id(1), &[g.plot("A1-01-1")], "1000").complete()).await;
    let b = print(&srv, &g.qy_b, &s(&tb["id"]), &Pr::default().printer("TSPL")).await;
    let card_b = s(&b["card"]["cardNo"]);

    // The server restarts without the TSPL plugin.
    srv.kill9();
    let (_keep, dir) = plugins_without_tspl();
    let srv = srv.another_on_same_db_with(Opts::default().arg("--plugins-dir").arg(dir.to_str().unwrap())).await;
    let loaded = ["PDF", "ZPL"];

    // Enterprise A's default is gone: printing without a printer is PLUGIN, with a
    // message naming the default and the loaded models; nothing is printed on
    // another printer behind the operator's back.
    let tk = Tk::new("NL-2", &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    let t = upload(&srv, qy, &tk).await;
    let resp = print_raw(&srv, qy, &s(&t["id"]), &Pr::default()).await;
    assert_eq!(err_code(&resp), "PLUGIN", "{resp}");
    let msg = message(&resp);
    assert!(has_cjk(&msg) && msg.contains("TSPL") && msg.contains("默认打印机"), "names the default: {msg}");
    for m in loaded {
        assert!(msg.contains(m), "lists the loaded model {m}: {msg}");
    }
    assert!(upload(&srv, qy, &tk).await["card"].is_null(), "no card");
    let resp = reprint(&srv, qy, &card_a).await;
    assert_eq!(err_code(&resp), "PLUGIN", "a reprint too: {resp}");
    assert_eq!(printers_of(&srv, qy, &card_a).await.len(), 1, "no record was added");
    // Naming a loaded printer still prints; naming TSPL is the operator's mistake now.
    let res = print(&srv, qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await;
    assert_eq!(res["record"]["printer"], "ZPL");
    let tk3 = Tk::new("NL-3", &g.id(1), &[g.plot("A1-01-2")], "1000").complete();
    let t3 = upload(&srv, qy, &tk3).await;
    assert_unknown_model(&print_raw(&srv, qy, &s(&t3["id"]), &Pr::default().printer("TSPL")).await, "TSPL", &loaded, "TSPL unloaded");
    assert_unknown_model(&set_default(&srv, qy, "TSPL").await, "TSPL", &loaded, "setDefaultPrinter(TSPL) unloaded");
    // Setting a loaded default again lets prints and reprints go on.
    assert_eq!(data(&set_default(&srv, qy, "PDF").await)["setDefaultPrinter"], "PDF");
    let res = print(&srv, qy, &s(&t3["id"]), &Pr::default()).await;
    assert_eq!(res["record"]["printer"], "PDF");
    assert_eq!(format_of(&res["output"]), "PDF");
    let re = data(&reprint(&srv, qy, &card_a).await)["reprintTraceCard"].clone();
    assert_eq!(re["record"]["printer"], "PDF", "{re}");

    // Enterprise B (no default): its card's last printer is gone, so the reprint
    // falls back to PDF.
    let re = data(&reprint(&srv, &g.qy_b, &card_b).await)["reprintTraceCard"].clone();
    assert_eq!(re["record"]["printer"], "PDF", "{re}");
    assert_eq!(printers_of(&srv, &g.qy_b, &card_b).await, [(true, "PDF".to_string()), (false, "TSPL".to_string())]);
}
