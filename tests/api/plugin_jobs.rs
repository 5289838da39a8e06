//! What the server tells and sends printer plugins (issue 17 items 6, 9, 10):
//!
//! - `refusedPlugins`: the libraries refused at start and why (a wrong ABI
//!   version, a missing entry point), for the platform admin only;
//! - the print job the server sends a plugin is, field by field, what the
//!   conformance kit samples (`cotton_plugin_host::samples::print_job`): seen
//!   through the ECHO fixture printer (`plugins/fixtures/echo_printer.c`),
//!   whose label is the job it was sent.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cotton_plugin_host::abi::wire::PrintJob;
use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

#[path = "../../plugins/conformance/src/build.rs"]
mod plugin_build;

both_backends!(refused_plugins_are_listed_for_the_admin, the_server_sends_what_the_kit_samples);

/// A folder with the PDF printer, the ECHO fixture and two libraries the
/// server refuses (a wrong ABI version, no entry point), built once per test
/// binary (atomic renames, so concurrent test processes do not disturb each other).
fn jobs_plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let good = plugins_dir();
        let dir = good.parent().expect("profile folder").join("cotton-api-test-job-plugins");
        std::fs::create_dir_all(&dir).expect("create the plugins folder");
        let pid = std::process::id();
        let lib = |stem: &str| format!("{}{stem}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
        let pdf = lib("cotton_printer_pdf");
        let target = std::fs::read_link(good.join(&pdf)).expect("the PDF printer in the test plugins folder");
        let tmp = dir.join(format!(".{pdf}.{pid}"));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).expect("symlink the PDF printer");
        std::fs::rename(&tmp, dir.join(&pdf)).expect("move the link into place");
        let root = plugin_build::workspace_root();
        let builds: [(String, PathBuf, &[&str]); 3] = [
            (lib("echo_printer"), root.join("plugins/fixtures/echo_printer.c"), &[]),
            (lib("broken_wrong_abi"), root.join("plugins/fixtures/broken.c"), &["-DBROKEN_WRONG_ABI"]),
            (lib("broken_no_entry"), root.join("plugins/fixtures/broken.c"), &["-DBROKEN_NO_ENTRY"]),
        ];
        for (name, src, flags) in builds {
            let tmp = dir.join(format!(".{name}.{pid}"));
            plugin_build::cc_shared(&[&src], &tmp, flags);
            std::fs::rename(&tmp, dir.join(&name)).expect("move the fixture into place");
        }
        dir
    })
}

async fn jobs_server(backend: Backend) -> TestServer {
    TestServer::start(backend, Opts::default().arg("--plugins-dir").arg(jobs_plugins_dir().to_str().expect("utf-8 path"))).await
}

const REFUSED: &str = "{ refusedPlugins { path reason } }";

async fn refused_plugins_are_listed_for_the_admin(backend: Backend) {
    let srv = jobs_server(backend).await;
    let g = setup(&srv).await;
    let dir = jobs_plugins_dir();
    let lib = |stem: &str| dir.join(format!("{}{stem}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));

    // The admin sees each refused library with the reason of its log line, in file-name order.
    let d = srv.ok(Some(&g.t.admin), REFUSED, json!({})).await;
    assert_eq!(
        d["refusedPlugins"],
        json!([
            { "path": lib("broken_no_entry").display().to_string(),
              "reason": "no entry point: the library does not export `cotton_plugin_entry`" },
            { "path": lib("broken_wrong_abi").display().to_string(),
              "reason": "wrong ABI version: the plugin has 2, this host speaks 1" },
        ]),
        "{d}"
    );
    let log = srv.stderr();
    assert!(log.contains("wrong ABI version: the plugin has 2, this host speaks 1"), "the log has the refusal too");
    // The refused ones are not loaded; the good ones are.
    let d = srv.ok(Some(g.qy_a()), "{ plugins { model } }", json!({})).await;
    assert_eq!(d["plugins"], json!([{ "model": "ECHO" }, { "model": "PDF" }]), "{d}");

    // Every other account: FORBIDDEN, nothing listed; anonymous: UNAUTHENTICATED.
    for token in [g.qy_a(), g.t.tuan_a.as_str(), g.t.lian_a1.as_str()] {
        let resp = srv.gql(Some(token), REFUSED, json!({})).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "{resp}");
        assert!(resp["data"].is_null() || resp["data"]["refusedPlugins"].is_null(), "{resp}");
        assert!(resp["errors"][0]["message"].as_str().unwrap().contains("平台管理员"), "{resp}");
    }
    assert_eq!(err_code(&srv.gql(None, REFUSED, json!({})).await), "UNAUTHENTICATED");

    // A server whose plugins all loaded refuses none.
    let clean = TestServer::start(backend, opts()).await;
    let admin = clean.admin_token().await;
    assert_eq!(clean.ok(Some(&admin), REFUSED, json!({})).await["refusedPlugins"], json!([]));
}

/// The keys of `v`, recursively, with the JSON type of each value
/// (`card.grossKg: string`, `lines[].label: string`, …).
fn shape(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                out.push(format!("{path}: {}", kind(v)));
                shape(v, &path, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| shape(v, &format!("{at}[]"), out)),
        _ => {}
    }
    out.sort();
    out.dedup();
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A decimal string with exactly 2 decimals.
fn two_decimals(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.split_once('.').is_some_and(|(i, f)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()) && f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit())))
}

