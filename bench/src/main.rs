//! `cotton-bench`: one command that reproduces the performance table of the
//! README (issue 9). It builds nothing: it runs the `cotton-trace` binary next to
//! its own executable (target/release after `cargo build --release -p cotton-trace`,
//! target/debug for `--smoke`), on fresh databases, and measures read, write,
//! processing, statistics, fan-out and memory on SQLite and PostgreSQL, next to
//! `pgbench -S` and PostGraphile 4 on the same PostgreSQL, the write's SQL in
//! pgbench and `COPY` of the upload files' rows; plus "publish day" (every grower
//! signing in by SMS and loading `myResults` at once).

mod fanout;
mod load;
mod procs;
mod publish;
mod refs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::Parser;
use serde_json::{Value, json};

use load::{Bodies, LoadStats, Target};
use procs::{Backend, BenchDb, Server};

#[derive(Parser, Debug)]
#[command(name = "cotton-bench", about = "Cotton Trace benchmarks (issue 9): prints the table, writes bench/results/*.json")]
struct Args {
    /// Season scale for `cotton-trace bench generate` (1.0 = full XPCC season); default 0.02, --smoke 0.001
    #[arg(long)]
    scale: Option<f64>,
    /// Generator seed
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Comma-separated: sqlite,postgres
    #[arg(long, default_value = "sqlite,postgres")]
    backends: String,
    /// Duration of each load measurement (10s, 500ms, 2m); default 10s, --smoke 1s
    #[arg(long)]
    duration: Option<String>,
    /// Concurrency levels of the read and write loads; default 1,4,16,64 (--smoke 1,8)
    #[arg(long)]
    concurrency: Option<String>,
    /// Subscribers of the fan-out measurement; default 10000 (--smoke 100)
    #[arg(long)]
    subscribers: Option<usize>,
    /// Growers signing in at once on publish day (at most the manifest's sampled
    /// growers); default 1000 (--smoke 50)
    #[arg(long)]
    publish_growers: Option<usize>,
    /// Events fired in the fan-out measurement; default 5 (--smoke 2)
    #[arg(long)]
    events: Option<usize>,
    /// pgbench -i scale factor of the reference database; default 10 (--smoke 1)
    #[arg(long)]
    pgbench_scale: Option<u32>,
    /// Small and fast: checks that every step runs and yields numbers (CI); no targets judged
    #[arg(long)]
    smoke: bool,
    /// Skip PostGraphile (otherwise required under CI=true)
    #[arg(long)]
    no_postgraphile: bool,
    /// Only these phases (comma-separated): pgbench,read,peer,publish,write,vi,files,fanout,statistics.
    /// For iterating on one figure; the season is still generated. Default: all.
    #[arg(long)]
    only: Option<String>,
}

const PHASES: [&str; 9] = ["pgbench", "read", "peer", "publish", "write", "vi", "files", "fanout", "statistics"];

fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len()));
    let v: f64 = num.parse().with_context(|| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "" | "s" => v,
        "ms" => v / 1000.0,
        "m" | "min" => v * 60.0,
        _ => bail!("bad duration unit in {s:?} (use s, ms or m)"),
    };
    Ok(Duration::from_secs_f64(secs))
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

struct Cfg {
    scale: f64,
    seed: u64,
    duration: Duration,
    warmup: Duration,
    levels: Vec<usize>,
    subscribers: usize,
    publish_growers: usize,
    events: usize,
    pgbench_scale: u32,
    smoke: bool,
    bin: PathBuf,
    plugins: PathBuf,
    postgraphile: bool,
    phases: Vec<String>,
}

