//! The live loop: subscribe over `graphql-transport-ws`, keep the counts in
//! step with the events, resynchronise from queries on start, after each event
//! batch, periodically and after every reconnect, and reconnect with back-off.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::api::{Api, ApiError};
use crate::output::{Counts, Output, Reason};

pub const TOPICS: [&str; 6] = ["UNIT_REVIEWED", "UNIT_CHANGED", "TICKET_UPLOADED", "CARD_PRINTED", "CARD_FINISHED", "BALE_LINKED"];

const SUBSCRIPTION: &str = "subscription($t: [EventTopic!]) { events(topics: $t) { topic at regionId unitId cardNo ticketNo baleBarcode } }";
const AREA: &str = "query($s: Int!) { areaReport(season: $s) { unitsByStatus { status count } cards { printed exported processing finished } deliveredSeedKg cardedSeedKg balesLinked lintKg premiumKg premiumRatePct } }";
const XLSX: &str = "query($s: Int!) { areaReportXlsx(season: $s) { fileName mimeType base64 } }";

/// Events arriving within this window are applied together.
const BATCH_WINDOW: Duration = Duration::from_millis(250);
/// Connect and handshake limit.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// The report pings the server this often, and gives the connection up when
/// nothing at all arrived for three times as long.
const KEEPALIVE: Duration = Duration::from_secs(15);

pub struct Config {
    pub season: i32,
    pub poll: Option<Duration>,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub xlsx_dir: PathBuf,
}

/// A line typed on standard input.
#[derive(Debug)]
pub enum Command {
    /// `x` / `xlsx [path]`: write the workbook.
    Xlsx(Option<PathBuf>),
    /// `r`: resynchronise now.
    Resync,
    /// `q`: quit.
    Quit,
}

pub fn parse_command(line: &str) -> Option<Command> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match word {
        "x" | "xlsx" | "导出" => Some(Command::Xlsx(Some(rest.trim()).filter(|r| !r.is_empty()).map(PathBuf::from))),
        "r" | "resync" | "刷新" => Some(Command::Resync),
        "q" | "quit" | "exit" | "退出" => Some(Command::Quit),
        _ => None,
    }
}

/// Reads commands from standard input (EOF just ends the reading).
pub fn stdin_commands() -> mpsc::UnboundedReceiver<Command> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Some(c) = parse_command(&line)
                        && tx.send(c).is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Writes the area workbook to `path` (or `<dir>/<server's file name>`); returns the path and size.
pub async fn write_xlsx(api: &Api, season: i32, path: Option<&Path>, dir: &Path) -> Result<(PathBuf, usize), String> {
    let d = api.query(XLSX, json!({ "s": season })).await.map_err(|e| e.to_string())?;
    let file = &d["areaReportXlsx"];
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["base64"].as_str().unwrap_or_default())
        .map_err(|e| format!("统计表内容无法解码：{e}"))?;
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => dir.join(file["fileName"].as_str().unwrap_or("area-report.xlsx").replace(['/', '\\'], "_")),
    };
    std::fs::write(&path, &bytes).map_err(|e| format!("写入 {} 失败：{e}", path.display()))?;
    Ok((path, bytes.len()))
}

/// Exponential back-off with a little jitter.
struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Backoff {
        Backoff { next: min, min, max }
    }
    fn reset(&mut self) {
        self.next = self.min;
    }
    fn step(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // ±20 % from the clock's nanoseconds: reconnecting reports do not all knock at once.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let factor = 0.8 + 0.4 * f64::from(nanos % 1000) / 1000.0;
        base.mul_f64(factor).min(self.max)
    }
}

/// The report's state: counts from the last area query.
pub struct Report {
    pub api: Api,
    pub out: Output,
    pub cfg: Config,
    pub region: String,
    area: Value,
    events: u64,
    last: Option<Counts>,
    stdin_open: bool,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

enum Ended {
    Quit,
    Dropped(String),
}

impl Report {
    pub fn new(api: Api, out: Output, cfg: Config, region: String) -> Report {
        Report { api, out, cfg, region, area: Value::Null, events: 0, last: None, stdin_open: true }
    }

