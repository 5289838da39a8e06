//! The live loop: subscribe over `graphql-transport-ws` (the `graphql-ws-client`
//! crate, typed operations from `ops`), keep the counts in step with the events,
//! read the counts from queries on start, after each event batch and
//! periodically, and reconnect with back-off. A reconnect passes the cursor of
//! the last event received (`events(after:)`): the server replays what was
//! missed, so nothing is re-read unless something changed (or the server says
//! RESYNC: its retention no longer holds what was missed).

use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use graphql_ws_client::graphql::StreamingOperation;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::api::{Api, ApiError};
use crate::ops::{self, AreaReport, AreaReportXlsx, Events, area_report, area_report_xlsx, events};
use crate::output::{Counts, Output, Reason};

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
    let d = api
        .run::<AreaReportXlsx>(area_report_xlsx::Variables { season: i64::from(season) })
        .await
        .map_err(|e| e.to_string())?;
    let file = d.area_report_xlsx;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&file.base64)
        .map_err(|e| format!("统计表内容无法解码：{e}"))?;
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => dir.join(file.file_name.replace(['/', '\\'], "_")),
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
    area: Option<area_report::AreaReportAreaReport>,
    events: u64,
    /// The cursor of the last event received (replayed from on reconnect).
    cursor: Option<String>,
    last: Option<Counts>,
    stdin_open: bool,
}

/// What the socket last said, seen on its way into the client: why a
/// connection ended, and when anything last arrived.
struct Wire {
    last_rx: Instant,
    ended: Option<String>,
}

/// One connected session: the client (to close it), the events subscription and
/// the connection's actor, running as its own task (it answers the server's
/// pings and sends keep-alives even while the report is busy querying).
struct Live {
    client: Option<graphql_ws_client::Client>,
    events: graphql_ws_client::Subscription<StreamingOperation<Events>>,
    actor: tokio::task::JoinHandle<()>,
    wire: Arc<Mutex<Wire>>,
}

impl Live {
    /// Why the events stream ended.
    fn why_ended(&self) -> String {
        let w = self.wire.lock().expect("wire");
        if let Some(why) = &w.ended {
            return why.clone();
        }
        if w.last_rx.elapsed() >= KEEPALIVE * 3 {
            return "长时间未收到服务器消息".into();
        }
        "连接已关闭".into()
    }

    /// Closes the connection properly (1000) and lets the actor send the frame.
    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close(1000, "退出").await;
        }
        let _ = timeout(Duration::from_secs(1), &mut self.actor).await;
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.actor.abort();
    }
}

/// The `connection_init` payload: the contract's authorization.
#[derive(serde::Serialize)]
struct InitPayload {
    authorization: String,
}

/// The text of a refused subscription's errors, with their codes.
fn errors_text(errors: &[graphql_client::Error]) -> String {
    errors
        .iter()
        .map(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code")).and_then(|c| c.as_str()).unwrap_or("ERROR");
            format!("{}（{code}）", e.message)
        })
        .collect::<Vec<_>>()
        .join("；")
}

enum Ended {
    Quit,
    Dropped(String),
}

impl Report {
    pub fn new(api: Api, out: Output, cfg: Config, region: String) -> Report {
        Report { api, out, cfg, region, area: None, events: 0, cursor: None, last: None, stdin_open: true }
    }

    fn counts(&self) -> Counts {
        let mut units = std::collections::BTreeMap::new();
        for (k, _) in crate::output::STATUSES {
            units.insert(k.to_string(), 0);
        }
        let Some(a) = &self.area else {
            let zero = || "0".to_string();
            return Counts {
                season: self.cfg.season,
                region: self.region.clone(),
                units,
                delivered_seed_kg: zero(),
                carded_seed_kg: zero(),
                lint_kg: zero(),
                premium_kg: zero(),
                premium_rate_pct: zero(),
                ..Counts::default()
            };
        };
        for row in &a.units_by_status {
            // The enum as the schema spells it (a status newer than the report keeps its name).
            let status = match serde_json::to_value(&row.status) {
                Ok(serde_json::Value::String(s)) => s,
                _ => continue,
            };
            units.insert(status, row.count);
        }
        let c = &a.cards;
        Counts {
            season: self.cfg.season,
            region: self.region.clone(),
            units,
            // Every card printed this season, whatever it has become since.
            cards_printed: (c.printed + c.exported + c.processing + c.finished) as usize,
            cards_finished: c.finished as usize,
            bales_linked: a.bales_linked,
            delivered_seed_kg: a.delivered_seed_kg.clone(),
            carded_seed_kg: a.carded_seed_kg.clone(),
            lint_kg: a.lint_kg.clone(),
            premium_kg: a.premium_kg.clone(),
            premium_rate_pct: a.premium_rate_pct.clone(),
        }
    }

