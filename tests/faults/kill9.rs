//! kill -9 of the server during sustained ticket and bale uploads, then a
//! restart on the same database (issue 10, faults 1 and 3).
//!
//! `TASKS` clients (one per VI production line of one enterprise) each run
//! `TICKETS` deliveries: uploadTicket → printTraceCard → scanCards (+
//! enterDelayBales 0 on the line's first card) → recordBale × 2 (the second
//! bale finishes the card). Once `KILL_AFTER` calls were acknowledged the
//! server gets SIGKILL. Then, before anything is restarted, the database is
//! read directly: every acknowledged operation must be there (on SQLite the
//! crashed file must also pass `PRAGMA integrity_check` and
//! `foreign_key_check`). A new server process starts on the same database; each
//! client re-sends its last acknowledged call, retries the call it lost, and
//! finishes its work. At the end each ticket, card and bale exists exactly
//! once, each bale is linked to its own ticket's card, each card's processed
//! lint is the sum of its bales, and every line's record sequence is gap-free.
//!
//! Idempotency keys the clients rely on (docs/decisions.md, "Retries"):
//! uploadTicket — (enterprise, season, ticketNo), a resend answers the same
//! ticket; printTraceCard — the ticket (one card each), a resend is CONFLICT and
//! the resent ticket names its card; scanCards / enterDelayBales(0) — scanning a
//! queued or current card changes nothing; recordBale — the barcode, a resend
//! is CONFLICT.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::client::{Outcome, call, http_client};
use crate::ginning::{self, Tk, rfc3339};
use crate::harness::*;

const TASKS: usize = 4;
const TICKETS: usize = 6;
const BALES: usize = 2;
/// Calls acknowledged before the kill (of TASKS × TICKETS × 5 ≈ 124).
const KILL_AFTER: usize = 45;

both_backends!(kill_and_restart);

const UPLOAD: &str = "mutation($i: TicketInput!) { uploadTicket(input: $i) { id ticketNo card { cardNo } } }";
const PRINT: &str = "mutation($t: ID!) { printTraceCard(ticketId: $t, moduleType: ROUND_MODULE, moduleCount: 4) { card { cardNo } } }";
const SCAN: &str = "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { cardNo outcome } }";
const DELAY: &str = "mutation($l: ID!, $c: String!) { enterDelayBales(lineId: $l, cardNo: $c, count: 0) { pendingDelay } }";
const BALE: &str = "mutation($l: ID!, $b: String!, $n: Decimal!, $t: DateTime!) { recordBale(lineId: $l, barcode: $b, netKg: $n, pressedAt: $t) { bale { barcode card { cardNo } } } }";
const CREATE_LINE: &str = "mutation($n: String!) { createProductionLine(name: $n, collectorModel: VI) { id } }";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Ticket(usize),
    Print(usize),
    Scan(usize),
    Bale(usize, usize),
}

fn ticket_no(task: usize, i: usize) -> String {
    format!("K{task}{i:02}")
}

fn barcode(task: usize, i: usize, j: usize) -> String {
    format!("KB{task}{i:02}{j}")
}

/// The server the clients talk to: (generation, base URL). Generation 0 is the
/// server that gets killed, 1 the restarted one.
type Current = watch::Receiver<(u32, String)>;

#[derive(Default)]
struct Stats {
    /// Acknowledged calls (first attempts), in order.
    acked: Vec<(usize, Step)>,
    /// Calls lost in the kill, by client.
    lost: Vec<(usize, Step)>,
    /// Acknowledged calls sent again after the restart.
    resent: usize,
}

struct Client {
    task: usize,
    token: String,
    line: String,
    tickets: Vec<Tk>,
    ticket_ids: HashMap<usize, String>,
    card_nos: HashMap<usize, String>,
    http: reqwest::Client,
    stats: Arc<Mutex<Stats>>,
    acked_count: Arc<AtomicUsize>,
    parked: Arc<AtomicUsize>,
}

impl Client {
    fn steps() -> Vec<Step> {
        let mut v = Vec::new();
        for i in 0..TICKETS {
            v.extend([Step::Ticket(i), Step::Print(i), Step::Scan(i)]);
            v.extend((0..BALES).map(|j| Step::Bale(i, j)));
        }
        v
    }

