//! Tamper-evident audit trail (issue 10 item 4): real mutations through the API
//! fill the hash chain for every audited table, `cotton-trace audit verify`
//! passes, and then each kind of tampering done directly in the database file /
//! PostgreSQL (an edited, deleted or inserted log entry, a business row changed
//! or deleted with the triggers out of the way, a disabled trigger) makes it fail
//! naming the entry and the table/key. Concurrent writers (two server processes
//! on PostgreSQL) leave a chain without gaps.

use std::collections::BTreeSet;
use std::time::Instant;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ginning::{self, Tk};
use crate::harness::*;
use crate::processing_fixture as pf;

both_backends!(
    audit_trail_covers_every_table_and_catches_tampering,
    audit_definitions_are_those_of_the_migrations,
    a_do_nothing_trigger_is_caught_before_the_next_write,
    concurrent_writers_leave_no_gaps,
    secrets_and_id_numbers_stay_out_of_logs_answers_and_the_log,
);

/// The tables whose every change must reach the chain (the list: accounts,
/// units with members and plots, reviews, tickets, cards, processing records and
/// bales, inspections, and what allocation is computed from).
const AUDITED: [&str; 20] = [
    "orgs",
    "accounts",
    "season_rules",
    "growers",
    "plots",
    "trace_units",
    "unit_plots",
    "unit_reviews",
    "tickets",
    "ticket_plots",
    "trace_cards",
    "print_records",
    "production_lines",
    "card_exports",
    "line_states",
    "line_records",
    "bales",
    "enterprise_verifiers",
    "enterprise_printers",
    "inspections",
];

// ---------------------------------------------------------------- direct database access

/// A connection straight to the server's database, as an intruder with file or
/// database access would have (no application code, no audit functions).
pub enum Raw {
    Sqlite(diesel::SqliteConnection),
    Pg(tokio_postgres::Client),
}

#[derive(diesel::QueryableByName)]
struct V {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

impl Raw {
    pub async fn open(srv: &TestServer) -> Raw {
        let url = srv.database_url();
        if let Some(path) = url.strip_prefix("sqlite://") {
            use diesel::Connection;
            let mut c = diesel::SqliteConnection::establish(path).expect("open the SQLite file");
            diesel::connection::SimpleConnection::batch_execute(&mut c, "PRAGMA busy_timeout = 10000;").unwrap();
            Raw::Sqlite(c)
        } else {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect to PostgreSQL");
            tokio::spawn(conn);
            Raw::Pg(client)
        }
    }