/// The decimals of the second of an RFC 3339 UTC time (`…:SS.fffZ`).
fn fraction_digits(t: &str) -> usize {
    let secs = t.strip_suffix('Z').expect("UTC").rsplit(':').next().unwrap();
    secs.split_once('.').map_or(0, |(_, f)| f.len())
}

async fn the_server_sends_what_the_kit_samples(backend: Backend) {
    let srv = jobs_server(backend).await;
    let g = setup(&srv).await;
    let qy = g.qy_a();
    // The client's raw decimals, as the kit's sample ticket has them.
    let tk = Tk::new("ECHO-1", &g.id(1), &[g.plot("A1-01-1")], "12500").tare("2350.5").lint_yield("38.5");
    let ticket = s(&upload(&srv, qy, &tk).await["id"]);
    let res = print(&srv, qy, &ticket, &Pr::default().printer("ECHO").copies(2)).await;
    assert_eq!(res["output"]["mimeType"], "application/json");
    let sent: Value = serde_json::from_slice(&file_bytes(&res["output"])).expect("the ECHO label is the job");
    let sample = serde_json::to_value(cotton_plugin_host::samples::print_job()).unwrap();

    // Same fields, same JSON types, as the kit's sample.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    shape(&sent, "", &mut a);
    shape(&sample, "", &mut b);
    assert_eq!(a, b, "the server's job:\n{sent:#}\nthe kit's sample:\n{sample:#}");
    // The same formats: 2-decimal weights (the client typed 12500 and 2350.5),
    // the clock's fraction of the second.
    for k in ["grossKg", "tareKg", "netKg", "lintYieldPct", "targetLintKg"] {
        assert!(two_decimals(&sent["card"][k]) && two_decimals(&sample["card"][k]), "{k}: {} / {}", sent["card"][k], sample["card"][k]);
    }
    assert_eq!((&sent["card"]["grossKg"], &sent["card"]["tareKg"], &sent["card"]["netKg"]), (&json!("12500.00"), &json!("2350.50"), &json!("10149.50")));
    let at = sent["printedAt"].as_str().unwrap();
    assert!([0, 3, 6, 9].contains(&fraction_digits(at)), "{at}");
    assert_eq!(fraction_digits(sample["printedAt"].as_str().unwrap()), 9, "the kit samples the clock's nanoseconds");
    assert_eq!(sent["copies"], 2);
    assert_eq!(sent["reprint"], false);

    // The label lines are the ones PrintJob::new makes from the card, ready to print.
    let job: PrintJob = serde_json::from_value(sent.clone()).expect("a valid PrintJob");
    job.validate().expect("the server's job passes the plugins' validation");
    let mut remade = job.clone();
    remade.fill_label();
    assert_eq!(remade, job, "title and lines as PrintJob::new makes them");
    assert_eq!(job.title, "棉花质量追溯卡");
    assert_eq!(job.lines[0].value, job.card.card_no);
    assert!(job.lines.iter().any(|l| l.label == "毛重/皮重/净重" && l.value == "12500.00 / 2350.50 / 10149.50 kg"), "{:?}", job.lines);
    assert_eq!(job.lines.last().unwrap().label, "打印时间");

    // A reprint says so in the title and the last line.
    let rp = data(&srv.gql(Some(qy), &reprint_query(), json!({ "c": job.card.card_no, "n": 1 })).await)["reprintTraceCard"].clone();
    let sent: Value = serde_json::from_slice(&file_bytes(&rp["output"])).expect("the ECHO label is the job");
    assert_eq!((&sent["reprint"], &sent["title"]), (&json!(true), &json!("棉花质量追溯卡（补打）")), "{sent}");
    assert_eq!(sent["lines"].as_array().unwrap().last().unwrap()["label"], "补打时间");
}