    async fn read_area(&mut self) -> Result<(), ApiError> {
        let d = self.api.run::<AreaReport>(area_report::Variables { season: i64::from(self.cfg.season) }).await?;
        self.area = Some(d.area_report);
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
    async fn apply_batch(&mut self, batch: Vec<events::ResponseData>) -> Result<(), ApiError> {
        self.events += batch.len() as u64;
        self.read_area().await
    }

    async fn xlsx(&self, path: Option<PathBuf>) {
        match write_xlsx(&self.api, self.cfg.season, path.as_deref(), &self.cfg.xlsx_dir).await {
            Ok((p, n)) => self.out.xlsx(&p.display().to_string(), n),
            Err(e) => self.out.error(&format!("导出统计表失败：{e}")),
        }
    }

    /// Opens the socket, sends `connection_init` with the token and waits for the
    /// ack, then subscribes to the events.
    async fn connect(&self) -> Result<Live, String> {
        // A cheap authenticated query first: it renews an expired token, and
        // tells an unreachable server apart from a refused socket.
        self.api.query("{ me { id } }", json!({})).await.map_err(|e| e.to_string())?;
        let token = self.api.access_token().await.unwrap_or_default();
        let url = self.api.ws_url();
        let mut req = url.as_str().into_client_request().map_err(|e| format!("{url}: {e}"))?;
        req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header value"));
        let (ws, _) = timeout(HANDSHAKE, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| "WebSocket 连接超时".to_string())?
            .map_err(|e| format!("WebSocket 连接失败：{e}"))?;
        let wire = Arc::new(Mutex::new(Wire { last_rx: Instant::now(), ended: None }));
        let seen = wire.clone();
        let ws = ws.inspect(move |m| {
            let mut w = seen.lock().expect("wire");
            w.last_rx = Instant::now();
            match m {
                Ok(Message::Close(f)) => w.ended = Some(format!("服务器关闭了连接 {f:?}")),
                Err(e) => w.ended = Some(e.to_string()),
                Ok(_) => {}
            }
        });
        let refused = |e: graphql_ws_client::Error| match e {
            graphql_ws_client::Error::Close(code, reason) => format!("服务器拒绝连接：{reason}（{code}）"),
            other => format!("WebSocket 握手失败：{other}"),
        };
        // Keep-alive: a ping after 15 s of silence, another after 30 s, and the
        // connection counts as dropped when 45 s passed without any message.
        let builder = graphql_ws_client::Client::build(ws)
            .payload(InitPayload { authorization: format!("Bearer {token}") })
            .map_err(refused)?
            .keep_alive_interval(KEEPALIVE)
            .keep_alive_retries(0);
        let (client, actor) = timeout(HANDSHAKE, builder.build())
            .await
            .map_err(|_| "等待 connection_ack 超时".to_string())?
            .map_err(refused)?;
        let actor = tokio::spawn(actor.into_future());
        let op = StreamingOperation::<Events>::new(events::Variables { topics: Some(ops::all_topics()), after: self.cursor.clone() });
        let events = match timeout(HANDSHAKE, client.subscribe(op)).await {
            Ok(Ok(events)) => events,
            Ok(Err(e)) => {
                actor.abort();
                return Err(format!("订阅失败：{e}"));
            }
            Err(_) => {
                actor.abort();
                return Err("订阅超时".into());
            }
        };
        Ok(Live { client: Some(client), events, actor, wire })
    }

    /// Runs one connected session until the connection drops or `q`.
    async fn session(&mut self, mut live: Live, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
        let mut batch: Vec<events::ResponseData> = Vec::new();
        let mut batch_deadline = Instant::now();
        let poll_every = self.cfg.poll.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let mut poll = tokio::time::interval_at(Instant::now() + poll_every, poll_every);
        loop {
            tokio::select! {
                item = live.events.next() => match item {
                    Some(Ok(resp)) => {
                        if let Some(errors) = resp.errors.filter(|e| !e.is_empty()) {
                            return self.subscription_error(&errors).await;
                        }
                        if let Some(ev) = resp.data {
                            self.cursor = Some(ev.events.cursor.clone());
                            if batch.is_empty() {
                                batch_deadline = Instant::now() + BATCH_WINDOW;
                            }
                            batch.push(ev);
                        }
                    }
                    Some(Err(e)) => return Ended::Dropped(format!("订阅出错：{e}")),
                    // The server completed the subscription, closed the socket,
                    // the network failed, or the keep-alive gave up.
                    None => return Ended::Dropped(live.why_ended()),
                },
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
                cmd = cmds.recv(), if self.stdin_open => match cmd {
                    Some(Command::Quit) => {
                        live.close().await;
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

    async fn subscription_error(&self, errors: &[graphql_client::Error]) -> Ended {
        let text = errors_text(errors);
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
                let live = self.connect().await?;
                // Subscribed first, then read: whatever happens from now on is
                // either in the read or arrives as an event. After a reconnect
                // with a cursor the replay brings what was missed instead.
                if self.cursor.is_none() || self.area.is_none() {
                    self.resync().await.map_err(|e| e.to_string())?;
                }
                Ok::<Live, String>(live)
            };
            let why = match attempt.await {
                Ok(live) => {
                    backoff.reset();
                    self.out.connected();
                    self.emit(if first { Reason::Start } else { Reason::Reconnect }, false);
                    first = false;
                    match self.session(live, &mut cmds).await {
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
