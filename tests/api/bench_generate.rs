//! Issue 9: `cotton-trace bench generate` builds a small synthetic season (scale
//! 0.0005: 1 regiment, 1 gin, 48 growers, ~4,300 bales) on an empty database; the
//! counts in the manifest are those in the database, the manifest's tokens and
//! samples work against a real server over HTTP (myResults, traceCard, a new
//! uploadTicket, a reserve upload file, premiumAllocation), a second run on the same
//! database is refused and changes nothing, and `bench allocate` allocates every unit.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::harness::*;

const SCALE: &str = "0.0005";

/// An empty database of its own (the generator refuses a non-empty one).
struct BenchDb {
    backend: Backend,
    url: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn pg_base() -> String {
    std::env::var("COTTON_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

async fn pg_exec(sql: &str) {
    let (client, conn) = tokio_postgres::connect(&pg_base(), tokio_postgres::NoTls).await.expect("connect to PostgreSQL");
    let task = tokio::spawn(conn);
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    drop(client);
    let _ = task.await;
}

impl BenchDb {
    async fn create(backend: Backend) -> BenchDb {
        let dir = tempfile::Builder::new().prefix("cotton-bench-").tempdir().expect("tempdir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                BenchDb { backend, url, dir, pg_name: None }
            }
            Backend::Postgres => {
                let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
                let name = format!("ct_bench_{}_{nanos}", std::process::id());
                pg_exec(&format!("CREATE DATABASE {name}")).await;
                let base = pg_base();
                let (prefix, _) = base.split('?').next().unwrap().rsplit_once('/').expect("COTTON_TEST_PG ends with /<db>");
                BenchDb { backend, url: format!("{prefix}/{name}"), dir, pg_name: Some(name) }
            }
        }
    }

    async fn drop_db(&self) {
        if let Some(name) = &self.pg_name {
            pg_exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }

    fn cli(&self) -> Command {
        let mut cmd = Command::new(SERVER_BIN);
        cmd.env("DATABASE_URL", &self.url)
            .env("COTTON_DATA_DIR", self.dir.path())
            .env("COTTON_JWT_SECRET", JWT_SECRET)
            .env("COTTON_PLUGINS_DIR", crate::ginning::plugins_dir())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        cmd
    }

    fn generate(&self, out: &Path) -> std::process::Output {
        self.cli()
            .args(["bench", "generate", "--scale", SCALE, "--seed", "7", "--out"])
            .arg(out)
            .output()
            .expect("run cotton-trace bench generate")
    }

    /// SELECT COUNT(*) of `table` (optionally with a WHERE clause), straight from the database.
    async fn count(&self, table: &str, filter: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} {filter}");
        match self.backend {
            Backend::Sqlite => {
                use diesel::{Connection, RunQueryDsl};
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let path = self.url.trim_start_matches("sqlite://").to_string();
                tokio::task::spawn_blocking(move || {
                    let mut conn = diesel::sqlite::SqliteConnection::establish(&path).expect("open the SQLite file");
                    diesel::sql_query(sql).get_result::<N>(&mut conn).expect("count").n
                })
                .await
                .unwrap()
            }
            Backend::Postgres => {
                let (client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.expect("connect");
                let task = tokio::spawn(conn);
                let n: i64 = client.query_one(&sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get(0);
                drop(client);
                let _ = task.await;
                n
            }
        }
    }
}

/// `cotton-trace serve` on the generated database (same JWT secret as the generator).
struct Served {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Served {
    async fn start(db: &BenchDb) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(db.dir.path().join("serve.log")).unwrap();
        let child = db
            .cli()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn cotton-trace serve");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "server did not become healthy:\n{}", std::fs::read_to_string(db.dir.path().join("serve.log")).unwrap_or_default());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Served { child, base, http }
    }

    async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        resp.json().await.expect("JSON response")
    }

    async fn upload(&self, token: &str, query: &str, mut variables: Value, bytes: Vec<u8>) -> Value {
        variables["file"] = Value::Null;
        let form = reqwest::multipart::Form::new()
            .text("operations", json!({ "query": query, "variables": variables }).to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part("0", reqwest::multipart::Part::bytes(bytes).file_name("records.dat"));
        let resp = self.http.post(format!("{}/graphql", self.base)).bearer_auth(token).multipart(form).send().await.expect("multipart POST");
        resp.json().await.expect("JSON response")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout_of(out: &std::process::Output) -> String {
    format!("status {}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn generate_and_use(backend: Backend) {
    let db = BenchDb::create(backend).await;
    let manifest_path: PathBuf = db.dir.path().join("manifest.json");
    let out = db.generate(&manifest_path);
    assert!(out.status.success(), "bench generate failed: {}", stdout_of(&out));
    let log = String::from_utf8_lossy(&out.stdout).to_string();
    for phase in ["orgs", "accounts", "rosters", "units", "tickets", "cards", "lines", "uploads", "inspections", "results pages", "tokens"] {
        assert!(log.contains(&format!("[{phase}] done:")), "phase {phase} reported with its rate:\n{log}");
    }
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    assert_eq!(m["version"], 1);
    assert_eq!(m["backend"], if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert_eq!(m["seed"], 7);
    let c = &m["counts"];
    let n = |k: &str| c[k].as_i64().unwrap_or_else(|| panic!("counts.{k} in {c}"));

    // Scale 0.0005 of the XPCC season: 48 growers with 2 plots each, 1 regiment, 1 gin.
    assert_eq!(n("growers"), 48);
    assert_eq!(n("plots"), 96);
    assert_eq!(n("regiments"), 1);
    assert_eq!(n("enterprises"), 1);
    // 4–6 tickets per grower, one card each; ~17.6 bales per card.
    assert!((48 * 4..=48 * 6).contains(&n("tickets")), "{c}");
    assert_eq!(n("cards"), n("tickets"));
    assert_eq!(n("cardsProcessed") + n("cardsReservedFiles") + n("cardsReservedVi"), n("cards"));
    assert!(n("bales") > n("cardsProcessed") * 15 && n("bales") < n("cardsProcessed") * 22, "{c}");
    assert!(n("balesSeasonEstimate") > n("bales"));

    // The manifest's counts are what the database holds.
    for (key, table, filter) in [
        ("regiments", "orgs", "WHERE kind = 'REGIMENT'"),
        ("companies", "orgs", "WHERE kind = 'COMPANY'"),
        ("enterprises", "orgs", "WHERE kind = 'ENTERPRISE'"),
        ("growers", "growers", ""),
        ("plots", "plots", ""),
        ("units", "trace_units", "WHERE status = 'APPROVED'"),
        ("tickets", "tickets", "WHERE late = false"),
        ("cards", "trace_cards", ""),
        ("cardsProcessed", "trace_cards", "WHERE status = 'FINISHED'"),
        ("bales", "bales", "WHERE traced = true"),
        ("inspections", "inspections", ""),
        ("lines", "production_lines", ""),
    ] {
        assert_eq!(db.count(table, filter).await, n(key), "counts.{key} vs {table} {filter}");
    }
    assert_eq!(db.count("trace_cards", "WHERE status = 'PRINTED'").await, n("cardsReservedFiles") + n("cardsReservedVi"));
    let phases: Vec<&str> = m["phases"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(phases, ["orgs", "accounts", "rosters", "units", "tickets", "cards", "lines", "uploads", "inspections", "results pages", "tokens"]);
    assert_eq!(m["phases"][7]["rows"].as_i64(), Some(n("bales")));

    // The tokens and samples work against a real server.
    let srv = Served::start(&db).await;
    let ent_token = |i: &Value| m["enterprises"][i.as_u64().unwrap() as usize]["token"].as_str().unwrap().to_string();
    let my = &m["read"]["myResults"];
    let growers = my["growers"].as_array().unwrap();
    assert_eq!(growers.len(), 48);
    for g in growers.iter().step_by(16) {
        let r = srv.gql(g["token"].as_str().unwrap(), my["query"].as_str().unwrap(), my["variables"].clone()).await;
        let d = data(&r);
        let tickets = d["myResults"]["tickets"].as_array().unwrap();
        assert!((4..=6).contains(&tickets.len()), "{d}");
        assert_eq!(d["myResults"]["units"][0]["status"], "APPROVED");
        assert_eq!(d["myResults"]["premiumShares"].as_array().unwrap().len(), 1, "{d}");
    }
    let tc = &m["read"]["traceCard"];
    let cards = tc["cards"].as_array().unwrap();
    assert_eq!(cards.len() as i64, n("cardsProcessed"));
    for card in cards.iter().step_by(50) {
        let r = srv.gql(&ent_token(&card["enterpriseIndex"]), tc["query"].as_str().unwrap(), json!({ "c": card["cardNo"] })).await;
        let d = data(&r);
        assert_eq!(d["traceCard"]["cardNo"], card["cardNo"]);
        assert_eq!(d["traceCard"]["status"], "FINISHED");
        assert!(dec(&d["traceCard"]["processedLintKg"]) >= dec(&d["traceCard"]["targetLintKg"]));
    }

    // A new ticket from a write candidate, with a fresh number and weighing time.
    let w = &m["write"];
    let cand = &w["candidates"][3];
    let mut vars = cand["variables"].clone();
    vars["input"]["ticketNo"] = json!(format!("{}-test-1", w["ticketNoPrefix"].as_str().unwrap()));
    vars["input"]["weighedAt"] = json!(chrono::Utc::now().to_rfc3339());
    let r = srv.gql(&ent_token(&cand["enterpriseIndex"]), w["query"].as_str().unwrap(), vars).await;
    assert_eq!(data(&r)["uploadTicket"]["late"], false, "{r}");

    // A reserve upload file: every record accepted, its bales linked.
    let f = &m["processingFiles"]["files"][0];
    assert_eq!(f["order"], 0);
    let bytes = std::fs::read(f["path"].as_str().unwrap()).expect("the reserve file exists");
    let r = srv.upload(&ent_token(&f["enterpriseIndex"]), m["processingFiles"]["mutation"].as_str().unwrap(), json!({ "l": f["lineId"] }), bytes).await;
    let rep = &data(&r)["uploadProcessingFile"];
    assert_eq!(rep["accepted"], f["records"], "{rep}");
    assert_eq!(rep["rejected"], 0);
    assert_eq!(db.count("bales", "").await, n("bales") + f["bales"].as_i64().unwrap());

    // VI reserve: scanning a card asks for the delay count (tracing is off on a new line).
    let vi = &m["processingVi"];
    let line = &vi["lines"][0];
    let r = srv
        .gql(&ent_token(&line["enterpriseIndex"]), vi["scanCards"].as_str().unwrap(), json!({ "l": line["lineId"], "c": [line["cards"][0]["cardNo"]] }))
        .await;
    assert_eq!(data(&r)["scanCards"][0]["outcome"], "NEED_DELAY", "{r}");

    // Statistics: the regiment's token reads a unit's allocation; shares add up to Q.
    let st = &m["statistics"];
    let unit = &st["sampleUnitIds"][0];
    let r = srv.gql(m["regiment"]["token"].as_str().unwrap(), st["premiumAllocation"].as_str().unwrap(), json!({ "u": unit })).await;
    let a = &data(&r)["premiumAllocation"];
    let shares: Decimal = a["shares"].as_array().unwrap().iter().map(|s| dec(&s["shareKg"])).sum();
    assert_eq!(shares, dec(&a["premiumKg"]));
    assert!(dec(&a["premiumKg"]) > Decimal::ZERO, "some bales are premium: {a}");
    drop(srv);

    // `bench allocate`: every unit, one JSON line.
    let out = db.cli().args(["bench", "allocate", "--season", &m["season"].to_string()]).output().unwrap();
    assert!(out.status.success(), "bench allocate failed: {}", stdout_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let line: Value = stdout.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or_else(|| panic!("no JSON line:\n{stdout}"));
    assert_eq!(line["units"], c["units"]);
    assert_eq!(line["bales"].as_i64(), Some(n("bales") + f["bales"].as_i64().unwrap()));
    assert!(line["growersCredited"].as_i64().unwrap() >= 40, "{line}");

    // A second run on the same (now non-empty) database is refused and changes nothing.
    let again = db.generate(&db.dir.path().join("again.json"));
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(err.contains("数据库不是空的"), "{err}");
    assert_eq!(db.count("orgs", "").await, 1 + 1 + n("regiments") + n("companies") + n("enterprises"));
    assert_eq!(db.count("growers", "").await, 48);
    assert!(!db.dir.path().join("again.json").exists());
    db.drop_db().await;
}

both_backends!(generate_and_use);