impl Cfg {
    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

// ------------------------------------------------------------------ GraphQL helpers

async fn gql(http: &reqwest::Client, url: &str, token: Option<&str>, query: &str, vars: &Value) -> Result<Value> {
    let mut req = http.post(url).json(&json!({"query": query, "variables": vars}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp: Value = req.send().await?.json().await?;
    if let Some(e) = resp.get("errors").filter(|e| !e.is_null()) {
        bail!("GraphQL error: {e}");
    }
    Ok(resp["data"].clone())
}

async fn upload(http: &reqwest::Client, url: &str, token: &str, query: &str, mut vars: Value, name: &str, bytes: Vec<u8>) -> Result<Value> {
    vars["file"] = Value::Null;
    let form = reqwest::multipart::Form::new()
        .text("operations", json!({"query": query, "variables": vars}).to_string())
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part("0", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let resp: Value = http.post(url).bearer_auth(token).multipart(form).send().await?.json().await?;
    if let Some(e) = resp.get("errors").filter(|e| !e.is_null()) {
        bail!("GraphQL error: {e}");
    }
    Ok(resp["data"].clone())
}

fn body(query: &str, vars: &Value) -> Bytes {
    Bytes::from(json!({"query": query, "variables": vars}).to_string())
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn s(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

// ------------------------------------------------------------------ one backend

struct BackendRun {
    name: &'static str,
    results: serde_json::Map<String, Value>,
}

impl BackendRun {
    fn put(&mut self, k: &str, v: impl serde::Serialize) {
        self.results.insert(k.into(), serde_json::to_value(v).unwrap());
    }
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[{}] {}", chrono::Local::now().format("%H:%M:%S"), msg.as_ref());
}

async fn read_levels(http: &reqwest::Client, cfg: &Cfg, target: &Target, what: &str) -> Result<Vec<LoadStats>> {
    let mut runs = Vec::new();
    for &c in &cfg.levels {
        let r = load::run(http, target, c, cfg.warmup, cfg.duration).await;
        log(format!("  {what} c={c}: {:.0} req/s p50 {:.2} ms p99 {:.2} ms errors {}", r.rps, r.p50_ms, r.p99_ms, r.errors));
        if r.requests == 0 || r.errors > 0 {
            bail!("{what} at concurrency {c}: {} ok, {} errors; first error: {}", r.requests, r.errors, r.first_error.unwrap_or_default());
        }
        runs.push(r);
    }
    Ok(runs)
}

async fn run_backend(backend: Backend, cfg: &Cfg, pgbench: Option<&[LoadStats]>) -> Result<BackendRun> {
    let mut out = BackendRun { name: backend.name(), results: serde_json::Map::new() };
    let tmp = tempfile::Builder::new().prefix("cotton-bench-").tempdir()?;
    let dir = tmp.path().to_path_buf();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("cotton.db").display()),
        Backend::Postgres => {
            procs::recreate_pg_db("cotton_bench").await?;
            procs::pg_url("cotton_bench")
        }
    };
    let db = BenchDb { url, dir: dir.clone() };
    let http = load::client();
    let mut copy_rows: Option<(refs::CopyRows, refs::CopyRows)> = None;

    // ---- generate
    log(format!("{}: bench generate --scale {} --seed {}", backend.name(), cfg.scale, cfg.seed));
    let manifest_path = dir.join("manifest.json");
    let t0 = Instant::now();
    let generated = db
        .command(&cfg.bin, &cfg.plugins)
        .args(["bench", "generate", "--scale", &cfg.scale.to_string(), "--seed", &cfg.seed.to_string(), "--out"])
        .arg(&manifest_path)
        .output()
        .context("run cotton-trace bench generate")?;
    if !generated.status.success() {
        bail!("bench generate failed ({}):\n{}\n{}", generated.status, String::from_utf8_lossy(&generated.stdout), String::from_utf8_lossy(&generated.stderr));
    }
    let gen_secs = t0.elapsed().as_secs_f64();
    let m: Value = serde_json::from_slice(&std::fs::read(&manifest_path)?).context("read manifest.json")?;
    log(format!("  generated in {gen_secs:.1} s: {}", m["counts"]));
    out.put("generate", json!({"seconds": gen_secs, "counts": m["counts"], "phases": m["phases"], "scale": m["scale"]}));
    let season = m["season"].as_i64().unwrap_or(2026);
    let ent_tokens: Vec<String> = m["enterprises"].as_array().context("enterprises")?.iter().map(|e| s(&e["token"])).collect();

    // ---- server(s)
    let a = Server::start(&db, &cfg.bin, &cfg.plugins, "server-a").await?;
    let gq = a.graphql();

    // ---- read: traceCard, myResults
    if cfg.runs("read") {
        let tc = &m["read"]["traceCard"];
        let tc_query = s(&tc["query"]);
        let tc_bodies: Vec<(Bytes, usize)> = tc["cards"]
            .as_array()
            .context("read.traceCard.cards")?
            .iter()
            .map(|c| (body(&tc_query, &json!({"c": c["cardNo"]})), c["enterpriseIndex"].as_u64().unwrap_or(0) as usize))
            .collect();
        if tc_bodies.is_empty() {
            bail!("manifest has no traceCard cards");
        }
        // sanity: the first card answers with itself
        let first = gql(&http, &gq, Some(&ent_tokens[tc_bodies[0].1]), &tc_query, &json!({"c": tc["cards"][0]["cardNo"]})).await?;
        if first["traceCard"]["cardNo"] != tc["cards"][0]["cardNo"] {
            bail!("traceCard of {} answered {first}", tc["cards"][0]["cardNo"]);
        }
        log(format!("{}: read traceCard ({} cards)", backend.name(), tc_bodies.len()));
        let target = Target { url: gq.clone(), tokens: Arc::new(ent_tokens.clone()), bodies: Bodies::Fixed(Arc::new(tc_bodies)) };
        let tc_runs = read_levels(&http, cfg, &target, "traceCard").await?;

        let mr = &m["read"]["myResults"];
        let mr_query = s(&mr["query"]);
        let growers = mr["growers"].as_array().context("read.myResults.growers")?;
        let mr_tokens: Vec<String> = growers.iter().map(|g| s(&g["token"])).collect();
        let mr_body = body(&mr_query, &mr["variables"]);
        let mr_bodies: Vec<(Bytes, usize)> = (0..mr_tokens.len()).map(|i| (mr_body.clone(), i)).collect();
        if mr_bodies.is_empty() {
            bail!("manifest has no myResults growers");
        }
        log(format!("{}: read myResults ({} growers)", backend.name(), mr_tokens.len()));
        let target = Target { url: gq.clone(), tokens: Arc::new(mr_tokens), bodies: Bodies::Fixed(Arc::new(mr_bodies)) };
        let mr_runs = read_levels(&http, cfg, &target, "myResults").await?;
        let (hwm_read, _) = procs::rss_mb(a.pid()).unwrap_or((f64::NAN, f64::NAN));
        log(format!("  peak RSS of the server after the read load: {hwm_read:.1} MB"));
        out.put("read", json!({"traceCard": tc_runs, "myResults": mr_runs}));
        out.put("memory", json!({"peakRssMbAfterRead": hwm_read}));

    }

    // ---- peer: PostGraphile over the same tables (PostgreSQL only)
    if backend == Backend::Postgres {
        let tc = &m["read"]["traceCard"];
        if let Some(pg) = pgbench {
            out.put("pgbench", pg);
        }
        if cfg.postgraphile && cfg.runs("peer") {
            log("postgres: PostGraphile 4 traceCardByCardNo");
            let pgl = refs::PostGraphile::start("cotton_bench", &dir).await?;
            let q = POSTGRAPHILE_CARD;
            let bodies: Vec<(Bytes, usize)> = tc["cards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (body(q, &json!({"c": c["cardNo"]})), 0))
                .collect();
            let check = gql(&http, &pgl.url, None, q, &json!({"c": tc["cards"][0]["cardNo"]})).await?;
            if check["traceCardByCardNo"]["cardNo"] != tc["cards"][0]["cardNo"] {
                bail!("PostGraphile traceCardByCardNo answered {check}");
            }
            let target = Target { url: pgl.url.clone(), tokens: Arc::new(vec![]), bodies: Bodies::Fixed(Arc::new(bodies)) };
            let runs = read_levels(&http, cfg, &target, "PostGraphile").await?;
            let rss = procs::rss_mb(pgl.child.id()).map(|r| r.0);
            out.put("postgraphile", json!({"traceCardByCardNo": runs, "peakRssMb": rss}));
        }
    }

    // ---- publish day: growers sign in by SMS and load myResults, all at once
    if cfg.runs("publish") {
        let mr = &m["read"]["myResults"];
        let phones: Vec<String> = mr["growers"].as_array().context("read.myResults.growers")?.iter().map(|g| s(&g["phone"])).take(cfg.publish_growers).collect();
        if phones.is_empty() {
            bail!("manifest has no myResults growers for publish day");
        }
        log(format!("{}: publish day, {} growers sign in (sendSmsCode, growerLogin) and load myResults at once", backend.name(), phones.len()));
        if phones.len() < cfg.publish_growers {
            log(format!("  (--publish-growers {}: the manifest samples only {} growers at this scale)", cfg.publish_growers, phones.len()));
        }
        let p = publish::run(&gq, &phones, &s(&mr["query"]), &mr["variables"]).await?;
        log(format!(
            "  publish day: {} ok, {} errors, p50 {:.1} ms p99 {:.1} ms max {:.1} ms, all done in {:.2} s (runner start spread {:.1} ms)",
            p.ok, p.errors, p.p50_ms, p.p99_ms, p.max_ms, p.wall_seconds, p.start_spread_ms
        ));
        for (step, q) in &p.steps {
            log(format!("    {step}: p50 {:.1} ms p99 {:.1} ms max {:.1} ms", q.p50_ms, q.p99_ms, q.max_ms));
        }
        if let Some(e) = &p.first_error {
            log(format!("    first error: {e}"));
        }
        // A full run shows errors in the table (the target is 0); the smoke, which
        // only checks that every step works, stops on any.
        if p.ok == 0 || (cfg.smoke && p.errors > 0) {
            bail!("publish day: {} of {} growers failed; first error: {}", p.errors, p.growers, p.first_error.unwrap_or_default());
        }
        out.put("publishDay", &p);
    }

    // ---- write: uploadTicket
    if cfg.runs("write") {
        log(format!("{}: write uploadTicket", backend.name()));
        let w = &m["write"];
        let w_query = s(&w["query"]);
        let prefix = s(&w["ticketNoPrefix"]);
        let cands: Vec<(Value, usize)> = w["candidates"]
            .as_array()
            .context("write.candidates")?
            .iter()
            .map(|c| (c["variables"].clone(), c["enterpriseIndex"].as_u64().unwrap_or(0) as usize))
            .collect();
        if cands.is_empty() {
            bail!("manifest has no write candidates");
        }
        let cands = Arc::new(cands);
        let mut write_runs = Vec::new();
        for (li, &c) in cfg.levels.iter().enumerate() {
            let cands = cands.clone();
            let w_query = w_query.clone();
            let prefix = format!("{prefix}{li}x");
            let make = move |n: u64| {
                let (vars, ei) = &cands[n as usize % cands.len()];
                let mut vars = vars.clone();
                vars["input"]["ticketNo"] = json!(format!("{prefix}{n}"));
                vars["input"]["weighedAt"] = json!(now_rfc3339());
                (body(&w_query, &vars), *ei)
            };
            let target = Target { url: gq.clone(), tokens: Arc::new(ent_tokens.clone()), bodies: Bodies::Seq(Arc::new(make)) };
            let r = load::run(&http, &target, c, cfg.warmup, cfg.duration).await;
            log(format!("  uploadTicket c={c}: {:.0} tickets/s p50 {:.2} ms p99 {:.2} ms errors {}", r.rps, r.p50_ms, r.p99_ms, r.errors));
            if r.requests == 0 || r.errors > 0 {
                bail!("uploadTicket at concurrency {c}: {} ok, {} errors; first: {}", r.requests, r.errors, r.first_error.unwrap_or_default());
            }
            write_runs.push(r);
        }
        // the tickets are really there and on time
        let probe = {
            let (vars, ei) = &cands[0];
            let mut vars = vars.clone();
            vars["input"]["ticketNo"] = json!(format!("{}probe", s(&w["ticketNoPrefix"])));
            vars["input"]["weighedAt"] = json!(now_rfc3339());
            gql(&http, &gq, Some(&ent_tokens[*ei]), &w_query, &vars).await?
        };
        if probe["uploadTicket"]["late"] == json!(true) {
            bail!("uploadTicket with weighedAt = now was judged late: {probe}");
        }
        out.put("write", json!({"uploadTicket": write_runs}));
        if backend == Backend::Postgres {
            // The same statements without the server: what PostgreSQL itself allows,
            // with and without the event (outbox row and its numbering).
            let (vars, ei) = &cands[0];
            let org = s(&m["enterprises"][*ei]["orgId"]);
            let mut refs = serde_json::Map::new();
            refs::prepare_ticket_reference("cotton_bench").await?;
            for (key, notify, audit) in [("perTicket", true, true), ("withoutEvent", false, true), ("withoutEventAndAudit", false, false)] {
                let script = refs::ticket_script(vars, &org, notify, audit)?;
                let mut runs = Vec::new();
                for &c in &cfg.levels {
                    let r = refs::pgbench_script(&script, "cotton_bench", c, cfg.duration.as_secs().max(1))?;
                    log(format!("  pgbench uploadTicket SQL ({key}) c={c}: {:.0} tps p50 {:.2} ms p99 {:.2} ms", r.rps, r.p50_ms, r.p99_ms));
                    runs.push(r);
                }
                refs.insert(key.into(), json!(runs));
            }
            out.put("writeReference", refs);
        }

    }

    // ---- processing: VI API
    if cfg.runs("vi") {
        log(format!("{}: processing through the VI API", backend.name()));
        let vi = run_vi(&http, &gq, &m, &ent_tokens).await?;
        log(format!("  VI: {} bales in {:.2} s = {:.0} bales/s on {} lines ({} untraced)", vi["bales"], vi["seconds"].as_f64().unwrap_or(0.0), vi["balesPerSec"].as_f64().unwrap_or(0.0), vi["lines"], vi["untraced"]));
        out.put("processingVi", vi);

    }

    // ---- processing: upload files
    if cfg.runs("files") {
        log(format!("{}: processing through upload files", backend.name()));
        let marks = if backend == Backend::Postgres { Some(refs::copy_marks("cotton_bench").await?) } else { None };
        let files = run_files(&http, &gq, &m, &ent_tokens).await?;
        log(format!("  files: {} bales in {} files in {:.2} s = {:.0} bales/s", files["bales"], files["files"], files["seconds"].as_f64().unwrap_or(0.0), files["balesPerSec"].as_f64().unwrap_or(0.0)));
        out.put("processingFiles", files);
        if let Some(marks) = marks {
            // The reference: the same rows again by COPY, run at the end of this
            // backend's run (servers stopped; the copies would skew the statistics).
            let with = refs::copy_rows_since("cotton_bench", marks, "CPT", 1_000_000_000).await?;
            let without = refs::copy_rows_since("cotton_bench", marks, "CPX", 2_000_000_000).await?;
            log(format!("  files wrote {} bales and {} line records (kept for the COPY reference)", with.n_bales, with.n_records));
            copy_rows = Some((with, without));
        }

    }

    // ---- fan-out
    if cfg.runs("fanout") {
        let b = if backend == Backend::Postgres { Some(Server::start(&db, &cfg.bin, &cfg.plugins, "server-b").await?) } else { None };
        let mut ports = vec![a.port];
        if let Some(b) = &b {
            ports.push(b.port);
        }
        log(format!("{}: fan-out, {} subscribers on {} instance(s)", backend.name(), cfg.subscribers, ports.len()));
        let f = &m["fanout"];
        let trig = &f["trigger"];
        let trig_query = s(&trig["query"]);
        let trig_token = s(&trig["token"]);
        let trig_prefix = s(&trig["ticketNoPrefix"]);
        let trig_vars = trig["variables"].clone();
        let (http2, gq2) = (http.clone(), gq.clone());
        let mut pids = vec![a.pid()];
        if let Some(b) = &b {
            pids.push(b.pid());
        }
        let stats = fanout::run(&ports, &pids, &s(&f["subscribeToken"]), &s(&f["subscription"]), f["variables"].clone(), cfg.subscribers, cfg.events, |k| {
            let mut vars = trig_vars.clone();
            vars["input"]["ticketNo"] = json!(format!("{trig_prefix}{k}"));
            vars["input"]["weighedAt"] = json!(now_rfc3339());
            let (http, gq, q, t) = (http2.clone(), gq2.clone(), trig_query.clone(), trig_token.clone());
            async move { gql(&http, &gq, Some(&t), &q, &vars).await.map(|_| ()) }
        })
        .await?;
        log(format!("  fan-out: {} of {} deliveries, p50 {:.1} ms p99 {:.1} ms max {:.1} ms", stats.delivered, stats.subscribers * stats.events, stats.p50_ms, stats.p99_ms, stats.max_ms));
        log(format!(
            "  fan-out: subscribed in {:.1} s, warm-up missed {}, peak RSS {:?} MB (reset before: {:?}), RSS with subscribers {:?} MB",
            stats.connect_seconds, stats.warmup_missed, stats.peak_rss_mb, stats.hwm_reset, stats.rss_mb_subscribed
        ));
        if stats.delivered == 0 {
            bail!("fan-out: no event was delivered");
        }
        out.put("fanout", &stats);

        // Reconnect-and-replay: a subscriber away while events are raised gets
        // every one of them when it comes back with its cursor (issue 19).
        let replay_events = if cfg.smoke { 20 } else { 200 };
        let (http3, gq3) = (http.clone(), gq.clone());
        let (q3, t3, v3, p3) = (trig_query.clone(), trig_token.clone(), trig_vars.clone(), trig_prefix.clone());
        let replay = fanout::replay_check(&ports, &s(&f["subscribeToken"]), f["variables"].clone(), &trig_prefix, replay_events, |k| {
            let mut vars = v3.clone();
            vars["input"]["ticketNo"] = json!(format!("{p3}{k}"));
            vars["input"]["weighedAt"] = json!(now_rfc3339());
            let (http, gq, q, t) = (http3.clone(), gq3.clone(), q3.clone(), t3.clone());
            async move { gql(&http, &gq, Some(&t), &q, &vars).await.map(|_| ()) }
        })
        .await?;
        log(format!(
            "  replay: {} of {} missed events replayed after reconnecting (port {} -> {}), {} missed, {} duplicates, last after {:.1} ms",
            replay.replayed, replay.events, replay.left_port, replay.back_port, replay.missed, replay.duplicates, replay.replay_ms
        ));
        if cfg.smoke && (replay.missed > 0 || replay.duplicates > 0) {
            bail!("replay: {} missed and {} duplicated events after a reconnect", replay.missed, replay.duplicates);
        }
        out.put("replay", &replay);
        let mut hwm_end = vec![procs::rss_mb(a.pid()).map(|r| r.0)];
        if let Some(b) = &b {
            hwm_end.push(procs::rss_mb(b.pid()).map(|r| r.0));
        }
        out.results.entry("memory").or_insert_with(|| json!({}))["peakRssMbEndOfRun"] = json!(hwm_end);
        drop(b);
    }
    drop(a);

    // ---- statistics: bench allocate (servers stopped: SQLite has one writer process)
    if cfg.runs("statistics") {
        log(format!("{}: statistics (bench allocate)", backend.name()));
        let cmd = s(&m["statistics"]["command"]);
        let mut parts = cmd.split_whitespace();
        parts.next(); // the binary name
        let t0 = Instant::now();
        let alloc = db.command(&cfg.bin, &cfg.plugins).args(parts).output().context("run bench allocate")?;
        let wall = t0.elapsed().as_secs_f64();
        if !alloc.status.success() {
            bail!("bench allocate failed: {}\n{}", String::from_utf8_lossy(&alloc.stdout), String::from_utf8_lossy(&alloc.stderr));
        }
        let stdout = String::from_utf8_lossy(&alloc.stdout);
        let line: Value = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok().filter(Value::is_object))
            .with_context(|| format!("no JSON line in bench allocate output:\n{stdout}"))?;
        log(format!("  allocate: {line} (process wall {wall:.2} s)"));
        out.put("statistics", json!({"allocate": line, "processWallSeconds": wall, "season": season, "units": m["statistics"]["units"]}));
    }

    // ---- the files phase's reference: COPY of the same rows (PostgreSQL)
    if let Some((with, without)) = copy_rows {
        log("postgres: COPY of the upload files' bales and line records (the files phase's reference)");
        let on = refs::copy_in("cotton_bench", &with, true).await?;
        let off = refs::copy_in("cotton_bench", &without, false).await?;
        for c in [&on, &off] {
            log(format!("  COPY {} bales + {} records, triggers {}: {:.3} s = {:.0} bales/s", c.bales, c.records, if c.triggers { "on" } else { "off" }, c.seconds, c.bales_per_sec));
        }
        out.put("processingFilesCopy", json!({"withTriggers": on, "withoutTriggers": off}));
    }
    Ok(out)
}

/// PostGraphile's equivalent of the enterprise's card lookup (the generator's
/// `traceCard` selection: the card's columns and its unit's code), by the field
/// PostGraphile generates for the unique `trace_cards.card_no`.
const POSTGRAPHILE_CARD: &str = "query($c: String!) { traceCardByCardNo(cardNo: $c) { cardNo status targetLintKg processedLintKg processableBales traceUnitByUnitId { code } } }";

async fn run_vi(http: &reqwest::Client, gq: &str, m: &Value, tokens: &[String]) -> Result<Value> {
    let p = &m["processingVi"];
    let lines = p["lines"].as_array().context("processingVi.lines")?.clone();
    if lines.is_empty() {
        bail!("manifest has no VI lines");
    }
    let (scan, delay, record) = (s(&p["scanCards"]), s(&p["enterDelayBales"]), s(&p["recordBale"]));
    let max_scan = p["maxCardsPerScan"].as_u64().unwrap_or(20) as usize;
    let (net, moist) = (p["baleNetKg"].clone(), p["baleMoisturePct"].clone());
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for line in lines.iter().cloned() {
        let (http, gq) = (http.clone(), gq.to_string());
        let token = tokens[line["enterpriseIndex"].as_u64().unwrap_or(0) as usize].clone();
        let (scan, delay, record, net, moist) = (scan.clone(), delay.clone(), record.clone(), net.clone(), moist.clone());
        tasks.push(tokio::spawn(async move {
            let l = line["lineId"].clone();
            let cards: Vec<Value> = line["cards"].as_array().cloned().unwrap_or_default().iter().map(|c| c["cardNo"].clone()).collect();
            let total = line["totalBales"].as_u64().unwrap_or(0);
            let prefix = s(&line["barcodePrefix"]);
            let t = Some(token.as_str());
            let r = gql(&http, &gq, t, &scan, &json!({"l": l, "c": [cards[0]]})).await?;
            if r["scanCards"][0]["outcome"] != "NEED_DELAY" {
                bail!("line {l}: first scan answered {r}");
            }
            gql(&http, &gq, t, &delay, &json!({"l": l, "c": cards[0], "n": 0})).await?;
            let mut untraced = 0u64;
            let mut finished = 0u64;
            let rec = |n: u64| {
                let vars = json!({"l": l, "b": format!("{prefix}{n}"), "n": net, "m": moist, "t": now_rfc3339()});
                let (http, gq, record, t) = (http.clone(), gq.clone(), record.clone(), token.clone());
                async move { gql(&http, &gq, Some(&t), &record, &vars).await }
            };
            let r = rec(0).await?;
            if r["recordBale"]["bale"]["traced"] != json!(true) {
                untraced += 1;
            }
            for chunk in cards[1..].chunks(max_scan) {
                let r = gql(&http, &gq, t, &scan, &json!({"l": l, "c": chunk})).await?;
                for o in r["scanCards"].as_array().into_iter().flatten() {
                    if o["outcome"] != "QUEUED" {
                        bail!("line {l}: scan answered {o}");
                    }
                }
            }
            for n in 1..total {
                let r = rec(n).await?;
                if r["recordBale"]["bale"]["traced"] != json!(true) {
                    untraced += 1;
                }
                if !r["recordBale"]["finishedCard"].is_null() {
                    finished += 1;
                }
            }
            Ok::<_, anyhow::Error>((total, untraced, finished, cards.len() as u64))
        }));
    }
    let (mut bales, mut untraced, mut finished, mut cards) = (0, 0, 0, 0);
    for t in tasks {
        let (b, u, f, c) = t.await??;
        bales += b;
        untraced += u;
        finished += f;
        cards += c;
    }
    let secs = t0.elapsed().as_secs_f64();
    Ok(json!({"lines": lines.len(), "bales": bales, "cards": cards, "cardsFinished": finished, "untraced": untraced,
              "seconds": secs, "balesPerSec": bales as f64 / secs, "concurrency": lines.len()}))
}

async fn run_files(http: &reqwest::Client, gq: &str, m: &Value, tokens: &[String]) -> Result<Value> {
    let p = &m["processingFiles"];
    let q = s(&p["mutation"]);
    let mut by_line: BTreeMap<String, Vec<(u64, String, Vec<u8>, u64, usize)>> = BTreeMap::new();
    let mut bales = 0u64;
    let mut records = 0u64;
    let files = p["files"].as_array().context("processingFiles.files")?;
    if files.is_empty() {
        bail!("manifest has no upload files");
    }
    for f in files {
        let path = PathBuf::from(s(&f["path"]));
        let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        bales += f["bales"].as_u64().unwrap_or(0);
        records += f["records"].as_u64().unwrap_or(0);
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "upload.dat".into());
        by_line.entry(s(&f["lineId"])).or_default().push((
            f["order"].as_u64().unwrap_or(0),
            name,
            bytes,
            f["records"].as_u64().unwrap_or(0),
            f["enterpriseIndex"].as_u64().unwrap_or(0) as usize,
        ));
    }
    let lines = by_line.len();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (line, mut files) in by_line {
        files.sort_by_key(|f| f.0);
        let (http, gq, q) = (http.clone(), gq.to_string(), q.clone());
        let tokens = tokens.to_vec();
        tasks.push(tokio::spawn(async move {
            let (mut accepted, mut rejected, mut dup) = (0u64, 0u64, 0u64);
            for (_, name, bytes, _, ei) in files {
                let r = upload(&http, &gq, &tokens[ei], &q, json!({"l": line}), &name, bytes).await?;
                let rep = &r["uploadProcessingFile"];
                accepted += rep["accepted"].as_u64().unwrap_or(0);
                rejected += rep["rejected"].as_u64().unwrap_or(0);
                dup += rep["duplicates"].as_u64().unwrap_or(0);
                if rep["rejected"].as_u64().unwrap_or(0) > 0 {
                    bail!("line {line}: upload {name} rejected records: {rep}");
                }
            }
            Ok::<_, anyhow::Error>((accepted, rejected, dup))
        }));
    }
    let (mut accepted, mut rejected, mut dup) = (0, 0, 0);
    for t in tasks {
        let (a, r, d) = t.await??;
        accepted += a;
        rejected += r;
        dup += d;
    }
    let secs = t0.elapsed().as_secs_f64();
    if accepted == 0 {
        bail!("no upload record was accepted");
    }
    Ok(json!({"files": files.len(), "lines": lines, "bales": bales, "records": records, "accepted": accepted,
              "rejected": rejected, "duplicates": dup, "seconds": secs, "balesPerSec": bales as f64 / secs}))
}

// ------------------------------------------------------------------ the table

struct Row {
    metric: String,
    backend: String,
    value: String,
    reference: String,
    ratio: String,
    target: String,
    met: String,
}

fn met(ok: Option<bool>, smoke: bool) -> String {
    match (ok, smoke) {
        (_, true) => "(smoke)".into(),
        (Some(true), _) => "yes".into(),
        (Some(false), _) => "NO".into(),
        (None, _) => "—".into(),
    }
}

fn f(v: f64, digits: usize) -> String {
    if v.is_nan() { "—".into() } else { format!("{v:.digits$}") }
}

fn best_of(v: &Value) -> Option<(f64, f64, u64)> {
    let runs = v.as_array()?;
    let b = runs.iter().max_by(|a, b| a["rps"].as_f64().unwrap_or(0.0).total_cmp(&b["rps"].as_f64().unwrap_or(0.0)))?;
    Some((b["rps"].as_f64()?, b["p99_ms"].as_f64().unwrap_or(f64::NAN), b["concurrency"].as_u64()?))
}

fn table(runs: &[BackendRun], smoke: bool, scale: f64) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = |metric: &str, backend: &str, value: String, reference: String, ratio: String, target: &str, ok: Option<bool>| {
        rows.push(Row { metric: metric.into(), backend: backend.into(), value, reference, ratio, target: target.into(), met: met(ok, smoke) });
    };
    for r in runs {
        let b = r.name;
        let res = &r.results;
        let pg = res.get("pgbench").and_then(best_of);
        let peer = res.get("postgraphile").and_then(|p| best_of(&p["traceCardByCardNo"]));
        if let Some((rps, p99, c)) = res.get("read").and_then(|x| best_of(&x["traceCard"])) {
            match pg {
                Some((tps, _, pc)) => row("read traceCard req/s (best c)", b, format!("{} (c={c})", f(rps, 0)), format!("pgbench -S {} tps (c={pc})", f(tps, 0)), f(rps / tps, 3), "≥ 0.35 × pgbench", Some(rps / tps >= 0.35)),
                None => row("read traceCard req/s (best c)", b, format!("{} (c={c})", f(rps, 0)), "pgbench: PostgreSQL run only".into(), "—".into(), "≥ 0.35 × pgbench", None),
            }
            match peer {
                Some((prps, _, pc)) => row("read traceCard vs peer", b, f(rps, 0), format!("PostGraphile {} req/s (c={pc})", f(prps, 0)), f(rps / prps, 2), "≥ 5 × PostGraphile", Some(rps / prps >= 5.0)),
                None => row("read traceCard vs peer", b, f(rps, 0), "PostGraphile: PostgreSQL run only".into(), "—".into(), "≥ 5 × PostGraphile", None),
            }
            row("read traceCard p99 ms at best c", b, f(p99, 2), "—".into(), "—".into(), "< 10 ms", Some(p99 < 10.0));
        }
        if let Some((rps, p99, c)) = res.get("read").and_then(|x| best_of(&x["myResults"])) {
            row("read myResults req/s (best c)", b, format!("{} (c={c})", f(rps, 0)), pg.map(|p| format!("pgbench -S {} tps", f(p.0, 0))).unwrap_or("—".into()), pg.map(|p| f(rps / p.0, 3)).unwrap_or("—".into()), "—", None);
            row("read myResults p99 ms at best c", b, f(p99, 2), "—".into(), "—".into(), "< 10 ms", Some(p99 < 10.0));
        }
        if let Some((rps, p99, c)) = res.get("write").and_then(|x| best_of(&x["uploadTicket"])) {
            let pg_target = r.name == "postgres";
            row("write uploadTicket tickets/s", b, format!("{} (c={c})", f(rps, 0)), "—".into(), "—".into(), if pg_target { "≥ 3000/s" } else { "(PostgreSQL target)" }, pg_target.then_some(rps >= 3000.0));
            row("write uploadTicket p99 ms", b, f(p99, 2), "—".into(), "—".into(), "—", None);
            for (key, label) in [("perTicket", "one transaction per ticket"), ("withoutEvent", "without the event"), ("withoutEventAndAudit", "without the event and audit triggers")] {
                if let Some((tps, _, pc)) = res.get("writeReference").and_then(|x| best_of(&x[key])) {
                    // The goal: group commit beats one transaction per ticket by half again.
                    let judged = key == "perTicket";
                    row(
                        &format!("write: its SQL in pgbench, {label}"),
                        b,
                        format!("{} (c={pc})", f(tps, 0)),
                        "uploadTicket above".into(),
                        f(rps / tps, 2),
                        if judged { "uploadTicket ≥ 1.5 ×" } else { "—" },
                        judged.then_some(rps / tps >= 1.5),
                    );
                }
            }
        }
        if let Some(v) = res.get("processingVi") {
            row("processing VI API bales/s", b, format!("{} ({} lines)", f(v["balesPerSec"].as_f64().unwrap_or(f64::NAN), 0), v["lines"]), "—".into(), "—".into(), "—", None);
        }
        if let Some(v) = res.get("processingFiles") {
            let bps = v["balesPerSec"].as_f64().unwrap_or(f64::NAN);
            row("processing upload files bales/s", b, f(bps, 0), "—".into(), "—".into(), "≥ 20000/s", Some(bps >= 20000.0));
            if let Some(c) = res.get("processingFilesCopy") {
                let on = c["withTriggers"]["balesPerSec"].as_f64().unwrap_or(f64::NAN);
                let off = c["withoutTriggers"]["balesPerSec"].as_f64().unwrap_or(f64::NAN);
                row("processing upload files vs COPY of their rows", b, f(bps, 0), format!("COPY {} bales/s (audit + FK triggers on)", f(on, 0)), f(bps / on, 2), "≥ 0.5 × COPY", Some(bps / on >= 0.5));
                row("processing: the same rows by COPY, triggers off", b, f(off, 0), "upload files above".into(), f(bps / off, 2), "—", None);
            } else if r.name == "postgres" {
                row("processing upload files vs COPY of their rows", b, f(bps, 0), "COPY: not run".into(), "—".into(), "≥ 0.5 × COPY", None);
            }
        }
        if let Some(v) = res.get("statistics") {
            let secs = v["allocate"]["seconds"].as_f64().or_else(|| v["allocate"]["wallSeconds"].as_f64()).unwrap_or(v["processWallSeconds"].as_f64().unwrap_or(f64::NAN));
            let full = secs / scale;
            let pg_target = r.name == "postgres";
            row("statistics allocation s (this scale)", b, f(secs, 2), "—".into(), "—".into(), "—", None);
            row("statistics allocation s (×1/scale = full season)", b, f(full, 1), "—".into(), "—".into(), if pg_target { "< 60 s" } else { "(PostgreSQL target)" }, pg_target.then_some(full < 60.0));
        }
        if let Some(v) = res.get("publishDay") {
            let p99 = v["p99_ms"].as_f64().unwrap_or(f64::NAN);
            let errors = v["errors"].as_u64().unwrap_or(u64::MAX);
            row(
                &format!("publish day: {} growers sign in + myResults p99 ms", v["growers"]),
                b,
                f(p99, 1),
                format!("p50 {} ms, max {} ms, errors {}", f(v["p50_ms"].as_f64().unwrap_or(f64::NAN), 1), f(v["max_ms"].as_f64().unwrap_or(f64::NAN), 1), errors),
                "—".into(),
                "< 100 ms, 0 errors",
                Some(p99 < 100.0 && errors == 0),
            );
        }
        if let Some(v) = res.get("fanout") {
            let p99 = v["p99_ms"].as_f64().unwrap_or(f64::NAN);
            row(&format!("fan-out p99 ms ({} subs, {} inst.)", v["subscribers"], v["instances"]), b, f(p99, 1), format!("p50 {} ms, missed {}", f(v["p50_ms"].as_f64().unwrap_or(f64::NAN), 1), v["missed"]), "—".into(), "< 200 ms", Some(p99 < 200.0 && v["missed"] == 0));
            let peaks: Vec<f64> = v["peak_rss_mb"].as_array().map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()).unwrap_or_default();
            let held: Vec<f64> = v["rss_mb_subscribed"].as_array().map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()).unwrap_or_default();
            let reset = v["hwm_reset"].as_array().is_some_and(|a| a.iter().all(|x| x == true));
            let join = |xs: &[f64]| xs.iter().map(|x| f(*x, 1)).collect::<Vec<_>>().join(" / ");
            if !peaks.is_empty() {
                row(
                    &format!("fan-out peak RSS MB per instance ({} subs)", v["subscribers"]),
                    b,
                    join(&peaks),
                    format!("{}RSS subscribed {} MB", if reset { "" } else { "peak since start; " }, join(&held)),
                    "—".into(),
                    "< 100 MB each",
                    Some(peaks.iter().all(|p| *p < 100.0)),
                );
            }
        }
        if let Some(v) = res.get("replay") {
            let missed = v["missed"].as_u64().unwrap_or(u64::MAX);
            let dup = v["duplicates"].as_u64().unwrap_or(u64::MAX);
            row(
                &format!("events missed by a subscriber that reconnects ({} raised while away)", v["events"]),
                b,
                missed.to_string(),
                format!("replayed {}, duplicates {dup}, last after {} ms", v["replayed"], f(v["replay_ms"].as_f64().unwrap_or(f64::NAN), 1)),
                "—".into(),
                "0",
                Some(missed == 0 && dup == 0),
            );
        }
        if let Some(v) = res.get("memory") {
            let mb = v["peakRssMbAfterRead"].as_f64().unwrap_or(f64::NAN);
            let peer = res.get("postgraphile").and_then(|p| p["peakRssMb"].as_f64());
            row("memory peak RSS MB (read load)", b, f(mb, 1), peer.map(|p| format!("PostGraphile {} MB", f(p, 1))).unwrap_or("—".into()), "—".into(), "< 200 MB", Some(mb < 200.0));
        }
    }
    rows
}

