//! Closed-loop HTTP load generator: `concurrency` tasks, each sending one
//! request after the other on a kept-alive connection, for a fixed duration.
//! Bodies are serialized before the clock starts (reads) or formatted from a
//! counter (writes, where every request must differ).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

/// What one load run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadStats {
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The first error seen (status / GraphQL error text), for the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

pub fn percentile(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[idx.min(sorted_us.len() - 1)] as f64 / 1000.0
}

/// Where the bodies come from.
#[derive(Clone)]
pub enum Bodies {
    /// Pre-serialized (body, token index); each worker starts elsewhere and cycles.
    Fixed(Arc<Vec<(Bytes, usize)>>),
    /// (body, token index) formatted from a global sequence number (unique per request).
    Seq(Arc<dyn Fn(u64) -> (Bytes, usize) + Send + Sync>),
}

/// One target: URL, bearer token per body index (or one for all), bodies.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    /// Bearer tokens, picked by the body's token index (empty: no Authorization header).
    pub tokens: Arc<Vec<String>>,
    pub bodies: Bodies,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// Runs `concurrency` workers for `warmup` (not counted) and then `duration`.
pub async fn run(client: &reqwest::Client, target: &Target, concurrency: usize, warmup: Duration, duration: Duration) -> LoadStats {
    let seq = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let client = client.clone();
        let target = target.clone();
        let seq = seq.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut first_error = None;
            let mut i = w.wrapping_mul(7919);
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let (body, tok_idx) = match &target.bodies {
                    Bodies::Fixed(b) => b[i % b.len()].clone(),
                    Bodies::Seq(f) => f(seq.fetch_add(1, Ordering::Relaxed)),
                };
                i = i.wrapping_add(1);
                let mut req = client
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .body(body);
                if !target.tokens.is_empty() {
                    req = req.bearer_auth(&target.tokens[tok_idx % target.tokens.len()]);
                }
                let t0 = Instant::now();
                let res = req.send().await;
                let outcome = match res {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(b) if status.is_success() && !contains(&b, b"\"errors\"") => Ok(()),
                            Ok(b) => Err(format!("{status}: {}", String::from_utf8_lossy(&b[..b.len().min(300)]))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                let t1 = Instant::now();
                if t0 >= measure_from && t1 <= end {
                    match outcome {
                        Ok(()) => lat.push((t1 - t0).as_micros().min(u32::MAX as u128) as u32),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                } else if let Err(e) = outcome {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
            (lat, errors, first_error)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (lat, e, fe) = t.await.expect("load worker");
        all.extend(lat);
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    all.sort_unstable();
    let secs = duration.as_secs_f64();
    LoadStats {
        concurrency,
        requests: all.len() as u64,
        errors,
        seconds: secs,
        rps: all.len() as f64 / secs,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        first_error,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
