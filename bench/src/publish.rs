//! Publish day: the day the season's results come out, every grower signs in on
//! their phone and opens 我的结果 at once. Each grower here is one task with its
//! own kept-alive HTTP connection (as one phone) and its own client address
//! (`X-Forwarded-For` through the trusted proxy 127.0.0.1, see
//! [`crate::procs::BenchDb::command`], so the per-address sign-in and SMS budgets
//! apply per grower as they would behind a proxy). All are released together;
//! each then runs, one after the other:
//!
//! 1. `sendSmsCode(phone)`
//! 2. `devSmsCodes(phone)`: the dev-mode log sender's memory of the code, standing
//!    in for the grower reading the SMS (an in-memory read; `serve --dev` only)
//! 3. `growerLogin(phone, code)` → a fresh access token
//! 4. the manifest's `myResults` with that token
//!
//! A grower's latency is the whole sequence, from its release to the `myResults`
//! answer; a grower with any failed step is an error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::load::percentile;

pub const SEND_SMS: &str = "mutation($p: String!) { sendSmsCode(phone: $p) }";
pub const DEV_SMS: &str = "query($p: String!) { devSmsCodes(phone: $p) }";
pub const GROWER_LOGIN: &str = "mutation($p: String!, $c: String!) { growerLogin(phone: $p, code: $c) { accessToken } }";

pub const STEPS: [&str; 4] = ["sendSmsCode", "devSmsCodes", "growerLogin", "myResults"];