    fn counts(&self) -> Counts {
        let a = &self.area;
        let s = |k: &str| a[k].as_str().unwrap_or("0").to_string();
        let mut units = std::collections::BTreeMap::new();
        for (k, _) in crate::output::STATUSES {
            units.insert(k.to_string(), 0);
        }
        for row in a["unitsByStatus"].as_array().into_iter().flatten() {
            if let Some(st) = row["status"].as_str() {
                units.insert(st.to_string(), row["count"].as_i64().unwrap_or(0));
            }
        }
        Counts {
            season: self.cfg.season,
            region: self.region.clone(),
            units,
            // Every card printed this season, whatever it has become since.
            cards_printed: ["printed", "exported", "processing", "finished"]
                .iter()
                .map(|k| a["cards"][*k].as_i64().unwrap_or(0) as usize)
                .sum(),
            cards_finished: a["cards"]["finished"].as_i64().unwrap_or(0) as usize,
            bales_linked: a["balesLinked"].as_i64().unwrap_or(0),
            delivered_seed_kg: s("deliveredSeedKg"),
            carded_seed_kg: s("cardedSeedKg"),
            lint_kg: s("lintKg"),
            premium_kg: s("premiumKg"),
            premium_rate_pct: s("premiumRatePct"),
        }
    }

    async fn read_area(&mut self) -> Result<(), ApiError> {
        let d = self.api.query(AREA, json!({ "s": self.cfg.season })).await?;
        self.area = d["areaReport"].clone();
        Ok(())
    }

    /// Re-reads everything (the area's counts, card counts included).
    async fn resync(&mut self) -> Result<(), ApiError> {
        self.read_area().await
    }

    /// Prints the counts; `only_if_changed` skips an unchanged print.
    fn emit(&mut self, reason: Reason, only_if_changed: bool) {
        let c = self.counts();
        if only_if_changed && self.last.as_ref() == Some(&c) {
            return;
        }
        self.out.counts(&c, reason, self.events);
        self.last = Some(c);
    }

    /// Applies a batch of events: the counts are re-read from `areaReport`
    /// (one query for the whole batch), so nothing is inferred from the events.
    async fn apply_batch(&mut self, batch: Vec<Value>) -> Result<(), ApiError> {
        self.events += batch.len() as u64;
        self.read_area().await
    }

    async fn xlsx(&self, path: Option<PathBuf>) {
        match write_xlsx(&self.api, self.cfg.season, path.as_deref(), &self.cfg.xlsx_dir).await {
            Ok((p, n)) => self.out.xlsx(&p.display().to_string(), n),
            Err(e) => self.out.error(&format!("导出统计表失败：{e}")),
        }
    }

    /// Opens the socket, sends `connection_init` with the token and waits for the ack,
    /// then subscribes.
    async fn connect(&self) -> Result<Ws, String> {
        // A cheap authenticated query first: it renews an expired token, and
        // tells an unreachable server apart from a refused socket.
        self.api.query("{ me { id } }", json!({})).await.map_err(|e| e.to_string())?;
        let token = self.api.access_token().await.unwrap_or_default();
        let url = self.api.ws_url();
        let mut req = url.as_str().into_client_request().map_err(|e| format!("{url}: {e}"))?;
        req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header value"));
        let (mut ws, _) = timeout(HANDSHAKE, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| "WebSocket 连接超时".to_string())?
            .map_err(|e| format!("WebSocket 连接失败：{e}"))?;
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
        ws.send(Message::text(init.to_string())).await.map_err(|e| e.to_string())?;
        let deadline = Instant::now() + HANDSHAKE;
        loop {
            let msg = timeout(deadline.saturating_duration_since(Instant::now()), ws.next())
                .await
                .map_err(|_| "等待 connection_ack 超时".to_string())?;
            let text = match msg {
                Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                Some(Ok(Message::Close(f))) => return Err(format!("服务器关闭了连接：{f:?}")),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("连接已关闭".into()),
            };
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            match v["type"].as_str() {
                Some("connection_ack") => break,
                Some("ping") => {
                    let _ = ws.send(Message::text(json!({ "type": "pong" }).to_string())).await;
                }
                Some("connection_error") | Some("error") => return Err(format!("服务器拒绝连接：{}", v["payload"])),
                _ => {}
            }
        }
        let sub = json!({ "type": "subscribe", "id": "events", "payload": { "query": SUBSCRIPTION, "variables": { "t": TOPICS } } });
        ws.send(Message::text(sub.to_string())).await.map_err(|e| e.to_string())?;
        Ok(ws)
    }