    async fn run(mut self, mut current: Current) -> Client {
        let mut last_acked: Option<Step> = None;
        let mut resend_done = false;
        for step in Self::steps() {
            let mut retrying = false;
            loop {
                let (generation, base) = current.borrow().clone();
                if generation > 0 && !resend_done {
                    // After the restart: the last acknowledged call once more.
                    if let Some(prev) = last_acked {
                        if let Err(e) = self.exec(&base, prev, true).await {
                            panic!("client {}: re-sent {prev:?} lost on the restarted server: {e}", self.task);
                        }
                        self.stats.lock().unwrap().resent += 1;
                    }
                    resend_done = true;
                }
                match self.exec(&base, step, retrying).await {
                    Ok(()) => {
                        if !retrying {
                            self.stats.lock().unwrap().acked.push((self.task, step));
                            self.acked_count.fetch_add(1, Ordering::SeqCst);
                        }
                        last_acked = Some(step);
                        break;
                    }
                    Err(e) if generation == 0 => {
                        // Lost in the kill: wait for the restarted server, retry.
                        self.stats.lock().unwrap().lost.push((self.task, step));
                        self.parked.fetch_add(1, Ordering::SeqCst);
                        current.wait_for(|(g, _)| *g > generation).await.expect("restart signal");
                        let _ = e;
                        retrying = true;
                    }
                    Err(e) => panic!("client {}: {step:?} lost on the restarted server: {e}", self.task),
                }
            }
        }
        if current.borrow().0 == 0 {
            // Finished before the kill (should not happen with KILL_AFTER well
            // below the total): count as parked so the killer does not wait.
            self.parked.fetch_add(1, Ordering::SeqCst);
        }
        self
    }

    /// One call (two for a scan that asks for the delay). `Err` = lost.
    async fn exec(&mut self, base: &str, step: Step, retrying: bool) -> Result<(), String> {
        let t = self.task;
        match step {
            Step::Ticket(i) => {
                let d = self.acked(base, UPLOAD, json!({ "i": Value::Object(self.tickets[i].0.clone()) }), step).await?;
                let ticket = &d["uploadTicket"];
                let id = s(&ticket["id"]);
                if let Some(prev) = self.ticket_ids.get(&i) {
                    assert_eq!(prev, &id, "client {t}: a resent ticket {} must be the same ticket", ticket_no(t, i));
                }
                self.ticket_ids.insert(i, id);
                if let Some(no) = ticket["card"]["cardNo"].as_str() {
                    self.card_nos.insert(i, no.to_string());
                }
                Ok(())
            }
            Step::Print(i) => {
                let id = self.ticket_ids[&i].clone();
                match call(&self.http, base, &self.token, PRINT, json!({ "t": id })).await {
                    Outcome::Acked(d) => {
                        let no = s(&d["printTraceCard"]["card"]["cardNo"]);
                        assert!(!retrying || !self.card_nos.contains_key(&i), "client {t}: a second card for ticket {i}");
                        self.card_nos.insert(i, no);
                        Ok(())
                    }
                    // Printed before (a retry, or a resend): the ticket names its card.
                    Outcome::Refused(code, _) if retrying && code == "CONFLICT" => {
                        let d = self.acked(base, UPLOAD, json!({ "i": Value::Object(self.tickets[i].0.clone()) }), step).await?;
                        let no = s(&d["uploadTicket"]["card"]["cardNo"]);
                        if let Some(prev) = self.card_nos.get(&i) {
                            assert_eq!(prev, &no, "client {t}: ticket {i} changed its card");
                        }
                        self.card_nos.insert(i, no);
                        Ok(())
                    }
                    Outcome::Lost(e) => Err(e),
                    Outcome::Refused(code, msg) => panic!("client {t}: {step:?} refused: {code} {msg}"),
                }
            }
            Step::Scan(i) => {
                let card = self.card_nos[&i].clone();
                let d = self.acked(base, SCAN, json!({ "l": self.line, "c": [card] }), step).await?;
                let outcome = s(&d["scanCards"][0]["outcome"]);
                match outcome.as_str() {
                    "NEED_DELAY" => {
                        self.acked(base, DELAY, json!({ "l": self.line, "c": card }), step).await?;
                        Ok(())
                    }
                    "STARTED" | "IN_PROGRESS" => Ok(()),
                    // A resent scan of the card the bales already finished.
                    "FINISHED" if retrying => Ok(()),
                    other => panic!("client {t}: scan of {card} answered {other}: {d}"),
                }
            }
            Step::Bale(i, j) => {
                let vars = json!({ "l": self.line, "b": barcode(t, i, j), "n": "170", "t": rfc3339(Utc::now()) });
                match call(&self.http, base, &self.token, BALE, vars).await {
                    Outcome::Acked(d) => {
                        assert_eq!(
                            d["recordBale"]["bale"]["card"]["cardNo"].as_str(),
                            Some(self.card_nos[&i].as_str()),
                            "client {t}: bale {} linked to the wrong card: {d}",
                            barcode(t, i, j)
                        );
                        Ok(())
                    }
                    // Recorded before: the barcode is the key.
                    Outcome::Refused(code, _) if retrying && code == "CONFLICT" => Ok(()),
                    Outcome::Lost(e) => Err(e),
                    Outcome::Refused(code, msg) => panic!("client {t}: {step:?} refused: {code} {msg}"),
                }
            }
        }
    }