    pub async fn exec(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Raw::Sqlite(c) => diesel::connection::SimpleConnection::batch_execute(c, sql).map_err(|e| e.to_string()),
            Raw::Pg(c) => c
                .batch_execute(sql)
                .await
                .map_err(|e| e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string())),
        }
    }

    /// A query with one text column named `v`.
    pub async fn texts(&mut self, sql: &str) -> Vec<String> {
        match self {
            Raw::Sqlite(c) => diesel::RunQueryDsl::load::<V>(diesel::sql_query(sql), c)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .into_iter()
                .map(|r| r.v)
                .collect(),
            Raw::Pg(c) => c
                .query(sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect(),
        }
    }

    pub async fn text(&mut self, sql: &str) -> String {
        let mut v = self.texts(sql).await;
        assert_eq!(v.len(), 1, "one row from {sql}: {v:?}");
        v.remove(0)
    }

    /// Runs `sql` with the audit triggers (and the log's append-only guards) out
    /// of the way: on PostgreSQL `session_replication_role = replica` (no trigger
    /// fires in this session), on SQLite the triggers are dropped and re-created.
    async fn behind_the_log(&mut self, sql: &str) {
        match self {
            Raw::Pg(_) => {
                self.exec(&format!("SET session_replication_role = replica; {sql}; SET session_replication_role = origin;"))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            Raw::Sqlite(_) => {
                let names = self.texts("SELECT name AS v FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'").await;
                let mut sqls = Vec::new();
                for n in &names {
                    sqls.push(self.text(&format!("SELECT sql AS v FROM sqlite_master WHERE name = '{n}'")).await);
                }
                let drops: String = names.iter().map(|n| format!("DROP TRIGGER {n};")).collect();
                self.exec(&format!("BEGIN; {drops} {sql}; {}; COMMIT;", sqls.join(";\n")))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
    }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

// ---------------------------------------------------------------- audit verify

/// `cotton-trace audit verify --json`: the report; its exit code must agree.
fn verify(srv: &TestServer) -> Value {
    let out = srv.cli(&["audit", "verify", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit verify --json printed no JSON ({e}); status {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.success(), report["ok"] == true, "exit code {} vs report {report}", out.status);
    report
}

fn assert_ok(report: &Value, why: &str) {
    assert_eq!(report["ok"], true, "{why}: audit verify should pass: {report:#}");
    assert_eq!(report["problems"], json!([]), "{why}");
}

/// (kind, (chain, seq), table, key) of each problem.
fn problems(report: &Value) -> Vec<(String, Option<(i64, i64)>, String, String)> {
    assert_eq!(report["ok"], false, "audit verify should fail: {report:#}");
    let list: Vec<_> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            assert!(has_cjk(p["message"].as_str().unwrap_or("")), "a Chinese message: {p}");
            let at = p["chain"].as_i64().zip(p["seq"].as_i64());
            (s(&p["kind"]), at, s(&p["table"]), s(&p["key"]))
        })
        .collect();
    assert!(!list.is_empty(), "a failing report names its problems: {report:#}");
    list
}

fn p(kind: &str, at: Option<(i64, i64)>, table: &str, key: &str) -> (String, Option<(i64, i64)>, String, String) {
    (kind.into(), at, table.into(), key.into())
}

#[allow(clippy::too_many_arguments)]
fn entry_hash(prev: &str, chain: i64, seq: i64, at: &str, tbl: &str, op: &str, key: &str, json: &str) -> String {
    hex::encode(Sha256::digest(format!("{prev}|{chain}|{seq}|{at}|{tbl}|{op}|{key}|{json}").as_bytes()))
}

/// (chain, seq) from a query selecting `CAST(chain AS TEXT) || ' ' || CAST(seq AS TEXT) AS v`.
async fn entry(raw: &mut Raw, sql: &str) -> (i64, i64) {
    let v = raw.text(sql).await;
    let (c, n) = v.split_once(' ').unwrap_or_else(|| panic!("{sql}: {v}"));
    (c.parse().unwrap(), n.parse().unwrap())
}

const CS: &str = "CAST(chain AS TEXT) || ' ' || CAST(seq AS TEXT) AS v";

// ---------------------------------------------------------------- tests

async fn audit_trail_covers_every_table_and_catches_tampering(backend: Backend) {
    let (srv, m) = pf::start(backend).await;
    let qy = m.qy_a().to_string();

    // Every kind of state change through the API: tickets, cards and prints,
    // a VI line with a delay and a bale, the verification account, an inspection,
    // an IV line with an export.
    let card = pf::work_card(&srv, &m, &qy, "AU-1").await;
    pf::set_verifier(&srv, &qy).await;
    let d = srv.ok(Some(&qy), "mutation { setDefaultPrinter(model: \"ZPL\") }", json!({})).await;
    assert_eq!(d["setDefaultPrinter"], "ZPL", "{d}");
    let line = pf::create_line(&srv, &qy, "一号线", "VI").await;
    assert_eq!(pf::scan(&srv, &qy, &line.id, &[&card]).await, vec![pf::judged(&card, "NEED_DELAY")]);
    pf::delay(&srv, &qy, &line.id, &card, 0).await;
    pf::bale(&srv, &qy, &line.id, "AUB1", "227", None).await;
    let rep = pf::import_inspections(
        &srv,
        &m.t.admin,
        "inspections.csv",
        pf::inspection_csv(&[["AUB1", "31", "29.5", "30.0", "4.2", "83.0", "2.0", "7.9", "220.00"]]),
    )
    .await;
    assert_eq!(pf::counts(&rep), [1, 0, 0, 0], "{rep}");
    pf::card_of(&srv, &qy, &pf::ticket(&m, "AU-2", 1, "A1-01-1", "1000", "200")).await;
    let iv = pf::create_line(&srv, &qy, "二号线", "IV").await;
    let d = srv.ok(Some(&qy), ginning::EXPORT, json!({ "l": iv.id })).await;
    assert!(d["exportTraceFile"]["cardCount"].as_i64().unwrap_or(0) >= 1, "{d}");

    let mut raw = Raw::open(&srv).await;
    let logged: BTreeSet<String> = raw.texts("SELECT DISTINCT tbl AS v FROM audit_log").await.into_iter().collect();
    let expected: BTreeSet<String> = AUDITED.iter().map(|t| t.to_string()).collect();
    assert_eq!(logged, expected, "every audited table has entries after the mutations");
    let count: i64 = raw.text("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log").await.parse().unwrap();

    let report = verify(&srv);
    assert_ok(&report, "after real mutations");
    assert_eq!(report["entries"], count, "{report}");
    let heads = report["heads"].as_array().expect("heads");
    let seqs: i64 = heads.iter().map(|h| h["seq"].as_i64().unwrap()).sum();
    assert_eq!(seqs, count, "each chain's seq runs 1..=its length: {report}");
    let out = srv.cli(&["audit", "verify"]);
    assert!(out.status.success());
    let line_out = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(line_out.trim().lines().count(), 1, "one-line summary: {line_out}");
    assert!(line_out.contains("OK") && line_out.contains(&format!("{count} 条记录")), "{line_out}");
    eprintln!("audit ({backend:?}): {count} entries; {}", line_out.trim());

    // On SQLite a connection without the server's audit functions (the sqlite3
    // shell, say) cannot change an audited table at all: the trigger fails.
    if let Raw::Sqlite(_) = raw {
        let err = raw.exec("UPDATE tickets SET gross_kg = gross_kg").await.expect_err("a write without the audit functions");
        assert!(err.contains("audit_hash"), "{err}");
        let err = raw.exec("DELETE FROM audit_log WHERE seq = 1").await.expect_err("the log is append-only");
        assert!(err.contains("审计日志只能追加"), "{err}");
    } else {
        let err = raw.exec("DELETE FROM audit_log WHERE seq = 1").await.expect_err("the log is append-only");
        assert!(err.contains("审计日志只能追加"), "{err}");
    }

    let ticket = raw.text("SELECT CAST(id AS TEXT) AS v FROM tickets WHERE ticket_no = 'AU-1'").await;
    let tk = ticket.as_str();

    // (a) An edited log entry: the ticket's first snapshot gets another weight.
    let e_edit = entry(&mut raw, &format!("SELECT {CS} FROM audit_log WHERE tbl = 'tickets' AND row_key = '{tk}' ORDER BY at LIMIT 1")).await;
    let at_edit = format!("chain = {} AND seq = {}", e_edit.0, e_edit.1);
    let original = raw.text(&format!("SELECT row_json AS v FROM audit_log WHERE {at_edit}")).await;
    assert!(original.contains("1000"), "{original}");
    raw.behind_the_log(&format!("UPDATE audit_log SET row_json = {} WHERE {at_edit}", q(&original.replace("1000", "9000"))))
        .await;
    let found = problems(&verify(&srv));
    assert_eq!(found[0], p("EDITED", Some(e_edit), "tickets", tk), "{found:?}");
    assert!(found.iter().all(|f| (f.0 == "EDITED" || f.0 == "ROW_CHANGED") && f.2 == "tickets" && f.3 == tk), "{found:?}");
    raw.behind_the_log(&format!("UPDATE audit_log SET row_json = {} WHERE {at_edit}", q(&original))).await;
    assert_ok(&verify(&srv), "the entry restored");

    // (b) A deleted log entry: a review's only snapshot (one with a successor in
    // its chain, so that the gap shows).
    let e_del = entry(
        &mut raw,
        &format!(
            "SELECT {CS} FROM audit_log a WHERE tbl = 'unit_reviews' AND EXISTS \
             (SELECT 1 FROM audit_log b WHERE b.chain = a.chain AND b.seq = a.seq + 1) ORDER BY chain, seq LIMIT 1"
        ),
    )
    .await;
    let at_del = format!("chain = {} AND seq = {}", e_del.0, e_del.1);
    let mut cols = Vec::new();
    for c in ["at", "tbl", "op", "row_key", "row_json", "prev_hash", "hash"] {
        cols.push(raw.text(&format!("SELECT {c} AS v FROM audit_log WHERE {at_del}")).await);
    }
    let review_key = cols[3].clone();
    raw.behind_the_log(&format!("DELETE FROM audit_log WHERE {at_del}")).await;
    let found = problems(&verify(&srv));
    assert_eq!(found[0].0, "DELETED", "{found:?}");
    assert_eq!(found[0].1, Some((e_del.0, e_del.1 + 1)), "the gap is reported at the next entry: {found:?}");
    assert!(found.contains(&p("ROW_UNLOGGED", None, "unit_reviews", &review_key)), "the review lost its snapshot: {found:?}");
    let values = cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
    raw.behind_the_log(&format!(
        "INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash) VALUES ({}, {}, {values})",
        e_del.0, e_del.1
    ))
    .await;
    assert_ok(&verify(&srv), "the entry put back");

    // (c) An inserted entry: a forged snapshot of the ticket appended to the
    // longest chain with a valid hash of its own but linked to the wrong
    // predecessor ...
    let chain: i64 = raw
        .text("SELECT CAST(chain AS TEXT) AS v FROM audit_log GROUP BY chain ORDER BY COUNT(*) DESC, chain LIMIT 1")
        .await
        .parse()
        .unwrap();
    let head: i64 = raw.text(&format!("SELECT CAST(MAX(seq) AS TEXT) AS v FROM audit_log WHERE chain = {chain}")).await.parse().unwrap();
    assert!(head >= 2, "the longest chain has a few entries");
    let latest_json = raw
        .text(&format!("SELECT row_json AS v FROM audit_log WHERE tbl = 'tickets' AND row_key = '{tk}' ORDER BY at DESC LIMIT 1"))
        .await;
    let forged = latest_json.replace("1000", "1001");
    let at = "2999-12-31T00:00:00.000000Z";
    let wrong_prev = raw.text(&format!("SELECT hash AS v FROM audit_log WHERE chain = {chain} AND seq = {}", head - 1)).await;
    let right_prev = raw.text(&format!("SELECT hash AS v FROM audit_log WHERE chain = {chain} AND seq = {head}")).await;
    let seq = head + 1;
    for (prev, linked) in [(wrong_prev, false), (right_prev, true)] {
        let hash = entry_hash(&prev, chain, seq, at, "tickets", "UPDATE", tk, &forged);
        raw.exec(&format!(
            "INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash) \
             VALUES ({chain}, {seq}, '{at}', 'tickets', 'UPDATE', '{tk}', {}, '{prev}', '{hash}')",
            q(&forged)
        ))
        .await
        .expect("appending is allowed");
        let found = problems(&verify(&srv));
        if linked {
            // ... and then one linked correctly: the chain holds, but the ticket no
            // longer matches its latest snapshot.
            assert_eq!(found, vec![p("ROW_CHANGED", Some((chain, seq)), "tickets", tk)], "{found:?}");
        } else {
            assert_eq!(found[0], p("INSERTED", Some((chain, seq)), "tickets", tk), "{found:?}");
            assert!(found.contains(&p("ROW_CHANGED", Some((chain, seq)), "tickets", tk)), "{found:?}");
        }
        raw.behind_the_log(&format!("DELETE FROM audit_log WHERE chain = {chain} AND seq = {seq}")).await;
        assert_ok(&verify(&srv), "the forged entry removed");
    }

    // (d) The ticket's weight edited with the triggers out of the way.
    let gross = raw.text(&format!("SELECT CAST(gross_kg AS TEXT) AS v FROM tickets WHERE id = {tk}")).await;
    raw.behind_the_log(&format!("UPDATE tickets SET gross_kg = '1234.50' WHERE id = {tk}")).await;
    let e_latest = entry(&mut raw, &format!("SELECT {CS} FROM audit_log WHERE tbl = 'tickets' AND row_key = '{tk}' ORDER BY at DESC LIMIT 1")).await;
    assert_eq!(problems(&verify(&srv)), vec![p("ROW_CHANGED", Some(e_latest), "tickets", tk)]);
    raw.behind_the_log(&format!("UPDATE tickets SET gross_kg = {} WHERE id = {tk}", q(&gross))).await;
    assert_ok(&verify(&srv), "the weight restored");

    // (e) A missing or disabled audit trigger.
    let disable = match raw {
        Raw::Pg(_) => ("ALTER TABLE tickets DISABLE TRIGGER audit".to_string(), "ALTER TABLE tickets ENABLE TRIGGER audit".to_string()),
        Raw::Sqlite(_) => {
            let sql = raw.text("SELECT sql AS v FROM sqlite_master WHERE name = 'audit_tickets_update'").await;
            ("DROP TRIGGER audit_tickets_update".to_string(), sql)
        }
    };
    raw.exec(&disable.0).await.unwrap();
    let found = problems(&verify(&srv));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].2.as_str()), ("TRIGGER", "tickets"), "{found:?}");
    raw.exec(&disable.1).await.unwrap();
    assert_ok(&verify(&srv), "the trigger back");

    // (f) A row deleted behind the log; the text report names it too.
    let insp = raw.text("SELECT CAST(id AS TEXT) AS v FROM inspections WHERE barcode = 'AUB1'").await;
    let e_insp = entry(&mut raw, &format!("SELECT {CS} FROM audit_log WHERE tbl = 'inspections' AND row_key = '{insp}' ORDER BY at DESC LIMIT 1")).await;
    raw.behind_the_log("DELETE FROM inspections WHERE barcode = 'AUB1'").await;
    assert_eq!(problems(&verify(&srv)), vec![p("ROW_MISSING", Some(e_insp), "inspections", &insp)]);
    let out = srv.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "exit code 1 on a problem");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("chain={} seq={}", e_insp.0, e_insp.1)) && text.contains("表=inspections") && text.contains(&format!("键={insp}")),
        "{text}"
    );
}

