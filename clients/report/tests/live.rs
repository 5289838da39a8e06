//! `cotton-report` against a real server: the counts follow changes made through
//! the API, the workbook is written on request, and the report survives a server
//! restart (events missed while it was down are caught up from queries).

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use support::*;

const REPORT_BIN: &str = env!("CARGO_BIN_EXE_cotton-report");
const WAIT: Duration = Duration::from_secs(30);

/// The report process with its JSON lines.
struct Report {
    child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
}

impl Report {
    fn spawn(srv: &Server, xlsx_dir: &std::path::Path) -> Report {
        let mut child = tokio::process::Command::new(REPORT_BIN)
            .args(["--server", &srv.base(), "--season", &SEASON.to_string(), "--json-lines"])
            .args(["--poll-secs", "0", "--min-backoff-secs", "0.2", "--max-backoff-secs", "1"])
            .arg("--xlsx-dir")
            .arg(xlsx_dir)
            .env("COTTON_REPORT_USER", "tuan1")
            .env("COTTON_REPORT_PASSWORD", DEMO_PW)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn cotton-report");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("cotton-report printed a non-JSON line {line:?}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Report { child, lines: rx, seen: Vec::new() }
    }

    /// The next line matching `pred` (all lines are kept in `seen`).
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(v)) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Ok(None) => panic!("cotton-report ended while waiting for {what}; it printed:\n{}", self.dump()),
                Err(_) => panic!("no {what} from cotton-report within {WAIT:?}; it printed:\n{}", self.dump()),
            }
        }
    }

    /// Waits until printed counts satisfy `pred`.
    async fn counts(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(what, |v| v["type"] == "counts" && pred(v)).await
    }

    async fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    fn dump(&self) -> String {
        self.seen.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n")
    }
}

fn units(c: &Value, status: &str) -> i64 {
    c["units"][status].as_i64().unwrap_or_else(|| panic!("no units.{status} in {c}"))
}

/// The area's unit counts as the regiment reads them itself.
async fn api_units(srv: &Server, tuan: &str) -> Value {
    let d = srv.gql(Some(tuan), "query($s: Int!) { areaReport(season: $s) { unitsByStatus { status count } balesLinked } }", json!({ "s": SEASON })).await;
    let mut m = serde_json::Map::new();
    for r in d["areaReport"]["unitsByStatus"].as_array().unwrap() {
        m.insert(r["status"].as_str().unwrap().to_string(), r["count"].clone());
    }
    Value::Object(m)
}

