//! Third-party GraphQL clients against a real server (issue 17):
//! - graphql-core's `get_introspection_query()` / `build_client_schema` and gql's
//!   `fetch_schema_from_transport` under the default limits, compared with
//!   `schema.graphql` (`tests/tools/introspect.py`);
//! - a multipart upload that gql's aiohttp transport streams with
//!   `Transfer-Encoding: chunked` (`tests/tools/chunked_upload.py`);
//! - the frontend starter (`docs/frontend.md`): its snippets under `docs/frontend/`
//!   run with Node — sign-in and refresh (fetch), the WebSocket handshake with the
//!   `graphql-ws` client (an expired token: 4403, refresh, reconnect), the multipart
//!   upload (FormData) — and graphql-codegen generates types from `schema.graphql`
//!   and the snippets' operations; the doc quotes the files exactly.
//!
//! The tools are installed by `.ci/run` (a venv in `target/pytools` from
//! `tests/tools/requirements.txt`, `npm ci` in `docs/frontend`). Without them these
//! tests are skipped with a message, except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::*;

both_backends!(introspection_with_graphql_core, chunked_upload_with_gql, frontend_snippets);

const ALL_CODES: [&str; 17] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "VALIDATION",
    "CONFLICT",
    "RATE_LIMITED",
    "AREA_TOO_SMALL",
    "PLOT_TAKEN",
    "UNIT_LOCKED",
    "UNIT_NOT_APPROVED",
    "TICKET_LATE",
    "TICKET_CARDED",
    "CARD_CHECKSUM",
    "BAD_FILE",
    "PLUGIN",
    "UNAVAILABLE",
    "INTERNAL",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The target folder of the running test binary (`target/debug/deps/api-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors().nth(3).expect("target folder").to_path_buf()
}

/// A missing tool: `None` after a message, or a failure under `CI=true`.
fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing and CI=true: .ci/run installs it");
    }
    eprintln!("skipping: {what} is missing (bash .ci/run installs it)");
    None
}

/// `$COTTON_PYTHON`, else the venv `.ci/run` makes in `target/pytools`, when it
/// imports gql, graphql-core and aiohttp.
fn python() -> Option<PathBuf> {
    let candidates = [std::env::var_os("COTTON_PYTHON").map(PathBuf::from), Some(target_dir().join("pytools/bin/python"))];
    for py in candidates.into_iter().flatten() {
        let ok = std::process::Command::new(&py)
            .args(["-c", "import gql, graphql, aiohttp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(py);
        }
    }
    missing("a Python with gql, graphql-core and aiohttp (target/pytools, tests/tools/requirements.txt)")
}

/// `docs/frontend` with its npm packages installed, and `node`.
fn frontend_dir() -> Option<PathBuf> {
    let dir = workspace().join("docs/frontend");
    let node_ok = std::process::Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !node_ok || !dir.join("node_modules/graphql-ws/package.json").is_file() || !dir.join("node_modules/.bin/graphql-codegen").exists() {
        return missing("node with the npm packages of docs/frontend (npm ci in docs/frontend)");
    }
    Some(dir)
}

async fn run(cmd: &mut tokio::process::Command, what: &str) -> String {
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 120 s"))
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json_lines(out: &str, what: &str) -> Vec<Value> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not a JSON line ({e}): {l}")))
        .collect()
}

// ---------------------------------------------------------------- Python

async fn introspection_with_graphql_core(backend: Backend) {
    let Some(py) = python() else { return };
    // Default limits: depth 12, complexity 5000, introspection on.
    let srv = TestServer::start(backend, Opts::default()).await;
    let script = workspace().join("tests/tools/introspect.py");
    let sdl = workspace().join("schema.graphql");
    let out = run(tokio::process::Command::new(&py).arg(&script).arg(srv.url("/graphql")).arg(&sdl), "introspect.py").await;
    let report: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("introspect.py output ({e}): {out}"));
    assert!(report["types"].as_u64().unwrap() > 60, "{report}");
    let mut codes: Vec<&str> = ALL_CODES.to_vec();
    codes.sort_unstable();
    assert_eq!(report["errorCodes"], json!(codes), "ErrorCode is reachable by introspection with every value");

    // The limits still apply to everything else.
    let deep = format!("{{ orgs {{ {} name {} }} }}", "parent { ".repeat(12), "} ".repeat(12));
    let r = srv.gql(None, &deep, json!({})).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("最多 12 层"), "{r}");
}

async fn chunked_upload_with_gql(backend: Backend) {
    let Some(py) = python() else { return };
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.xlsx");
    let rows = vec![
        vec!["团场编码", "连队编码", "连队名称", "账号", "初始密码"],
        vec![REGIMENT_A_CODE, "R121-07", "一二一团七连", "lian_a7", "Chunk3d!Pw"],
        vec![REGIMENT_A_CODE, "R121-08", "一二一团八连", "lian_a8", "Chunk3d!Pw"],
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    std::fs::write(&file, wb.save_to_buffer().unwrap()).unwrap();

    let script = workspace().join("tests/tools/chunked_upload.py");
    let out = run(tokio::process::Command::new(&py).arg(&script).arg(srv.url("/graphql")).arg(&t.admin).arg(&file), "chunked_upload.py").await;
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("chunked_upload.py output ({e}): {out}"));
    assert_eq!(v["headers"]["transfer-encoding"], "chunked", "aiohttp streamed the body: {v}");
    assert!(v["headers"].get("content-length").is_none(), "no Content-Length: {v}");
    assert!(v["headers"]["content-type"].as_str().unwrap().starts_with("multipart/form-data"), "{v}");
    let report = &v["answer"]["data"]["importCompanyAccounts"];
    assert_eq!(report["created"], 2, "{v}");
    assert_eq!(report["failed"], 0, "{v}");
    assert!(srv.org_by_code("R121-08").await.is_some());
    let me = srv.me(&srv.login("lian_a7", "Chunk3d!Pw").await).await;
    assert_eq!(me["org"]["code"], "R121-07");
}

// ---------------------------------------------------------------- Node: the frontend starter

fn node(dir: &Path, script: &str, srv: &TestServer, user: &str, password: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(script)
        .current_dir(dir)
        .env("COTTON_SERVER", &srv.base)
        .env("COTTON_USER", user)
        .env("COTTON_PASSWORD", password)
        .kill_on_drop(true);
    cmd
}

async fn frontend_snippets(backend: Backend) {
    let Some(dir) = frontend_dir() else { return };
    // Access tokens of one second, so that the snippets meet an expired one.
    let srv = TestServer::start(backend, Opts::default().env("COTTON_ACCESS_TTL_SECS", "1")).await;

    // ---- signin.mjs: sign in, me, the token expires, me again after a refresh
    let out = run(node(&dir, "signin.mjs", &srv, ADMIN_USER, ADMIN_PW).env("WAIT_MS", "2500"), "signin.mjs").await;
    let lines = json_lines(&out, "signin.mjs");
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], json!({ "step": "signedIn", "username": ADMIN_USER, "role": "PLATFORM_ADMIN" }));
    assert_eq!(lines[1]["me"]["username"], ADMIN_USER, "{out}");
    assert_eq!(lines[1]["refreshes"], 0, "{out}");
    assert_eq!(lines[2]["me"]["username"], ADMIN_USER, "{out}");
    assert_eq!(lines[2]["refreshes"], 1, "the expired token was refreshed once: {out}");

    // ---- subscribe.mjs: the token has expired by the time the socket opens, so the
    // server closes it with 4403; the graphql-ws client refreshes and reconnects.
    let mut child = node(&dir, "subscribe.mjs", &srv, ADMIN_USER, ADMIN_PW)
        .env("WAIT_MS", "2500")
        .env("COUNT", "1")
        .env("TOPICS", "ORG_CREATED")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node subscribe.mjs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = next_line(&mut lines).await;
    assert_eq!(first["step"], "closed", "{first}");
    assert_eq!(first["code"], 4403, "an expired token in connection_init: 4403 Forbidden: {first}");
    assert!(first["reason"].as_str().unwrap().starts_with("Forbidden"), "{first}");
    let second = next_line(&mut lines).await;
    assert_eq!(second, json!({ "step": "connected" }), "reconnected with a refreshed token");
    tokio::time::sleep(Duration::from_millis(500)).await;
    srv.create_org(&srv.admin_token().await, "CORPS", "FE1", "前端测试兵团", None).await;
    let event = next_line(&mut lines).await;
    assert_eq!(event["step"], "event", "{event}");
    assert_eq!(event["event"]["topic"], "ORG_CREATED", "{event}");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("subscribe.mjs exits after COUNT events").unwrap();
    assert!(status.success(), "subscribe.mjs: {status}");

    // ---- upload.mjs: a multipart upload from FormData
    // (A fresh token for each call: they live one second here.)
    let corps = srv.create_org(&srv.admin_token().await, "CORPS", "BT", "兵团", None).await;
    let division = srv.create_org(&srv.admin_token().await, "DIVISION", "D9", "第九师", Some(&corps)).await;
    srv.create_org(&srv.admin_token().await, "REGIMENT", "R9", "九团", Some(&division)).await;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("accounts.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in [["团场编码", "连队编码", "连队名称", "账号", "初始密码"], ["R9", "R9-01", "九团一连", "lian_r9", "Upl0ad!Pw"]].iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    std::fs::write(&file, wb.save_to_buffer().unwrap()).unwrap();
    let out = run(node(&dir, "upload.mjs", &srv, ADMIN_USER, ADMIN_PW).arg(&file), "upload.mjs").await;
    let report: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("upload.mjs ({e}): {out}"));
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["rows"][0]["status"], "CREATED", "{report}");
    let token = srv.login("lian_r9", "Upl0ad!Pw").await;
    assert_eq!(srv.me(&token).await["org"]["code"], "R9-01");
}

async fn next_line(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("subscribe.mjs printed nothing within 20 s")
        .unwrap()
        .expect("subscribe.mjs ended early");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("subscribe.mjs: not JSON ({e}): {line}"))
}

/// graphql-codegen generates TypeScript from `schema.graphql` and the snippets'
/// operations (an operation that no longer fits the schema fails it).
#[tokio::test]
async fn frontend_codegen() {
    let Some(dir) = frontend_dir() else { return };
    let out_dir = tempfile::tempdir().unwrap();
    let out_file = out_dir.path().join("graphql.ts");
    run(
        tokio::process::Command::new(dir.join("node_modules/.bin/graphql-codegen"))
            .args(["--config", "codegen.yml"])
            .current_dir(&dir)
            .env("CODEGEN_OUT", &out_file),
        "graphql-codegen",
    )
    .await;
    let ts = std::fs::read_to_string(&out_file).expect("generated graphql.ts");
    for expected in [
        "export type ErrorCode =",
        "export type LoginMutation = ",
        "export type RefreshMutation = ",
        "export type MeQuery = ",
        "export type EventsSubscription = ",
        "export type ImportCompanyAccountsMutation = ",
    ] {
        assert!(ts.contains(expected), "generated types lack {expected:?}");
    }
    for code in ALL_CODES {
        assert!(ts.contains(&format!("'{code}'")), "ErrorCode lacks {code}");
    }
}

/// Every code block of `docs/frontend.md` introduced by `<!-- from docs/frontend/FILE -->`
/// is an exact excerpt of that file, so the page cannot drift from the code the
/// tests run.
#[test]
fn frontend_doc_quotes_the_snippets() {
    let root = workspace();
    let doc = std::fs::read_to_string(root.join("docs/frontend.md")).expect("docs/frontend.md");
    let mut quoted = 0;
    let mut rest = doc.as_str();
    while let Some(at) = rest.find("<!-- from ") {
        rest = &rest[at + "<!-- from ".len()..];
        let (path, after) = rest.split_once(" -->").expect("a closed <!-- from … --> marker");
        let fence = after.find("```").expect("a code block after the marker");
        let body_start = after[fence..].find('\n').map(|n| fence + n + 1).expect("a fenced block");
        let body_len = after[body_start..].find("```").expect("the end of the code block");
        let block = &after[body_start..body_start + body_len];
        let file = std::fs::read_to_string(root.join(path.trim())).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(file.contains(block), "docs/frontend.md quotes {path}, but the file has no such text:\n{block}");
        quoted += 1;
        rest = &after[body_start + body_len..];
    }
    assert!(quoted >= 4, "docs/frontend.md quotes {quoted} snippets");
}