#[derive(Debug, Serialize)]
pub struct Quantiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Quantiles {
    fn of(mut us: Vec<u32>) -> Quantiles {
        us.sort_unstable();
        Quantiles {
            p50_ms: percentile(&us, 0.5),
            p99_ms: percentile(&us, 0.99),
            max_ms: us.last().map(|&v| v as f64 / 1000.0).unwrap_or(f64::NAN),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PublishStats {
    pub growers: usize,
    pub ok: usize,
    pub errors: usize,
    /// Whole sign-in + load per grower (successful growers).
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Release → last grower done.
    pub wall_seconds: f64,
    /// Release → the last grower's first request sent: how long the runner took to
    /// get every grower going (its own scheduling, not the server's).
    pub start_spread_ms: f64,
    /// Each step's own latency (successful steps).
    pub steps: BTreeMap<&'static str, Quantiles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

struct Grower {
    total_us: Option<u32>,
    started_us: u32,
    steps: Vec<(usize, u32)>,
    error: Option<String>,
}

async fn post(http: &reqwest::Client, url: &str, token: Option<&str>, query: &str, vars: &Value) -> Result<Value, String> {
    let mut req = http.post(url).header("content-type", "application/json").body(json!({"query": query, "variables": vars}).to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| format!("{status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])))?;
    if let Some(e) = v.get("errors").filter(|e| !e.is_null()) {
        return Err(format!("{status}: {e}"));
    }
    if !status.is_success() {
        return Err(format!("{status}: {v}"));
    }
    Ok(v["data"].clone())
}

/// The client address of grower `i`: 10.x.y.z, distinct per grower.
fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

async fn one(http: reqwest::Client, url: Arc<String>, phone: String, results: Arc<(String, Value)>, release: Instant) -> Grower {
    let t0 = Instant::now();
    let mut g = Grower { total_us: None, started_us: (t0 - release).as_micros() as u32, steps: Vec::new(), error: None };
    let step = |g: &mut Grower, k: usize, since: Instant| g.steps.push((k, since.elapsed().as_micros() as u32));
    let p = json!({"p": phone});
    let outcome: Result<(), String> = async {
        let s = Instant::now();
        let sent = post(&http, &url, None, SEND_SMS, &p).await.map_err(|e| format!("sendSmsCode: {e}"))?;
        if sent["sendSmsCode"] != json!(true) {
            return Err(format!("sendSmsCode answered {sent}"));
        }
        step(&mut g, 0, s);
        let s = Instant::now();
        let codes = post(&http, &url, None, DEV_SMS, &p).await.map_err(|e| format!("devSmsCodes: {e}"))?;
        let code = codes["devSmsCodes"][0].as_str().ok_or_else(|| format!("devSmsCodes answered {codes}"))?.to_string();
        step(&mut g, 1, s);
        let s = Instant::now();
        let login = post(&http, &url, None, GROWER_LOGIN, &json!({"p": phone, "c": code})).await.map_err(|e| format!("growerLogin: {e}"))?;
        let token = login["growerLogin"]["accessToken"].as_str().ok_or_else(|| format!("growerLogin answered {login}"))?.to_string();
        step(&mut g, 2, s);
        let s = Instant::now();
        let r = post(&http, &url, Some(&token), &results.0, &results.1).await.map_err(|e| format!("myResults: {e}"))?;
        if !r["myResults"].is_object() {
            return Err(format!("myResults answered {r}"));
        }
        step(&mut g, 3, s);
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => g.total_us = Some(t0.elapsed().as_micros().min(u32::MAX as u128) as u32),
        Err(e) => g.error = Some(e),
    }
    g
}

/// Signs `phones` in at once against `url` (…/graphql) and loads `myResults`
/// (`query`, `variables` from the manifest) for each.
pub async fn run(url: &str, phones: &[String], query: &str, variables: &Value) -> Result<PublishStats> {
    let url = Arc::new(url.to_string());
    let results = Arc::new((query.to_string(), variables.clone()));
    // Clients (one connection each) are built before the clock starts.
    let mut clients = Vec::with_capacity(phones.len());
    for i in 0..phones.len() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address(i).parse()?);
        clients.push(
            reqwest::Client::builder()
                .no_proxy()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(1)
                .default_headers(headers)
                .timeout(Duration::from_secs(60))
                .build()?,
        );
    }
    // Every task parks on the watch; once all are parked they are released at once.
    let parked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (tx, rx) = tokio::sync::watch::channel(None::<Instant>);
    let mut tasks = Vec::with_capacity(phones.len());
    for (http, phone) in clients.into_iter().zip(phones.iter().cloned()) {
        let (url, results, parked, mut rx) = (url.clone(), results.clone(), parked.clone(), rx.clone());
        tasks.push(tokio::spawn(async move {
            parked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let release = match rx.wait_for(Option::is_some).await {
                Ok(at) => at.unwrap_or_else(Instant::now),
                Err(_) => Instant::now(),
            };
            one(http, url, phone, results, release).await
        }));
    }
    drop(rx);
    while parked.load(std::sync::atomic::Ordering::SeqCst) < phones.len() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let release = Instant::now();
    tx.send_replace(Some(release));
    let mut totals = Vec::new();
    let mut steps: Vec<Vec<u32>> = vec![Vec::new(); STEPS.len()];
    let (mut errors, mut first_error, mut spread) = (0, None, 0u32);
    for t in tasks {
        let g = t.await?;
        spread = spread.max(g.started_us);
        for (k, us) in g.steps {
            steps[k].push(us);
        }
        match (g.total_us, g.error) {
            (Some(us), _) => totals.push(us),
            (None, e) => {
                errors += 1;
                if first_error.is_none() {
                    first_error = e;
                }
            }
        }
    }
    let wall = release.elapsed().as_secs_f64();
    let whole = Quantiles::of(totals.clone());
    Ok(PublishStats {
        growers: phones.len(),
        ok: totals.len(),
        errors,
        p50_ms: whole.p50_ms,
        p99_ms: whole.p99_ms,
        max_ms: whole.max_ms,
        wall_seconds: wall,
        start_spread_ms: spread as f64 / 1000.0,
        steps: STEPS.iter().copied().zip(steps.into_iter().map(Quantiles::of)).collect(),
        first_error,
    })
}
