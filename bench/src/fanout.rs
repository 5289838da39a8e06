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

/// The first replay event's `k` (see [`replay_check`]).
pub const REPLAY: usize = 2_000_000;

#[derive(Debug, serde::Serialize)]
pub struct ReplayStats {
    /// Events raised while the subscriber was away.
    pub events: usize,
    /// Of those, received after reconnecting with `events(after: cursor)`.
    pub replayed: usize,
    pub missed: usize,
    pub duplicates: usize,
    /// Instance the subscriber left and the one it came back to (ports).
    pub left_port: u16,
    pub back_port: u16,
    /// From the reconnect to the last missed event received.
    pub replay_ms: f64,
}

/// Reconnect-and-replay: a subscriber receives one event and keeps its cursor,
/// drops its connection, `events` events are raised (`fire(REPLAY + j)`, whose
/// ticket numbers are `{prefix}{k}`), and it subscribes again with `after:` its
/// cursor — on the other instance when there are two. Counts what it missed.
pub async fn replay_check<F, Fut>(ports: &[u16], token: &str, variables: Value, prefix: &str, events: usize, mut fire: F) -> Result<ReplayStats>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    const QUERY: &str = "subscription($t: [EventTopic!], $after: String) { events(topics: $t, after: $after) { cursor topic ticketNo } }";
    let (left_port, back_port) = (ports[0], *ports.last().expect("a port"));
    let (ready_tx, mut ready_rx) = mpsc::channel(2);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let first = tokio::spawn(subscriber(0, left_port, token.to_string(), QUERY.into(), variables.clone(), ready_tx.clone(), out_tx.clone()));
    match tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await {
        Ok(Some(Ok(()))) => {}
        other => bail!("replay: the subscriber did not subscribe: {other:?}"),
    }
    // Its first event (retried: a `subscribe` has no acknowledgement).
    let mut cursor = None;
    for round in 0..5 {
        fire(REPLAY + events + 1 + round).await.context("replay: fire the first event")?;
        if let Ok(Some((_, _, p))) = tokio::time::timeout(Duration::from_secs(6), out_rx.recv()).await {
            cursor = p["data"]["events"]["cursor"].as_str().map(str::to_string);
            if cursor.is_some() {
                break;
            }
            bail!("replay: the event has no cursor: {p}");
        }
    }
    let cursor = cursor.context("replay: no first event")?;
    first.abort();
    let _ = first.await;
    while out_rx.try_recv().is_ok() {}

    for j in 0..events {
        fire(REPLAY + j).await.with_context(|| format!("replay: fire missed event {j}"))?;
    }
    let mut vars = variables;
    vars["after"] = json!(cursor);
    let back = Instant::now();
    let again = tokio::spawn(subscriber(1, back_port, token.to_string(), QUERY.into(), vars, ready_tx, out_tx));
    match tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await {
        Ok(Some(Ok(()))) => {}
        other => bail!("replay: the subscriber did not subscribe again: {other:?}"),
    }
    let wanted: std::collections::HashSet<String> = (0..events).map(|j| format!("{prefix}{}", REPLAY + j)).collect();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut replay_ms = f64::NAN;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while seen.len() < wanted.len() {
        match tokio::time::timeout_at(deadline, out_rx.recv()).await {
            Ok(Some((_, at, p))) => {
                if p.get("errors").is_some_and(|e| !e.is_null()) {
                    bail!("replay: an error instead of an event: {p}");
                }
                let no = p["data"]["events"]["ticketNo"].as_str().unwrap_or("").to_string();
                if wanted.contains(&no) {
                    *seen.entry(no).or_default() += 1;
                    replay_ms = at.saturating_duration_since(back).as_secs_f64() * 1000.0;
                }
            }
            _ => break,
        }
    }
    // Anything more within a moment would be a duplicate.
    let settle = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(Some((_, _, p))) = tokio::time::timeout_at(settle, out_rx.recv()).await {
        let no = p["data"]["events"]["ticketNo"].as_str().unwrap_or("").to_string();
        if wanted.contains(&no) {
            *seen.entry(no).or_default() += 1;
        }
    }
    again.abort();
    let replayed = seen.len();
    Ok(ReplayStats {
        events,
        replayed,
        missed: events - replayed,
        duplicates: seen.values().map(|n| n - 1).sum(),
        left_port,
        back_port,
        replay_ms,
    })
}