    /// Runs one connected session until the connection drops or `q`.
    async fn session(&mut self, mut ws: Ws, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
        let mut batch: Vec<Value> = Vec::new();
        let mut batch_deadline = Instant::now();
        let mut last_rx = Instant::now();
        let mut keepalive = tokio::time::interval_at(Instant::now() + KEEPALIVE, KEEPALIVE);
        let poll_every = self.cfg.poll.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let mut poll = tokio::time::interval_at(Instant::now() + poll_every, poll_every);
        loop {
            tokio::select! {
                msg = ws.next() => {
                    last_rx = Instant::now();
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                        Some(Ok(Message::Close(f))) => return Ended::Dropped(format!("服务器关闭了连接 {f:?}")),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Ended::Dropped(e.to_string()),
                        None => return Ended::Dropped("连接已关闭".into()),
                    };
                    let v: Value = serde_json::from_str(&text).unwrap_or_default();
                    match v["type"].as_str() {
                        Some("next") => {
                            let ev = &v["payload"]["data"]["events"];
                            if !ev.is_null() {
                                if batch.is_empty() {
                                    batch_deadline = Instant::now() + BATCH_WINDOW;
                                }
                                batch.push(ev.clone());
                            } else if let Some(errs) = v["payload"].get("errors") {
                                return self.subscription_error(errs).await;
                            }
                        }
                        Some("error") => return self.subscription_error(&v["payload"]).await,
                        Some("complete") => return Ended::Dropped("服务器结束了订阅".into()),
                        Some("ping") => {
                            let _ = ws.send(Message::text(json!({ "type": "pong" }).to_string())).await;
                        }
                        _ => {}
                    }
                }
                _ = sleep_until(batch_deadline), if !batch.is_empty() => {
                    let events = std::mem::take(&mut batch);
                    if let Err(e) = self.apply_batch(events).await {
                        return Ended::Dropped(format!("同步失败：{e}"));
                    }
                    self.emit(Reason::Events, false);
                }
                _ = poll.tick() => {
                    if let Err(e) = self.resync().await {
                        return Ended::Dropped(format!("同步失败：{e}"));
                    }
                    self.emit(Reason::Poll, true);
                }
                _ = keepalive.tick() => {
                    if last_rx.elapsed() > KEEPALIVE * 3 {
                        return Ended::Dropped("长时间未收到服务器消息".into());
                    }
                    if ws.send(Message::text(json!({ "type": "ping" }).to_string())).await.is_err() {
                        return Ended::Dropped("发送心跳失败".into());
                    }
                }
                cmd = cmds.recv(), if self.stdin_open => match cmd {
                    Some(Command::Quit) => {
                        let _ = ws.close(None).await;
                        return Ended::Quit;
                    }
                    Some(Command::Xlsx(path)) => self.xlsx(path).await,
                    Some(Command::Resync) => {
                        if let Err(e) = self.resync().await {
                            return Ended::Dropped(format!("同步失败：{e}"));
                        }
                        self.emit(Reason::Manual, false);
                    }
                    // Standard input closed: keep running without it.
                    None => self.stdin_open = false,
                },
            }
        }
    }

    async fn subscription_error(&self, payload: &Value) -> Ended {
        let text = payload.to_string();
        if text.contains("UNAUTHENTICATED") {
            // An expired token: the next connection signs in again.
            let _ = self.api.reauthenticate().await;
        }
        Ended::Dropped(format!("订阅出错：{text}"))
    }

    /// Runs until `q` on standard input (returns) or a fatal sign-in error.
    pub async fn run(&mut self, mut cmds: mpsc::UnboundedReceiver<Command>) -> Result<(), ApiError> {
        let mut backoff = Backoff::new(self.cfg.min_backoff, self.cfg.max_backoff);
        let mut first = true;
        loop {
            let attempt = async {
                let ws = self.connect().await?;
                // Subscribed first, then read: whatever happens from now on is
                // either in the read or arrives as an event.
                self.resync().await.map_err(|e| e.to_string())?;
                Ok::<Ws, String>(ws)
            };
            let why = match attempt.await {
                Ok(ws) => {
                    backoff.reset();
                    self.out.connected();
                    self.emit(if first { Reason::Start } else { Reason::Reconnect }, false);
                    first = false;
                    match self.session(ws, &mut cmds).await {
                        Ended::Quit => return Ok(()),
                        Ended::Dropped(why) => why,
                    }
                }
                Err(why) => why,
            };
            let wait = backoff.step();
            self.out.disconnected(&why, wait.as_secs_f64());
            let until = Instant::now() + wait;
            loop {
                tokio::select! {
                    _ = sleep_until(until) => break,
                    cmd = cmds.recv(), if self.stdin_open => match cmd {
                        Some(Command::Quit) => return Ok(()),
                        Some(Command::Xlsx(path)) => self.xlsx(path).await,
                        Some(Command::Resync) => {}
                        None => self.stdin_open = false,
                    },
                }
            }
        }
    }
}

/// Waits for the server with back-off and signs in (a wrong password is fatal).
pub async fn sign_in(api: &Api, out: &Output, min: Duration, max: Duration) -> Result<crate::api::Account, ApiError> {
    let mut backoff = Backoff::new(min, max);
    loop {
        match api.login().await {
            Ok(a) => return Ok(a),
            Err(e @ ApiError::Unreachable(_)) => {
                let wait = backoff.step();
                out.disconnected(&e.to_string(), wait.as_secs_f64());
                sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}
