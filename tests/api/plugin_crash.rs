//! Plugins that crash (issue 10, item 1): vendor plugins run in driver-host
//! child processes by default, so a plugin that segfaults, aborts or hangs
//! inside a device call fails that one call with `PLUGIN` and the server keeps
//! serving; the next call gets a fresh child. In-process mode stays selectable.
//!
//! Fixtures: `plugins/fixtures/crashy.c` — printers SEGV (writes through NULL),
//! ABORT (calls abort()) and HANG (never returns) that load and pass the
//! load-time self-test, then crash on a job of exactly 13 copies.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

#[path = "../../plugins/conformance/src/build.rs"]
mod plugin_build;

both_backends!(crashing_plugins_cost_one_call, inprocess_mode_still_prints);

/// The copies that make a crashy fixture crash.
const CRASH: i64 = 13;
/// Deadline of one plugin call on the test server (the HANG fixture's calls
/// end with it; generous so good calls never meet it on a loaded machine).
const TIMEOUT_SECS: &str = "3";

/// A folder with the PDF printer and the three crashy fixtures, built once per
/// test binary next to the other test plugins (atomic renames, so concurrent
/// test processes do not disturb each other).
fn crash_plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let good = plugins_dir();
        let dir = good.parent().expect("profile folder").join("cotton-api-test-crash-plugins");
        std::fs::create_dir_all(&dir).expect("create the crash plugins folder");
        let pid = std::process::id();
        let pdf = format!("{}cotton_printer_pdf{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
        let target = std::fs::read_link(good.join(&pdf)).expect("the PDF printer in the test plugins folder");
        let tmp = dir.join(format!(".{pdf}.{pid}"));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).expect("symlink the PDF printer");
        std::fs::rename(&tmp, dir.join(&pdf)).expect("move the link into place");
        let src = plugin_build::workspace_root().join("plugins/fixtures/crashy.c");
        for variant in ["SEGV", "ABORT", "HANG"] {
            let name = format!("{}crashy_{}{}", std::env::consts::DLL_PREFIX, variant.to_lowercase(), std::env::consts::DLL_SUFFIX);
            let tmp = dir.join(format!(".{name}.{pid}"));
            plugin_build::cc_shared(&[&src], &tmp, &[&format!("-DCRASHY_{variant}")]);
            std::fs::rename(&tmp, dir.join(&name)).expect("move the fixture into place");
        }
        dir
    })
}

async fn crash_server(backend: Backend) -> TestServer {
    let opts = Opts::default()
        .arg("--plugins-dir")
        .arg(crash_plugins_dir().to_str().expect("utf-8 path"))
        .env("COTTON_PLUGIN_TIMEOUT_SECS", TIMEOUT_SECS);
    TestServer::start(backend, opts).await
}

/// A fresh complete ticket of G1 (unit OK); its id.
async fn ticket(srv: &TestServer, g: &Gin, no: &str) -> String {
    let tk = Tk::new(no, &g.id(1), &[g.plot("A1-01-1")], "1000").complete();
    s(&upload(srv, g.qy_a(), &tk).await["id"])
}

