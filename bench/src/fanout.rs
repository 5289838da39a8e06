//! Fan-out: many `graphql-transport-ws` subscribers of `events`, an event fired
//! by a mutation, delivery latency per subscriber (send time → receive time), and
//! the servers' peak RSS while they hold the subscribers.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// One subscriber: connects, `connection_init` with the token, waits for the
/// ack, subscribes; then reports (subscriber, receive instant, event) for each
/// `next`. `ready` gets one message when subscribed (or the failure).
async fn subscriber(
    idx: usize,
    port: u16,
    token: String,
    query: String,
    variables: Value,
    ready: mpsc::Sender<Result<(), String>>,
    out: mpsc::UnboundedSender<(usize, Instant, Value)>,
) {
    let url = format!("ws://127.0.0.1:{port}/graphql/ws");
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    // Small buffers: ten thousand of these live in this one process.
    let mut config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
    config.read_buffer_size = 4096;
    config.write_buffer_size = 0;
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), true);
    let (mut ws, _) = match tokio::time::timeout(Duration::from_secs(30), connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return drop(ready.send(Err(format!("connect: {e}"))).await),
        Err(_) => return drop(ready.send(Err("connect timed out".into())).await),
    };
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    if ws.send(Message::text(init.to_string())).await.is_err() {
        return drop(ready.send(Err("send init".into())).await);
    }
    let mut subscribed = false;
    loop {
        let msg = match ws.next().await {
            Some(Ok(m)) => m,
            _ => {
                if !subscribed {
                    let _ = ready.send(Err("closed before ack".into())).await;
                }
                return;
            }
        };
        let at = Instant::now();
        let Message::Text(t) = msg else { continue };
        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
        match v["type"].as_str().unwrap_or("") {
            "connection_ack" => {
                let sub = json!({"type": "subscribe", "id": "1", "payload": {"query": query, "variables": variables}});
                if ws.send(Message::text(sub.to_string())).await.is_err() {
                    return drop(ready.send(Err("send subscribe".into())).await);
                }
                subscribed = true;
                let _ = ready.send(Ok(())).await;
            }
            "ping" => {
                let _ = ws.send(Message::text(json!({"type": "pong"}).to_string())).await;
            }
            "next" => {
                if out.send((idx, at, v["payload"].clone())).is_err() {
                    return;
                }
            }
            "error" | "connection_error" | "complete" => {
                let _ = out.send((idx, at, json!({"errors": v["payload"]})));
            }
            _ => {}
        }
    }
}

/// The first warm-up event's `k` (see [`run`]).
pub const WARMUP: usize = 1_000_000;

#[derive(Debug, serde::Serialize)]
pub struct FanoutStats {
    pub subscribers: usize,
    pub instances: usize,
    pub events: usize,
    pub delivered: usize,
    pub missed: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Seconds to connect and subscribe every subscriber (waves of 100).
    pub connect_seconds: f64,
    /// Subscribers no warm-up event (not measured) reached.
    pub warmup_missed: usize,
    /// Peak RSS (VmHWM) of each instance, MB, from before the subscribers
    /// connected (peak reset, see `hwm_reset`) to after the last event.
    pub peak_rss_mb: Vec<f64>,
    /// RSS of each instance with every subscriber connected, after the warm-up.
    pub rss_mb_subscribed: Vec<f64>,
    /// Whether each instance's peak was reset before the subscribers connected
    /// (else `peak_rss_mb` is the peak since the instance started).
    pub hwm_reset: Vec<bool>,
}