    async fn acked(&self, base: &str, query: &str, vars: Value, step: Step) -> Result<Value, String> {
        match call(&self.http, base, &self.token, query, vars).await {
            Outcome::Acked(d) => Ok(d),
            Outcome::Lost(e) => Err(e),
            Outcome::Refused(code, msg) => panic!("client {}: {step:?} refused: {code} {msg}", self.task),
        }
    }
}

// ---------------------------------------------------------------- the database, read directly

/// Rows of three nullable text columns `a`, `b`, `c`.
type Rows = Vec<[Option<String>; 3]>;

#[derive(diesel::QueryableByName)]
struct Row3 {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    a: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    b: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c: Option<String>,
}

enum Direct {
    Pg(String),
    Sqlite(PathBuf),
}

impl Direct {
    fn of(srv: &TestServer) -> Direct {
        let url = srv.database_url();
        match url.strip_prefix("sqlite://") {
            Some(path) => Direct::Sqlite(PathBuf::from(path)),
            None => Direct::Pg(url.to_string()),
        }
    }

    async fn query(&self, sql: &str) -> Rows {
        match self {
            Direct::Pg(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect to PostgreSQL");
                let task = tokio::spawn(conn);
                let msgs = client.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                drop(client);
                let _ = task.await;
                msgs.into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some([0, 1, 2].map(|i| r.get(i).map(str::to_string)))
                        }
                        _ => None,
                    })
                    .collect()
            }
            Direct::Sqlite(path) => {
                let (path, sql) = (path.clone(), sql.to_string());
                tokio::task::spawn_blocking(move || {
                    use diesel::{Connection, RunQueryDsl};
                    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).expect("open the SQLite file");
                    let rows: Vec<Row3> = diesel::sql_query(&sql).load(&mut conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
                    rows.into_iter().map(|r| [r.a, r.b, r.c]).collect()
                })
                .await
                .unwrap()
            }
        }
    }

    async fn snapshot(&self) -> Snapshot {
        let tickets = self
            .query("SELECT ticket_no AS a, CAST(COUNT(*) AS TEXT) AS b, CAST(NULL AS TEXT) AS c FROM tickets GROUP BY ticket_no")
            .await
            .into_iter()
            .map(|[a, b, _]| (a.unwrap(), b.unwrap().parse::<usize>().unwrap()))
            .collect();
        let mut cards: BTreeMap<String, Vec<(String, Decimal, String)>> = BTreeMap::new();
        for [a, b, c] in self
            .query(
                "SELECT t.ticket_no AS a, c.card_no AS b, CAST(c.processed_lint_kg AS TEXT) || '|' || c.status AS c \
                 FROM trace_cards c JOIN tickets t ON t.id = c.ticket_id",
            )
            .await
        {
            let c = c.unwrap();
            let (kg, status) = c.split_once('|').unwrap();
            cards.entry(a.unwrap()).or_default().push((b.unwrap(), kg.parse().unwrap(), status.to_string()));
        }
        let mut bales: BTreeMap<String, Vec<(Option<String>, Decimal)>> = BTreeMap::new();
        for [a, b, c] in self
            .query(
                "SELECT b.barcode AS a, c.card_no AS b, CAST(b.conditioned_kg AS TEXT) AS c \
                 FROM bales b LEFT JOIN trace_cards c ON c.id = b.card_id",
            )
            .await
        {
            bales.entry(a.unwrap()).or_default().push((b, c.unwrap().parse().unwrap()));
        }
        let lines = self
            .query(
                "SELECT CAST(line_id AS TEXT) AS a, CAST(COUNT(*) AS TEXT) AS b, \
                 CAST(MIN(seq) AS TEXT) || '|' || CAST(MAX(seq) AS TEXT) AS c FROM line_records GROUP BY line_id",
            )
            .await
            .into_iter()
            .map(|[a, b, c]| {
                let c = c.unwrap();
                let (min, max) = c.split_once('|').unwrap();
                (a.unwrap(), (b.unwrap().parse().unwrap(), min.parse().unwrap(), max.parse().unwrap()))
            })
            .collect();
        Snapshot { tickets, cards, bales, lines }
    }
}