/// The id of one unit of the area in `status`.
async fn unit_with_status(srv: &Server, tuan: &str, status: &str) -> String {
    let d = srv
        .gql(Some(tuan), "query($s: Int!, $st: UnitStatus) { traceUnits(season: $s, status: $st, first: 1) { edges { node { id } } } }", json!({ "s": SEASON, "st": status }))
        .await;
    d["traceUnits"]["edges"][0]["node"]["id"].as_str().unwrap_or_else(|| panic!("no {status} unit: {d}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_follow_the_api_and_survive_a_server_restart() {
    let mut srv = Server::demo().await;
    let tmp = tempfile::tempdir().unwrap();
    let tuan = srv.login("tuan1", DEMO_PW).await;
    let lian = srv.login("lian12", DEMO_PW).await;
    let qts = srv.login("qts65001", DEMO_PW).await;

    let mut report = Report::spawn(&srv, tmp.path());
    report.wait_for("the connected status", |v| v["type"] == "status" && v["state"] == "connected").await;
    let start = report.counts("the start counts", |v| v["reason"] == "start").await;

    // The start counts are the regiment's own figures, and the demo's printed cards.
    assert_eq!(start["units"], api_units(&srv, &tuan).await, "units by status at start: {start}");
    assert_eq!(start["region"], "第一师一团");
    let usage = srv.gql(Some(&qts), "query($s: Int!) { cardUsage(season: $s) { printed exported processing finished } }", json!({ "s": SEASON })).await;
    let u = &usage["cardUsage"];
    let demo_cards = ["printed", "exported", "processing", "finished"].iter().map(|k| u[*k].as_i64().unwrap()).sum::<i64>();
    assert!(demo_cards > 0, "the demo prints cards when the PDF printer is loaded: {usage}");
    assert_eq!(start["cardsPrinted"], demo_cards, "cards of the area at start: {start}");
    assert_eq!(start["cardsFinished"], u["finished"], "{start}");
    assert_eq!(start["balesLinked"], 0, "{start}");
    let pending0 = units(&start, "PENDING");
    let approved0 = units(&start, "APPROVED");

    // A company (一团二连) forms a unit from its free plots: PENDING + 1.
    let company = srv.org_id("XJBT-01-01-02").await;
    let roster = srv
        .gql(
            Some(&lian),
            "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s, first: 100) { edges { node { phone plots(season: $s) { id traceUnit { id } } } } } }",
            json!({ "c": company, "s": SEASON }),
        )
        .await;
    let mut free = Vec::new();
    let mut grower_phones = Vec::new();
    for e in roster["growers"]["edges"].as_array().unwrap() {
        let plots: Vec<String> = e["node"]["plots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["traceUnit"].is_null())
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        if !plots.is_empty() {
            grower_phones.push(e["node"]["phone"].as_str().unwrap().to_string());
        }
        free.extend(plots);
    }
    assert!(free.len() >= 8, "the demo leaves the plots of 一团二连's dissolved unit free: {roster}");
    let unit = srv
        .gql(
            Some(&lian),
            "mutation($i: CreateTraceUnitInput!) { createTraceUnit(input: $i) { id status } }",
            json!({ "i": { "kind": "COMPANY", "name": "一团二连第二追溯单元", "season": SEASON, "plotIds": free } }),
        )
        .await;
    let unit_id = unit["createTraceUnit"]["id"].as_str().unwrap().to_string();
    report.counts("PENDING + 1 after createTraceUnit", |c| units(c, "PENDING") == pending0 + 1).await;

    // The regiment approves it: PENDING back, APPROVED + 1.
    srv.gql(Some(&tuan), "mutation($u: ID!) { reviewTraceUnit(id: $u, approve: true) { status } }", json!({ "u": unit_id })).await;
    let c = report
        .counts("APPROVED + 1 after the review", |c| units(c, "PENDING") == pending0 && units(c, "APPROVED") == approved0 + 1)
        .await;
    assert_eq!(c["reason"], "events", "counts driven by events (polling is off): {c}");

    // The enterprise weighs a grower of the new unit and prints the card: cards printed + 1.
    let phone = &grower_phones[0];
    let g: usize = phone[5..].parse().unwrap();
    let id_number = demo_id_number(100 + g);
    let plots: Vec<String> = grower_plots(&srv, &qts, &id_number)
        .await
        .into_iter()
        .filter(|(_, _, u)| u.as_deref() == Some(unit_id.as_str()))
        .map(|(id, _, _)| id)
        .collect();
    assert!(!plots.is_empty(), "grower {phone} ({id_number}) has plots in the new unit");
    let card = ticket_with_card(&srv, &qts, "RPT-2026-0001", &id_number, &plots, "1500", "500").await;
    report.counts("cards printed + 1", |c| c["cardsPrinted"] == demo_cards + 1).await;

    // On a VI line, the card's first bale: bales linked 1.
    let line = vi_line(&srv, &qts, "统计测试线").await;
    start_card(&srv, &qts, &line, &card).await;
    let (linked, finished) = bale(&srv, &qts, &line, "650012690000001", "227.5").await;
    assert_eq!(linked.as_deref(), Some(card.as_str()));
    assert!(finished.is_none(), "one bale does not finish a 400 kg card");
    report.counts("bales linked 1", |c| c["balesLinked"] == 1).await;

    // The workbook on request.
    let xlsx = tmp.path().join("团场统计.xlsx");
    report.say(&format!("x {}", xlsx.display())).await;
    let w = report.wait_for("the xlsx line", |v| v["type"] == "xlsx").await;
    let bytes = std::fs::read(&xlsx).unwrap_or_else(|e| panic!("{} not written ({e}): {w}", xlsx.display()));
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");
    assert_eq!(w["bytes"], bytes.len());

    // The server goes away: the report says so and keeps retrying.
    srv.kill();
    report.wait_for("the disconnected status", |v| v["type"] == "status" && v["state"] == "disconnected").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Back on the same database; changes made right away, while the report is
    // still backing off, reach it as events replayed from its last cursor
    // (`events(after:)`), not by re-reading everything on reconnect.
    srv.start_again().await;
    let mut bales = 1;
    let mut done = None;
    for i in 2..=8 {
        let (_, f) = bale(&srv, &qts, &line, &format!("65001269000000{i}"), "227.5").await;
        bales += 1;
        if f.is_some() {
            done = f;
            break;
        }
    }
    assert_eq!(done.as_deref(), Some(card.as_str()), "the card finishes within a few bales");
    // …and the regiment approves the demo's pending unit.
    let pending_unit = unit_with_status(&srv, &tuan, "PENDING").await;
    srv.gql(Some(&tuan), "mutation($u: ID!) { reviewTraceUnit(id: $u, approve: true) { status } }", json!({ "u": pending_unit })).await;
    let after = api_units(&srv, &tuan).await;
    let fin0 = start["cardsFinished"].as_i64().unwrap();
    let c = report
        .counts("the caught-up counts after the restart", |c| {
            c["balesLinked"] == bales && c["cardsFinished"] == fin0 + 1 && c["units"] == after
        })
        .await;
    assert_eq!(c["cardsPrinted"], demo_cards + 1, "{c}");
    assert_eq!(c["reason"], "events", "caught up by the replayed events: {c}\n{}", report.dump());
    assert!(
        report.seen.iter().any(|v| v["type"] == "counts" && v["reason"] == "reconnect"),
        "the counts printed again on reconnect:\n{}",
        report.dump()
    );

    // And live again after the restart: the company amends its rejected unit,
    // which goes back to review, and that arrives as an event.
    let (pending, rejected) = (units(&c, "PENDING"), units(&c, "REJECTED"));
    assert!(rejected >= 1, "the demo has a rejected unit: {c}");
    let rejected_unit = unit_with_status(&srv, &tuan, "REJECTED").await;
    srv.gql(
        Some(&lian),
        "mutation($u: ID!, $i: UpdateTraceUnitInput!) { updateTraceUnit(id: $u, input: $i) { status } }",
        json!({ "u": rejected_unit, "i": { "name": "一团二连第一追溯单元（已核实）" } }),
    )
    .await;
    report
        .counts("the amended unit after the restart", |c| {
            units(c, "PENDING") == pending + 1 && units(c, "REJECTED") == rejected - 1 && c["reason"] == "events"
        })
        .await;

    report.say("q").await;
    let status = tokio::time::timeout(WAIT, report.child.wait()).await.expect("cotton-report quits on q").unwrap();
    assert!(status.success(), "cotton-report exit status {status}");
}

#[tokio::test]
async fn one_shot_workbook_and_refusals() {
    let srv = Server::demo().await;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("area.xlsx");
    let run = |args: Vec<String>| {
        let mut cmd = Command::new(REPORT_BIN);
        cmd.args(["--server", &srv.base(), "--season", &SEASON.to_string()]).args(args);
        cmd.stdin(Stdio::null()).output().expect("run cotton-report")
    };
    let o = run(vec!["-u".into(), "tuan1".into(), "-p".into(), DEMO_PW.into(), "--json-lines".into(), "--xlsx".into(), out.display().to_string()]);
    assert!(o.status.success(), "cotton-report --xlsx: {}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let line: Value = serde_json::from_slice(o.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["type"], "xlsx", "{line}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.len() > 1000, "an xlsx file of {} bytes", bytes.len());

    // A wrong password and a non-regiment account are refused at once, with exit code 2.
    let o = run(vec!["-u".into(), "tuan1".into(), "-p".into(), "wrong".into(), "--json-lines".into()]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    let o = run(vec!["-u".into(), "qts65001".into(), "-p".into(), DEMO_PW.into(), "--json-lines".into()]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("团级单位"), "a Chinese refusal: {text}");
}
