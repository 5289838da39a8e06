//! The references: `pgbench -S -M prepared` (physical limit of the same
//! PostgreSQL), PostGraphile 4 (peer GraphQL server over the same tables), the
//! write's SQL in pgbench, and `COPY` of the rows the upload files wrote (physical
//! limit of the files phase).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::load::{LoadStats, percentile};
use crate::procs::{free_port, pg_parts, pg_url, recreate_pg_db};

pub const PGBENCH_DB: &str = "cotton_bench_pgbench";

/// Fresh `cotton_bench_pgbench` initialised with `pgbench -i -s scale`.
pub async fn pgbench_init(scale: u32) -> Result<()> {
    recreate_pg_db(PGBENCH_DB).await?;
    let (host, port, user) = pg_parts();
    let out = Command::new("pgbench")
        .args(["-i", "-q", "-s", &scale.to_string(), "-h", &host, "-p", &port, "-U", &user, PGBENCH_DB])
        .output()
        .context("run pgbench -i (is pgbench installed? Debian: postgresql-client)")?;
    if !out.status.success() {
        bail!("pgbench -i failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// `pgbench -S -M prepared -c C -j min(C,2) -T secs`, with per-transaction
/// latencies from its log (`-l`) for p50/p99.
pub fn pgbench_run(clients: usize, secs: u64) -> Result<LoadStats> {
    pgbench(&["-S"], PGBENCH_DB, clients, secs)
}

/// pgbench running `script` (prepared) on `db`: the SQL a server request issues,
/// without the server, as the physical limit of that request.
pub fn pgbench_script(script: &str, db: &str, clients: usize, secs: u64) -> Result<LoadStats> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("script.sql");
    std::fs::write(&path, script)?;
    pgbench(&["-f", &path.to_string_lossy()], db, clients, secs)
}

fn pgbench(what: &[&str], db: &str, clients: usize, secs: u64) -> Result<LoadStats> {
    let dir = tempfile::tempdir()?;
    let (host, port, user) = pg_parts();
    let threads = clients.min(2);
    let out = Command::new("pgbench")
        .current_dir(dir.path())
        .args(what)
        .args([
            "-M", "prepared", "-n", "-l",
            "-c", &clients.to_string(), "-j", &threads.to_string(), "-T", &secs.to_string(),
            "-h", &host, "-p", &port, "-U", &user, db,
        ])
        .output()
        .context("run pgbench")?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("pgbench failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    }
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps =") && l.contains("without initial connection time"))
        .or_else(|| stdout.lines().find(|l| l.starts_with("tps =")))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse::<f64>().ok())
        .with_context(|| format!("no tps line in pgbench output:\n{stdout}"))?;
    let failed = stdout
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    // log lines: client_id transaction_no time(us) script_no time_epoch time_us
    let mut lat: Vec<u32> = Vec::new();
    for e in std::fs::read_dir(dir.path())? {
        let p = e?.path();
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("pgbench_log")) {
            for line in std::fs::read_to_string(&p)?.lines() {
                if let Some(us) = line.split_whitespace().nth(2).and_then(|v| v.parse::<u32>().ok()) {
                    lat.push(us);
                }
            }
        }
    }
    if lat.is_empty() || failed > 0 {
        bail!("pgbench: {} transactions, {failed} failed:\n{stdout}\n{}", lat.len(), String::from_utf8_lossy(&out.stderr));
    }
    lat.sort_unstable();
    Ok(LoadStats {
        concurrency: clients,
        requests: lat.len() as u64,
        errors: failed,
        seconds: secs as f64,
        rps: tps,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        first_error: None,
    })
}

pub fn postgraphile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("postgraphile")
}