async fn concurrent_writers_leave_no_gaps(backend: Backend) {
    let (srv, g) = ginning::start(backend).await;
    // Two server processes on one database (on PostgreSQL: two connection pools
    // racing for the chain); on SQLite one process with many requests in flight.
    let other = match backend {
        Backend::Postgres => Some(srv.another_on_same_db().await),
        Backend::Sqlite => None,
    };
    let plot = g.plot("A1-01-1");
    let id = g.id(1);
    const N: usize = 60;
    let started = Instant::now();
    let results: Vec<Value> = futures_util::stream::iter(0..N)
        .map(|i| {
            let target = match (&other, i % 2) {
                (Some(o), 1) => o,
                _ => &srv,
            };
            let token = if i % 3 == 0 { g.t.qy_a.clone() } else { g.qy_b.clone() };
            let tk = Tk::new(&format!("C-{i}"), &id, std::slice::from_ref(&plot), "1000");
            async move { ginning::upload_raw(target, &token, &tk).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in &results {
        data(r);
    }
    let report = verify(&srv);
    assert_ok(&report, "after concurrent uploads");
    let mut raw = Raw::open(&srv).await;
    let inserted = raw.text("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE tbl = 'tickets' AND op = 'INSERT'").await;
    assert_eq!(inserted, N.to_string(), "one INSERT entry per ticket");
    let spans = raw.texts("SELECT CAST(COUNT(*) AS TEXT) || ' ' || CAST(MAX(seq) AS TEXT) AS v FROM audit_log GROUP BY chain").await;
    let mut total = 0;
    for span in &spans {
        let (n, max) = span.split_once(' ').unwrap();
        assert_eq!(n, max, "each chain's seq runs 1..=its length without gaps: {spans:?}");
        total += n.parse::<u64>().unwrap();
    }
    assert_eq!(report["entries"], total);
    eprintln!(
        "audit ({backend:?}): {N} concurrent uploads in {:?}, {total} entries in {} chain(s) verified",
        started.elapsed(),
        spans.len()
    );
}

/// Issue 10 item 5: with `RUST_LOG=trace` (every SQL statement logged), after
/// sign-ins, a roster, units, a card, a verification account and an export (the
/// platform signing key), the server's log holds no JWT secret, password,
/// password hash, signing or device key, or ID number; other roles' answers show
/// ID numbers masked; the audit log keeps hashes of secrets and ID numbers only.
async fn secrets_and_id_numbers_stay_out_of_logs_answers_and_the_log(backend: Backend) {
    let srv = TestServer::start(backend, pf::opts().env("RUST_LOG", "trace,poem=trace")).await;
    let m = pf::setup(&srv).await;
    let qy = m.qy_a().to_string();
    pf::card_of(&srv, &qy, &pf::ticket(&m, "S-1", 1, "A1-01-1", "1000", "200")).await;
    pf::set_verifier(&srv, &qy).await;
    let line = pf::create_line(&srv, &qy, "二号线", "IV").await;
    srv.ok(Some(&qy), ginning::EXPORT, json!({ "l": line.id })).await;
    let refreshed = srv.login_payload("tuan_a", PW).await;

    let mut ids: Vec<String> = (1..=8).map(|g| m.id(g)).collect();
    ids.push(s(&crate::unit_fixtures::legal_person()["idNumber"]));

    // Answers to every role but the grower: masked.
    let t = &m.t;
    let mut answers = Vec::new();
    for token in [&t.admin, &t.tuan_a, &t.lian_a1, &qy, &m.initiator] {
        let growers = srv
            .gql(Some(token), crate::unit_fixtures::GROWERS, json!({ "c": t.company_a1, "s": ginning::SEASON, "f": 50 }))
            .await;
        answers.push(growers.to_string());
        for unit in [&m.u1, &m.uc] {
            answers.push(srv.gql(Some(token), &crate::unit_fixtures::unit_q(), json!({ "id": unit })).await.to_string());
        }
        answers.push(
            srv.gql(Some(token), &ginning::grower_tickets_query(), json!({ "i": m.id(1), "s": ginning::SEASON }))
                .await
                .to_string(),
        );
    }
    let masked_seen = answers.iter().filter(|a| a.contains("**********")).count();
    assert!(masked_seen >= 10, "the answers did carry masked ID numbers ({masked_seen})");
    for a in &answers {
        for id in &ids {
            assert!(!a.contains(id.as_str()), "an answer holds the full ID number {id}: {a}");
        }
    }

    // The log.
    let mut raw = Raw::open(&srv).await;
    let mut secrets: Vec<(String, String)> = vec![
        ("the JWT secret".into(), JWT_SECRET.into()),
        ("the admin password".into(), ADMIN_PW.into()),
        ("a password".into(), PW.into()),
        ("the verification password".into(), pf::VERIFIER_PW.into()),
        ("a device key".into(), line.device_key.clone()),
        ("an access token".into(), s(&refreshed["accessToken"])),
        ("a refresh token".into(), s(&refreshed["refreshToken"])),
    ];
    for h in raw.texts("SELECT password_hash AS v FROM accounts").await {
        assert!(h.starts_with("$argon2id$v=19$"), "passwords are stored as Argon2id only: {h}");
        secrets.push(("a password hash".into(), h));
    }
    for h in raw.texts("SELECT password_hash AS v FROM enterprise_verifiers").await {
        assert!(h.starts_with("$argon2id$v=19$"), "the verification password is Argon2id: {h}");
        secrets.push(("the verification password hash".into(), h));
    }
    for k in raw.texts("SELECT value AS v FROM app_meta WHERE key = 'platform_signing_key'").await {
        secrets.push(("the platform signing key".into(), k));
    }
    for id in &ids {
        secrets.push(("an ID number".into(), id.clone()));
    }
    let log = srv.stderr();
    assert!(log.contains("cotton_trace::sql") && log.contains("INSERT INTO"), "SQL statements were traced");
    for (what, secret) in &secrets {
        assert!(!log.contains(secret.as_str()), "the server log holds {what}");
    }

    // The audit log: hashes instead of secrets and ID numbers.
    let audit = raw.texts("SELECT row_json AS v FROM audit_log").await.join("\n");
    for (what, secret) in secrets.iter().filter(|(w, _)| w.contains("hash") || w.contains("key") || w.contains("ID")) {
        assert!(!audit.contains(secret.as_str()), "audit_log holds {what}");
    }
    let g1_hash = hex::encode(Sha256::digest(m.id(1).as_bytes()));
    assert!(audit.contains(&g1_hash), "the grower's snapshot keeps the SHA-256 of the ID number");
}

// ---------------------------------------------------------------- benchmark

/// The cost of the audit triggers on `uploadTicket`: `COTTON_AUDIT_BENCH_N`
/// (default 2000) uploads, 16 in flight, on a database with the audit triggers
/// and on one without them. Prints the figures; asserts nothing about time.
///
/// `cargo test -p cotton-trace --test api -j 2 -- --ignored --nocapture audit::bench_upload_ticket`
#[tokio::test]
#[ignore]
async fn bench_upload_ticket_postgres() {
    if !pg_available().await {
        return;
    }
    bench_upload_ticket(Backend::Postgres).await;
}

#[tokio::test]
#[ignore]
async fn bench_upload_ticket_sqlite() {
    bench_upload_ticket(Backend::Sqlite).await;
}

async fn bench_upload_ticket(backend: Backend) {
    let n: usize = std::env::var("COTTON_AUDIT_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let mut figures = Vec::new();
    for audited in [true, false, true, false] {
        let (srv, g) = ginning::start(backend).await;
        let mut raw = Raw::open(&srv).await;
        if !audited {
            let drops: String = match raw {
                Raw::Pg(_) => AUDITED.iter().map(|t| format!("DROP TRIGGER audit ON {t};")).collect(),
                Raw::Sqlite(_) => raw
                    .texts("SELECT name AS v FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'")
                    .await
                    .iter()
                    .map(|n| format!("DROP TRIGGER {n};"))
                    .collect(),
            };
            raw.exec(&drops).await.unwrap();
        }
        let plot = g.plot("A1-01-1");
        let id = g.id(1);
        let token = g.t.qy_a.clone();
        let run = |from: usize, to: usize| {
            let (srv, plot, id, token) = (&srv, &plot, &id, &token);
            futures_util::stream::iter(from..to)
                .map(move |i| {
                    let tk = Tk::new(&format!("B-{i}"), id, std::slice::from_ref(plot), "1000");
                    async move { ginning::upload_raw(srv, token, &tk).await }
                })
                .buffer_unordered(16)
                .collect::<Vec<Value>>()
        };
        for r in run(0, 100).await {
            data(&r); // warm-up
        }
        let t0 = Instant::now();
        let results = run(100, 100 + n).await;
        let secs = t0.elapsed().as_secs_f64();
        for r in &results {
            data(r);
        }
        let entries = raw.text("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log").await;
        let rate = n as f64 / secs;
        eprintln!(
            "bench uploadTicket {backend:?} audit={audited}: {n} in {secs:.2} s = {rate:.0} tickets/s (audit_log entries: {entries})"
        );
        figures.push((audited, rate));
    }
    let avg = |a: bool| {
        let v: Vec<f64> = figures.iter().filter(|f| f.0 == a).map(|f| f.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (with, without) = (avg(true), avg(false));
    eprintln!(
        "bench uploadTicket {backend:?}: with audit {with:.0}/s, without {without:.0}/s, cost {:.1} %",
        (1.0 - with / without) * 100.0
    );
}

/// `server/store/src/audit/expected.txt` holds the definitions a freshly migrated
/// database has; when a migration changes them this fails (regenerate the file,
/// see `server/store/src/audit/definitions.rs`).
async fn audit_definitions_are_those_of_the_migrations(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let out = srv.cli(&["audit", "definitions"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let live: BTreeSet<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    let prefix = match backend {
        Backend::Sqlite => "sqlite ",
        Backend::Postgres => "postgres ",
    };
    let file = include_str!("../../server/store/src/audit/expected.txt");
    let expected: BTreeSet<String> = file.lines().filter(|l| l.starts_with(prefix)).map(str::to_string).collect();
    assert!(expected.len() > 20, "expected.txt lists the {prefix}definitions");
    assert_eq!(live, expected, "server/store/src/audit/expected.txt is out of date with the migrations");
    assert_ok(&verify(&srv), "a fresh database");
}

/// An intruder swaps an audit trigger (SQLite) or the audit function (PostgreSQL)
/// for one of the same name that does nothing, and adds a trigger of their own:
/// `audit verify` names each at once, before the application writes anything.
async fn a_do_nothing_trigger_is_caught_before_the_next_write(backend: Backend) {
    let (srv, m) = pf::start(backend).await;
    pf::work_card(&srv, &m, m.qy_a(), "DN-1").await;
    assert_ok(&verify(&srv), "before");
    let mut raw = Raw::open(&srv).await;
    let (swapped, added) = match backend {
        Backend::Sqlite => {
            raw.exec(
                "DROP TRIGGER audit_tickets_update; \
                 CREATE TRIGGER audit_tickets_update AFTER UPDATE ON tickets BEGIN SELECT 1; END; \
                 CREATE TRIGGER quiet_cards AFTER UPDATE ON trace_cards BEGIN SELECT 1; END;",
            )
            .await
            .unwrap();
            ("trigger audit_tickets_update", "trigger quiet_cards")
        }
        Backend::Postgres => {
            raw.exec(
                "CREATE OR REPLACE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$; \
                 CREATE FUNCTION quiet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; \
                 CREATE TRIGGER quiet_cards BEFORE UPDATE ON trace_cards FOR EACH ROW EXECUTE FUNCTION quiet();",
            )
            .await
            .unwrap();
            ("function audit_append()", "trigger trace_cards.quiet_cards")
        }
    };
    let found = problems(&verify(&srv));
    let keys: Vec<&str> = found.iter().filter(|p| p.0 == "TRIGGER").map(|p| p.3.as_str()).collect();
    assert!(keys.contains(&swapped), "the do-nothing {swapped} is reported: {found:?}");
    assert!(keys.contains(&added), "the added {added} is reported: {found:?}");
}
