//! Fan-out: many `graphql-transport-ws` subscribers of `events`, an event fired
//! by a mutation, delivery latency per subscriber (send time → receive time).

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
    let (mut ws, _) = match tokio::time::timeout(Duration::from_secs(30), tokio_tungstenite::connect_async(req)).await {
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
}

/// `ports[i % ports.len()]` serves subscriber i. `fire(k)` performs the k-th
/// mutation (its send instant is taken right before the call).
pub async fn run<F, Fut>(
    ports: &[u16],
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
    // let the server register every stream (the subscribe message is async)
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while out_rx.try_recv().is_ok() {}

    let mut lat_us: Vec<u32> = Vec::new();
    let mut missed = 0;
    for k in 0..events {
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
    })
}