fn print_table(rows: &[Row]) {
    let headers = ["metric", "backend", "value", "reference", "ratio", "target", "met?"];
    let cells: Vec<[&str; 7]> = rows.iter().map(|r| [r.metric.as_str(), &r.backend, &r.value, &r.reference, &r.ratio, &r.target, &r.met]).collect();
    let w: Vec<usize> = (0..7).map(|i| cells.iter().map(|c| c[i].chars().count()).chain([headers[i].len()]).max().unwrap()).collect();
    let line = |c: [&str; 7]| {
        let mut s = String::from("|");
        for i in 0..7 {
            s.push_str(&format!(" {}{} |", c[i], " ".repeat(w[i] - c[i].chars().count())));
        }
        s
    };
    println!("{}", line(headers));
    println!("|{}", w.iter().map(|n| format!("{}|", "-".repeat(n + 2))).collect::<String>());
    for c in cells {
        println!("{}", line(c));
    }
}

// ------------------------------------------------------------------ main

fn plugins_dir(bin: &Path) -> PathBuf {
    let has_libs = |d: &Path| {
        std::fs::read_dir(d).is_ok_and(|rd| rd.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcotton_") && e.file_name().to_string_lossy().ends_with(".so")))
    };
    if has_libs(bin) {
        return bin.to_path_buf();
    }
    let test_dir = bin.join("cotton-api-test-plugins");
    if has_libs(&test_dir) {
        return test_dir;
    }
    bin.to_path_buf()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let smoke = args.smoke;
    let bin = procs::bin_dir()?;
    let cfg = Cfg {
        scale: args.scale.unwrap_or(if smoke { 0.001 } else { 0.02 }),
        seed: args.seed,
        duration: parse_duration(args.duration.as_deref().unwrap_or(if smoke { "1s" } else { "10s" }))?,
        warmup: Duration::from_millis(if smoke { 200 } else { 1000 }),
        levels: args
            .concurrency
            .as_deref()
            .unwrap_or(if smoke { "1,8" } else { "1,4,16,64" })
            .split(',')
            .map(|c| c.trim().parse::<usize>().context("bad --concurrency"))
            .collect::<Result<_>>()?,
        subscribers: args.subscribers.unwrap_or(if smoke { 100 } else { 10_000 }),
        publish_growers: args.publish_growers.unwrap_or(if smoke { 50 } else { 1000 }),
        events: args.events.unwrap_or(if smoke { 2 } else { 5 }),
        pgbench_scale: args.pgbench_scale.unwrap_or(if smoke { 1 } else { 10 }),
        smoke,
        plugins: plugins_dir(&bin),
        bin,
        postgraphile: !args.no_postgraphile,
        phases: match args.only.as_deref() {
            None => PHASES.iter().map(|p| p.to_string()).collect(),
            Some(list) => {
                let phases: Vec<String> = list.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
                if let Some(bad) = phases.iter().find(|p| !PHASES.contains(&p.as_str())) {
                    bail!("unknown phase {bad:?} in --only (one of {})", PHASES.join(","));
                }
                phases
            }
        },
    };
    // Open files: the subscribers' sockets live in this process and, split over
    // the instances, in the servers (which inherit this limit), next to the
    // publish-day clients and the servers' own files and database connections.
    let want_files = (cfg.subscribers + cfg.publish_growers + 4096) as u64;
    let nofile = procs::raise_nofile(want_files);
    if nofile < (cfg.subscribers + cfg.publish_growers + 1024) as u64 {
        bail!(
            "the open-files limit is {nofile} (hard limit reached), too low for {} subscribers and {} publish-day growers: \
             raise it (`ulimit -Hn {want_files}` as root, or LimitNOFILE=) or pass a smaller --subscribers",
            cfg.subscribers,
            cfg.publish_growers
        );
    }
    let mut backends = Vec::new();
    for b in args.backends.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        backends.push(match b {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => Backend::Postgres,
            other => bail!("unknown backend {other:?} (sqlite, postgres)"),
        });
    }
    let started = chrono::Utc::now();
    let machine = procs::machine();
    println!(
        "machine: {} · {} cores · {} GB RAM · Linux {} · commit {}{}",
        machine["cpu"].as_str().unwrap_or(""),
        machine["cores"],
        machine["ramGb"],
        machine["kernel"].as_str().unwrap_or(""),
        machine["commit"].as_str().unwrap_or(""),
        if machine["dirty"] == true { " (+ uncommitted changes)" } else { "" }
    );
    println!(
        "binary: {} ({}) · scale {} · {} s per measurement · concurrency {:?} · {} subscribers · {} publish-day growers · open files {nofile} · the load client runs on the same {} cores as the servers",
        cfg.bin.join("cotton-trace").display(),
        if cfg.bin.ends_with("release") { "release" } else { "debug" },
        cfg.scale,
        cfg.duration.as_secs_f64(),
        cfg.levels,
        cfg.subscribers,
        cfg.publish_growers,
        machine["cores"]
    );

    let mut pgbench = None;
    if backends.contains(&Backend::Postgres) {
        if !procs::pg_available().await {
            if is_ci() {
                bail!("PostgreSQL at {} is unreachable and CI=true", procs::pg_server());
            }
            eprintln!("skipping postgres: {} unreachable", procs::pg_server());
            backends.retain(|b| *b != Backend::Postgres);
        }
    }
    let mut cfg = cfg;
    if !cfg.runs("peer") {
        cfg.postgraphile = false;
    }
    if backends.contains(&Backend::Postgres) {
        if cfg.runs("pgbench") {
            log(format!("pgbench -i -s {} {}", cfg.pgbench_scale, refs::PGBENCH_DB));
            refs::pgbench_init(cfg.pgbench_scale).await?;
            let mut runs = Vec::new();
            for &c in &cfg.levels {
                let r = refs::pgbench_run(c, cfg.duration.as_secs().max(1))?;
                log(format!("  pgbench -S -M prepared c={c}: {:.0} tps p50 {:.3} ms p99 {:.3} ms", r.rps, r.p50_ms, r.p99_ms));
                runs.push(r);
            }
            pgbench = Some(runs);
        }
        if cfg.postgraphile {
            if let Err(e) = refs::npm_install() {
                if is_ci() {
                    return Err(e.context("PostGraphile is required under CI=true"));
                }
                eprintln!("skipping PostGraphile: {e:#}");
                cfg.postgraphile = false;
            }
        }
    } else {
        cfg.postgraphile = false;
    }

    let mut runs = Vec::new();
    for b in &backends {
        let r = run_backend(*b, &cfg, pgbench.as_deref()).await.with_context(|| format!("{} benchmark", b.name()))?;
        runs.push(r);
    }
    if backends.contains(&Backend::Postgres) && cfg.runs("pgbench") {
        let _ = procs::recreate_pg_db(refs::PGBENCH_DB).await; // leave no 150 MB reference db behind
    }

    let rows = table(&runs, smoke, cfg.scale);
    println!();
    print_table(&rows);
    println!("(read: closed-loop HTTP clients in this process; they share the machine's cores with the server and PostgreSQL)");

    let report = json!({
        "startedAt": started.to_rfc3339(),
        "finishedAt": chrono::Utc::now().to_rfc3339(),
        "machine": machine,
        "smoke": smoke,
        "binary": if cfg.bin.ends_with("release") { "release" } else { "debug" },
        "scale": cfg.scale, "seed": cfg.seed, "durationSeconds": cfg.duration.as_secs_f64(),
        "concurrency": cfg.levels, "subscribers": cfg.subscribers, "events": cfg.events, "publishGrowers": cfg.publish_growers,
        "pgbenchScale": cfg.pgbench_scale,
        "table": rows.iter().map(|r| json!({"metric": r.metric, "backend": r.backend, "value": r.value, "reference": r.reference, "ratio": r.ratio, "target": r.target, "met": r.met})).collect::<Vec<_>>(),
        "backends": runs.iter().map(|r| (r.name.to_string(), Value::Object(r.results.clone()))).collect::<serde_json::Map<_, _>>(),
    });
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    std::fs::create_dir_all(&dir)?;
    let stamp = started.format("%Y%m%dT%H%M%SZ");
    let name = if smoke { format!("smoke-{stamp}.json") } else { format!("{stamp}.json") };
    let text = serde_json::to_string_pretty(&report)?;
    std::fs::write(dir.join(&name), &text)?;
    if !smoke {
        std::fs::write(dir.join("latest.json"), &text)?;
    }
    println!("wrote {}", dir.join(&name).display());
    Ok(())
}