/// `npm ci` (or `npm install` without a lock file) in bench/postgraphile, unless
/// node_modules already has the CLI.
pub fn npm_install() -> Result<()> {
    let dir = postgraphile_dir();
    if dir.join("node_modules/.bin/postgraphile").exists() {
        return Ok(());
    }
    let sub = if dir.join("package-lock.json").exists() { "ci" } else { "install" };
    let out = Command::new("npm")
        .args([sub, "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .output()
        .context("run npm (is Node.js/npm installed?)")?;
    if !out.status.success() {
        bail!("npm {sub} in {} failed: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

pub struct PostGraphile {
    pub child: Child,
    pub url: String,
}

impl PostGraphile {
    pub async fn start(db: &str, log_dir: &Path) -> Result<PostGraphile> {
        let dir = postgraphile_dir();
        let port = free_port();
        let child = Command::new(dir.join("node_modules/.bin/postgraphile"))
            .args([
                "-c", &pg_url(db), "--schema", "public", "--disable-default-mutations",
                "--host", "127.0.0.1", "--port", &port.to_string(), "--disable-query-log",
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log_dir.join("postgraphile.log"))?)
            .stderr(std::fs::File::create(log_dir.join("postgraphile.err.log"))?)
            .spawn()
            .context("spawn postgraphile")?;
        let mut pg = PostGraphile { child, url: format!("http://127.0.0.1:{port}/graphql") };
        let http = reqwest::Client::builder().no_proxy().build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(st)) = pg.child.try_wait() {
                bail!("postgraphile exited ({st}); see {}", log_dir.join("postgraphile.err.log").display());
            }
            if let Ok(r) = http
                .post(&pg.url)
                .json(&serde_json::json!({"query": "{ __typename }"}))
                .timeout(Duration::from_secs(2))
                .send()
                .await
            {
                if r.status().is_success() {
                    return Ok(pg);
                }
            }
            if Instant::now() > deadline {
                bail!("postgraphile did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for PostGraphile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A first `uploadTicket` of `candidate` (a manifest write candidate) as the SQL
/// statements one ticket costs when it is its own transaction (the server's
/// statements without group commit, service tickets.rs: the grower with its
/// company's regiment, the plots, the season rules; then BEGIN, the INSERT … ON
/// CONFLICT DO NOTHING, its plots, the event's outbox row, COMMIT; the event's
/// numbering after commit is left out: the server does it once for all that
/// committed meanwhile), each ticket number new. `event = false` leaves out the event (row and
/// numbering); `audit = false` runs the transaction with the audit triggers off
/// (`session_replication_role = replica`, superuser only), to show what they cost.
pub fn ticket_script(candidate: &serde_json::Value, enterprise_org_id: &str, event: bool, audit: bool) -> Result<String> {
    let input = &candidate["input"];
    let text = |k: &str| input[k].as_str().map(str::to_string);
    let id_number = text("growerIdNumber").context("candidate growerIdNumber")?;
    let season = input["season"].as_i64().context("candidate season")?;
    let plots: Vec<String> = input["plotIds"].as_array().context("candidate plotIds")?.iter().filter_map(|p| p.as_str().map(str::to_string)).collect();
    let dec = |k: &str| text(k).unwrap_or_else(|| "NULL".into());
    let modules = input["moduleCount"].as_i64().map(|m| m.to_string()).unwrap_or_else(|| "NULL".into());
    let ent: i64 = enterprise_org_id.parse().context("enterprise orgId")?;
    let plots = plots.join(",");
    let mut s = String::new();
    s.push_str("\\set n random(1, 9000000000000000000)\n");
    s.push_str(&format!("SELECT g.id, g.company_id, g.id_number, g.name, g.phone, g.created_at, g.updated_at, o.regiment_id FROM growers g JOIN orgs o ON o.id = g.company_id WHERE g.id_number = '{id_number}' LIMIT 1;\n"));
    s.push_str(&format!("SELECT * FROM plots WHERE id = ANY('{{{plots}}}'::bigint[]);\n"));
    s.push_str(&format!("SELECT * FROM season_rules WHERE season = {season} LIMIT 1;\n"));
    s.push_str("BEGIN;\n");
    if !audit {
        s.push_str("SET LOCAL session_replication_role = replica;\n");
    }
    s.push_str(&format!(
        "INSERT INTO tickets (enterprise_id, ticket_no, season, grower_id, gross_kg, tare_kg, moisture_pct, trash_pct, lint_yield_pct, module_count, weighed_at, uploaded_at, late, updated_at) \
         SELECT {ent}, 'PB' || :n, {season}, g.id, {}, {}, {}, {}, {}, {modules}, now(), now(), false, now() FROM growers g WHERE g.id_number = '{id_number}' \
         ON CONFLICT (enterprise_id, season, ticket_no) DO NOTHING RETURNING *;\n",
        dec("grossKg"), dec("tareKg"), dec("moisturePct"), dec("trashPct"), dec("lintYieldPct")
    ));
    s.push_str(&format!("INSERT INTO ticket_plots (ticket_id, plot_id) SELECT currval('tickets_id_seq'), p FROM unnest('{{{plots}}}'::bigint[]) AS p;\n"));
    if event {
        // Built in SQL: a literal with JSON's colons would read as pgbench variables.
        s.push_str("INSERT INTO bench_events (at, payload) SELECT now(), json_build_object('topic', 'TICKET_UPLOADED', 'at', now(), 'regionId', 1, 'enterpriseId', 1, 'unitId', NULL, 'cardNo', NULL, 'ticketNo', 'PB' || :n, 'baleBarcode', NULL)::text;\n");
    }
    s.push_str("COMMIT;\n");
    Ok(s)
}

/// The outbox copy [`ticket_script`] writes to: `bench_events`, like `events`
/// (columns, defaults, indexes), so that the servers sharing the database do
/// not deliver the reference's rows.
pub async fn prepare_ticket_reference(db: &str) -> Result<()> {
    let (c, _task) = connect(db).await?;
    c.batch_execute("CREATE TABLE IF NOT EXISTS bench_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);")
        .await
        .context("create the outbox copy bench_events")?;
    Ok(())
}

// ------------------------------------------------------------------ COPY of the upload files' rows

/// The columns an upload file's bales and line records are inserted with
/// (`cotton_store::processing::{NewBale, NewLineRecord}`; ids from the sequences).
const BALE_COLUMNS: &str = "barcode, enterprise_id, line_id, card_id, net_kg, moisture_pct, conditioned_kg, traced, delay, pressed_at, seq";
const RECORD_COLUMNS: &str = "line_id, seq, kind, payload, at, source";

async fn connect(db: &str) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    let (client, conn) = tokio_postgres::connect(&pg_url(db), tokio_postgres::NoTls).await.with_context(|| format!("connect to {db}"))?;
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((client, task))
}

/// The highest ids of `bales` and `line_records` now: the rows a later step adds
/// are those above.
pub async fn copy_marks(db: &str) -> Result<(i64, i64)> {
    let (c, _task) = connect(db).await?;
    let row = c.query_one("SELECT (SELECT coalesce(max(id), 0) FROM bales), (SELECT coalesce(max(id), 0) FROM line_records)", &[]).await?;
    Ok((row.get(0), row.get(1)))
}

/// The bales and line records above `marks`, as COPY text, with their keys made
/// new so they can go into the same tables once more: barcode = `tag` + barcode
/// (unique), seq + `seq_offset` (unique per line). Everything else is the row the
/// server wrote.
pub struct CopyRows {
    pub bales: bytes::Bytes,
    pub records: bytes::Bytes,
    pub n_bales: u64,
    pub n_records: u64,
}

pub async fn copy_rows_since(db: &str, marks: (i64, i64), tag: &str, seq_offset: i64) -> Result<CopyRows> {
    use futures_util::StreamExt;
    let (c, _task) = connect(db).await?;
    let out = |sql: String| {
        let c = &c;
        async move {
            let stream = c.copy_out(sql.as_str()).await?;
            futures_util::pin_mut!(stream);
            let mut buf = Vec::new();
            let mut lines = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                buf.extend_from_slice(&chunk);
            }
            Ok::<_, anyhow::Error>((bytes::Bytes::from(buf), lines))
        }
    };
    let (bales, n_bales) = out(format!(
        "COPY (SELECT '{tag}' || barcode, enterprise_id, line_id, card_id, net_kg, moisture_pct, conditioned_kg, traced, delay, pressed_at, seq + {seq_offset} \
         FROM bales WHERE id > {} ORDER BY id) TO STDOUT",
        marks.0
    ))
    .await?;
    let (records, n_records) = out(format!(
        "COPY (SELECT line_id, seq + {seq_offset}, kind, payload, at, source FROM line_records WHERE id > {} ORDER BY id) TO STDOUT",
        marks.1
    ))
    .await?;
    Ok(CopyRows { bales, records, n_bales, n_records })
}

#[derive(Debug, serde::Serialize)]
pub struct CopyStats {
    pub bales: u64,
    pub records: u64,
    pub triggers: bool,
    pub seconds: f64,
    #[serde(rename = "balesPerSec")]
    pub bales_per_sec: f64,
}

/// One transaction on one connection: `COPY bales`, `COPY line_records`, COMMIT,
/// timed from BEGIN to the end of COMMIT. `triggers = false` runs it with
/// `session_replication_role = replica` (superuser): no audit triggers and no
/// foreign-key checks — the bare write of the same rows and indexes.
pub async fn copy_in(db: &str, rows: &CopyRows, triggers: bool) -> Result<CopyStats> {
    use futures_util::SinkExt;
    let (mut c, _task) = connect(db).await?;
    let t0 = Instant::now();
    let tx = c.transaction().await?;
    if !triggers {
        tx.batch_execute("SET LOCAL session_replication_role = replica").await?;
    }
    for (table, columns, data) in [("bales", BALE_COLUMNS, &rows.bales), ("line_records", RECORD_COLUMNS, &rows.records)] {
        let sink = tx.copy_in(&format!("COPY {table} ({columns}) FROM STDIN")).await?;
        futures_util::pin_mut!(sink);
        sink.send(data.clone()).await?;
        let n = sink.finish().await?;
        let want = if table == "bales" { rows.n_bales } else { rows.n_records };
        if n != want {
            bail!("COPY {table}: {n} rows, expected {want}");
        }
    }
    tx.commit().await?;
    let secs = t0.elapsed().as_secs_f64();
    Ok(CopyStats { bales: rows.n_bales, records: rows.n_records, triggers, seconds: secs, bales_per_sec: rows.n_bales as f64 / secs })
}