struct Snapshot {
    /// ticket number → rows with it
    tickets: BTreeMap<String, usize>,
    /// ticket number → its cards (card number, processed lint, status)
    cards: BTreeMap<String, Vec<(String, Decimal, String)>>,
    /// barcode → its rows (card number, conditioned kg)
    bales: BTreeMap<String, Vec<(Option<String>, Decimal)>>,
    /// line id → (records, min seq, max seq)
    lines: BTreeMap<String, (i64, i64, i64)>,
}

impl Snapshot {
    /// Is (the effect of) `step` of client `task` in the database?
    fn has(&self, task: usize, step: Step) -> bool {
        match step {
            Step::Ticket(i) => self.tickets.contains_key(&ticket_no(task, i)),
            Step::Print(i) => self.cards.contains_key(&ticket_no(task, i)),
            // A scan leaves a line record only; judged by the line's sequence.
            Step::Scan(_) => true,
            Step::Bale(i, j) => self.bales.contains_key(&barcode(task, i, j)),
        }
    }

    /// The card number of a ticket, when it has exactly one card.
    fn card_of(&self, task: usize, i: usize) -> Option<&str> {
        match self.cards.get(&ticket_no(task, i)).map(Vec::as_slice) {
            Some([(no, _, _)]) => Some(no),
            _ => None,
        }
    }
}

/// The crashed SQLite file opens and is consistent.
async fn check_sqlite_file(direct: &Direct) -> (String, usize) {
    let integrity = direct.query("SELECT integrity_check AS a, NULL AS b, NULL AS c FROM pragma_integrity_check").await;
    let ok: Vec<String> = integrity.into_iter().map(|[a, _, _]| a.unwrap_or_default()).collect();
    assert_eq!(ok, vec!["ok".to_string()], "PRAGMA integrity_check of the crashed file");
    let fk = direct
        .query("SELECT \"table\" AS a, CAST(rowid AS TEXT) AS b, parent AS c FROM pragma_foreign_key_check")
        .await;
    assert!(fk.is_empty(), "PRAGMA foreign_key_check of the crashed file: {fk:?}");
    (ok[0].clone(), fk.len())
}

// ---------------------------------------------------------------- the test