/// The server's log without terminal colour codes.
fn plain_log(srv: &TestServer) -> String {
    let log = srv.stderr();
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn message(resp: &Value) -> String {
    resp["errors"][0]["message"].as_str().unwrap_or_default().to_string()
}

async fn reprint_raw(srv: &TestServer, token: &str, card_no: &str, copies: i64) -> Value {
    srv.gql(Some(token), &reprint_query(), json!({ "c": card_no, "n": copies })).await
}

/// The server answers: healthz, a plain query, the plugins list (the crashing
/// plugin is still listed: it is not unloaded, its next call gets a new child).
async fn still_serving(srv: &TestServer, token: &str, model: &str) {
    let r = srv.http.get(srv.url("/healthz")).send().await.expect("GET /healthz");
    assert_eq!(r.status().as_u16(), 200, "healthz after a {model} crash");
    let d = srv.ok(Some(token), "{ plugins { kind model } }", json!({})).await;
    let models: Vec<&str> = d["plugins"].as_array().unwrap().iter().map(|p| p["model"].as_str().unwrap()).collect();
    assert_eq!(models, ["ABORT", "HANG", "PDF", "SEGV"], "{d}");
    assert_eq!(card_usage(srv, token, SEASON).await.len(), 4);
}

async fn crashing_plugins_cost_one_call(backend: Backend) {
    let srv = crash_server(backend).await;
    let g = setup(&srv).await;
    let qy = g.qy_a();
    assert!(plain_log(&srv).contains("isolation=\"process\" loaded=4 refused=0"), "{}", plain_log(&srv));

    let (mut printed, mut reprints, mut crashes) = (0i64, 0i64, 0usize);
    for (model, words) in [("SEGV", "SIGSEGV"), ("ABORT", "SIGABRT"), ("HANG", "超时")] {
        // The device call that crashes: PLUGIN, a clear message, no card left.
        let t1 = ticket(&srv, &g, &format!("{model}-1")).await;
        let resp = print_raw(&srv, qy, &t1, &Pr::default().printer(model).copies(CRASH)).await;
        assert_eq!(err_code(&resp), "PLUGIN", "{model}: {resp}");
        let msg = message(&resp);
        assert!(msg.contains("驱动插件") && msg.contains(words), "{model}: {msg}");
        assert_eq!(card_usage(&srv, qy, SEASON).await[0], printed, "{model}: a crashed print leaves no card");
        still_serving(&srv, qy, model).await;

        // A good plugin works, and so does the crashing one's next call (a new child).
        let res = print(&srv, qy, &t1, &Pr::default().printer("PDF")).await;
        assert!(file_bytes(&res["output"]).starts_with(b"%PDF-"), "{model}: PDF after the crash");
        let t2 = ticket(&srv, &g, &format!("{model}-2")).await;
        let res = print(&srv, qy, &t2, &Pr::default().printer(model)).await;
        assert!(contains(&file_bytes(&res["output"]), &format!("CRASHY FIXTURE LABEL ({model})")), "{model}: {res}");
        assert_eq!(res["record"]["printer"], model);
        printed += 2;
        let card_no = s(&res["card"]["cardNo"]);

        // Repeated crashes: each costs its call only (reprints use the card's
        // printer). A hang costs a deadline each time, so it repeats once.
        let rounds = if model == "HANG" { 1 } else { 3 };
        reprints += rounds as i64;
        crashes += 1 + rounds;
        for round in 0..rounds {
            let resp = reprint_raw(&srv, qy, &card_no, CRASH).await;
            assert_eq!(err_code(&resp), "PLUGIN", "{model} round {round}: {resp}");
            let resp = reprint_raw(&srv, qy, &card_no, 2).await;
            let out = file_bytes(&data(&resp)["reprintTraceCard"]["output"]);
            assert!(contains(&out, "CRASHY FIXTURE LABEL"), "{model} round {round}: reprint after the crash");
        }
        assert_eq!(card_usage(&srv, qy, SEASON).await[0], printed, "{model}: only the good prints made cards");
    }
    let d = srv.ok(Some(qy), "query($c: String) { printRecords(cardNo: $c, first: 50) { totalCount } }", json!({ "c": Value::Null })).await;
    // 6 first prints (2 per model) and the good reprints; the crashed calls recorded nothing.
    assert_eq!(d["printRecords"]["totalCount"], printed + reprints, "{d}");
    let log = plain_log(&srv);
    assert_eq!(log.matches("driver host lost during a plugin call").count(), crashes, "one log line per crashed call:\n{log}");
    println!("plugin_crash: {crashes} crashed device calls (SEGV, ABORT, HANG), each answered PLUGIN; {} good prints; the server served throughout", printed + reprints);
}

async fn inprocess_mode_still_prints(backend: Backend) {
    let srv = TestServer::start(backend, opts().env("COTTON_PLUGIN_ISOLATION", "inprocess")).await;
    let g = setup(&srv).await;
    let qy = g.qy_a();
    assert!(plain_log(&srv).contains("isolation=\"inprocess\" loaded=6 refused=0"), "{}", plain_log(&srv));
    for (i, model) in ["PDF", "ZPL", "TSPL"].into_iter().enumerate() {
        let t = ticket(&srv, &g, &format!("IN-{i}")).await;
        let res = print(&srv, qy, &t, &Pr::default().printer(model)).await;
        assert_eq!(res["record"]["printer"], model);
        assert!(!file_bytes(&res["output"]).is_empty());
    }

    // A mode the server does not know refuses to start, with the reason.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(SERVER_BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins-dir"])
        .arg(plugins_dir())
        .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("x.db").display()))
        .env("COTTON_DATA_DIR", dir.path())
        .env("COTTON_PLUGIN_ISOLATION", "sandbox")
        .output()
        .expect("run cotton-trace serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("COTTON_PLUGIN_ISOLATION") && err.contains("sandbox"), "{err}");
}