/// `ports[i % ports.len()]` (process `pids[i % …]`) serves subscriber i.
/// `fire(k)` performs the k-th mutation (its send instant is taken right before
/// the call): k = [`WARMUP`] + j are warm-ups that must reach everyone before
/// measuring, then k = 1..=events are measured.
#[allow(clippy::too_many_arguments)]
pub async fn run<F, Fut>(
    ports: &[u16],
    pids: &[u32],
    token: &str,
    query: &str,
    variables: Value,
    subscribers: usize,
    events: usize,
    mut fire: F,
) -> Result<FanoutStats>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let hwm_reset: Vec<bool> = pids.iter().map(|&p| crate::procs::reset_hwm(p)).collect();
    let rss = |pick: fn((f64, f64)) -> f64| pids.iter().map(|&p| crate::procs::rss_mb(p).map(pick).unwrap_or(f64::NAN)).collect::<Vec<f64>>();
    let t_connect = Instant::now();
    let (ready_tx, mut ready_rx) = mpsc::channel(subscribers.max(1));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    // connect in waves of 100 so the accept queues do not overflow
    for wave in (0..subscribers).collect::<Vec<_>>().chunks(100) {
        for &i in wave {
            tasks.push(tokio::spawn(subscriber(
                i,
                ports[i % ports.len()],
                token.to_string(),
                query.to_string(),
                variables.clone(),
                ready_tx.clone(),
                out_tx.clone(),
            )));
        }
        for _ in wave {
            match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => bail!("a subscriber failed: {e}"),
                _ => bail!("subscribers did not become ready"),
            }
        }
    }
    drop(out_tx);
    let connect_seconds = t_connect.elapsed().as_secs_f64();

    // Warm-up: events (not measured) until every subscriber got one, up to 5
    // rounds of 6 s: a `subscribe` has no acknowledgement, so only an event shows
    // a stream is live.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut got = vec![false; subscribers];
    let mut n = 0;
    for round in 0..5 {
        fire(WARMUP + round).await.context("fire a warm-up event")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
        while n < subscribers {
            match tokio::time::timeout_at(deadline, out_rx.recv()).await {
                Ok(Some((i, _, payload))) => {
                    if payload.get("errors").is_some_and(|e| !e.is_null()) {
                        bail!("subscriber {i} got an error: {payload}");
                    }
                    if !got[i] {
                        got[i] = true;
                        n += 1;
                    }
                }
                _ => break,
            }
        }
        if n == subscribers {
            break;
        }
    }
    let warmup_missed = subscribers - n;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while out_rx.try_recv().is_ok() {}
    let rss_mb_subscribed = rss(|r| r.1);

    let mut lat_us: Vec<u32> = Vec::new();
    let mut missed = 0;
    for k in 1..=events {
        let sent = Instant::now();
        fire(k).await.with_context(|| format!("fire event {k}"))?;
        let mut got = vec![false; subscribers];
        let mut n = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while n < subscribers {
            match tokio::time::timeout_at(deadline, out_rx.recv()).await {
                Ok(Some((i, at, payload))) => {
                    if payload.get("errors").is_some_and(|e| !e.is_null()) {
                        bail!("subscriber {i} got an error: {payload}");
                    }
                    if !got[i] {
                        got[i] = true;
                        n += 1;
                        lat_us.push((at.saturating_duration_since(sent)).as_micros() as u32);
                    }
                }
                _ => break,
            }
        }
        missed += subscribers - n;
        tokio::time::sleep(Duration::from_millis(200)).await;
        while out_rx.try_recv().is_ok() {}
    }
    let peak_rss_mb = rss(|r| r.0);
    for t in tasks {
        t.abort();
    }
    lat_us.sort_unstable();
    Ok(FanoutStats {
        subscribers,
        instances: ports.len(),
        events,
        delivered: lat_us.len(),
        missed,
        p50_ms: crate::load::percentile(&lat_us, 0.5),
        p99_ms: crate::load::percentile(&lat_us, 0.99),
        max_ms: lat_us.last().map(|&v| v as f64 / 1000.0).unwrap_or(f64::NAN),
        connect_seconds,
        warmup_missed,
        peak_rss_mb,
        rss_mb_subscribed,
        hwm_reset,
    })
}