async fn kill_and_restart(backend: Backend) {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut srv = TestServer::start(backend, ginning::opts()).await;
    let g = ginning::setup(&srv).await;
    let token = g.qy_a().to_string();
    let plot = g.plot("A1-01-1");
    let grower = g.id(1);

    let stats = Arc::new(Mutex::new(Stats::default()));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let parked = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = watch::channel((0u32, srv.base.clone()));
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let d = srv.ok(Some(&token), CREATE_LINE, json!({ "n": format!("故障测试{task}号线") })).await;
        let tickets = (0..TICKETS)
            .map(|i| {
                Tk::new(&ticket_no(task, i), &grower, std::slice::from_ref(&plot), &format!("{}", 1000 + task * 10 + i))
                    .complete()
            })
            .collect();
        let client = Client {
            task,
            token: token.clone(),
            line: s(&d["createProductionLine"]["id"]),
            tickets,
            ticket_ids: HashMap::new(),
            card_nos: HashMap::new(),
            http: http_client(),
            stats: stats.clone(),
            acked_count: acked_count.clone(),
            parked: parked.clone(),
        };
        handles.push(tokio::spawn(client.run(rx.clone())));
    }

    // Sustained writes; the kill comes in the middle of them.
    while acked_count.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(!handles.iter().all(|h| h.is_finished()), "the clients finished before the kill");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    srv.kill9();
    // Every client has now lost a call (the server is gone) and waits.
    while parked.load(Ordering::SeqCst) < TASKS {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // The database as the crash left it, before any restart.
    let direct = Direct::of(&srv);
    let file_check = match backend {
        Backend::Sqlite => Some(check_sqlite_file(&direct).await),
        Backend::Postgres => None,
    };
    let crashed = direct.snapshot().await;
    let (acked, lost) = {
        let st = stats.lock().unwrap();
        (st.acked.clone(), st.lost.clone())
    };
    let missing: Vec<_> = acked.iter().filter(|(t, step)| !crashed.has(*t, *step)).collect();
    assert!(missing.is_empty(), "acknowledged before the kill but not in the database: {missing:?}");
    for (t, step) in &acked {
        if let Step::Bale(i, j) = step {
            let rows = &crashed.bales[&barcode(*t, *i, *j)];
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].0.as_deref(), crashed.card_of(*t, *i), "bale {} linked to its ticket's card", barcode(*t, *i, *j));
        }
    }
    let lost_committed = lost.iter().filter(|(t, step)| !matches!(step, Step::Scan(_)) && crashed.has(*t, *step)).count();

    // Restart on the same database; the clients retry and finish.
    let srv2 = srv.another_on_same_db_with(ginning::opts()).await;
    tx.send((1, srv2.base.clone())).expect("clients listen");
    let mut finished = Vec::new();
    for h in handles {
        finished.push(h.await.expect("client task"));
    }

    let after = direct.snapshot().await;
    let total_tickets = TASKS * TICKETS;
    let mut duplicates = 0;
    duplicates += after.tickets.values().filter(|n| **n != 1).count();
    duplicates += after.cards.values().filter(|c| c.len() != 1).count();
    duplicates += after.bales.values().filter(|b| b.len() != 1).count();
    assert_eq!(duplicates, 0, "duplicates after the retries");
    assert_eq!(after.tickets.len(), total_tickets, "tickets: {:?}", after.tickets.keys());
    assert_eq!(after.cards.len(), total_tickets, "one card per ticket");
    assert_eq!(after.bales.len(), total_tickets * BALES, "bales");
    for c in &finished {
        for i in 0..TICKETS {
            let card = after.card_of(c.task, i).expect("one card");
            assert_eq!(Some(card), c.card_nos.get(&i).map(String::as_str), "the client knows its card");
            let mut sum = Decimal::ZERO;
            for j in 0..BALES {
                let rows = &after.bales[&barcode(c.task, i, j)];
                assert_eq!(rows[0].0.as_deref(), Some(card), "bale {} belongs to ticket {}'s card", barcode(c.task, i, j), ticket_no(c.task, i));
                sum += rows[0].1;
            }
            let (_, processed, status) = &after.cards[&ticket_no(c.task, i)][0];
            assert_eq!(*processed, sum, "card {card}: processed lint = its bales");
            assert_eq!(status, "FINISHED", "card {card}");
        }
    }
    assert_eq!(after.lines.len(), TASKS, "a record journal per line: {:?}", after.lines);
    for (line, (count, min, max)) in &after.lines {
        assert!(*min == 1 && *max == *count, "line {line}: record sequence has gaps or duplicates: {count} records, seq {min}..{max}");
    }

    // The restarted server serves the data.
    let card = after.card_of(0, 0).unwrap();
    let d = srv2.ok(Some(&token), "query($c: String!) { traceCard(cardNo: $c) { status bales { barcode } } }", json!({ "c": card })).await;
    assert_eq!(d["traceCard"]["status"], "FINISHED");
    assert_eq!(d["traceCard"]["bales"].as_array().map(Vec::len), Some(BALES));

    let st = stats.lock().unwrap();
    let total_calls = Client::steps().len() * TASKS;
    println!(
        "faults kill9 [{name}]: {total_calls} operations by {TASKS} clients; acknowledged before the kill {} (all {} found in the crashed database); \
         lost in the kill {} (committed anyway {lost_committed}), all retried; acknowledged calls re-sent after the restart {}; \
         found at the end: tickets {}/{total_tickets}, cards {}/{total_tickets}, bales {}/{}, duplicates {duplicates}{}",
        acked.len(),
        acked.len(),
        lost.len(),
        st.resent,
        after.tickets.len(),
        after.cards.len(),
        after.bales.len(),
        total_tickets * BALES,
        match file_check {
            Some((ok, fk)) => format!("; crashed SQLite file: integrity_check {ok}, foreign_key_check {fk} rows"),
            None => String::new(),
        }
    );
}
