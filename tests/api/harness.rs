//! Test harness: a real `cotton-trace` server process per test, on SQLite or
//! PostgreSQL, plus small GraphQL / multipart / WebSocket clients.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_cotton-trace");
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PW: &str = "Admin12345";
/// Password used for every account the tests create themselves.
pub const PW: &str = "Passw0rd1";
pub const JWT_SECRET: &str = "test-secret-please-change";
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every receive on a WebSocket and every wait for an event is bounded by this.
pub const WS_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes each test once as `async fn name(backend: Backend)`; expands into a
/// module `name` holding `#[tokio::test] sqlite()` and `postgres()`, so the
/// test names are `<file>::name::sqlite` and `<file>::name::postgres`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                if !$crate::harness::pg_available().await {
                    return;
                }
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )+};
}

// ---------------------------------------------------------------- options

/// Extra environment and arguments for `cotton-trace serve`.
#[derive(Clone, Debug)]
pub struct Opts {
    /// Pass `--dev` (default true).
    pub dev: bool,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts { dev: true, args: Vec::new(), env: Vec::new() }
    }
}

impl Opts {
    /// `serve` without `--dev` (and without `--demo`).
    pub fn production() -> Self {
        Opts { dev: false, ..Opts::default() }
    }
    /// `serve --demo` (instead of `--dev`).
    pub fn demo() -> Self {
        Opts { dev: false, args: vec!["--demo".into()], env: Vec::new() }
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.into());
        self
    }
}

// ---------------------------------------------------------------- databases

fn pg_base() -> String {
    std::env::var("COTTON_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

fn is_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// True when PostgreSQL is reachable. When it is not: panics under `CI=true`,
/// otherwise prints `skipping postgres: ...` and returns false.
pub async fn pg_available() -> bool {
    let base = pg_base();
    let res = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_postgres::connect(&base, tokio_postgres::NoTls),
    )
    .await;
    let err = match res {
        Ok(Ok((client, conn))) => {
            drop(client);
            drop(conn);
            return true;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "connection timed out".to_string(),
    };
    if is_ci() {
        panic!("PostgreSQL at {base} is unreachable ({err}) and CI=true: start PostgreSQL or set COTTON_TEST_PG");
    }
    eprintln!("skipping postgres: {base} unreachable: {err}");
    false
}

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database (and a scratch directory) shared by all server processes of a test.
/// Dropped after every server using it is gone.
struct Db {
    url: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl Db {
    async fn create(backend: Backend) -> Db {
        let dir = tempfile::Builder::new().prefix("cotton-test-").tempdir().expect("tempdir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("cotton.db").display());
                Db { url, dir, pg_name: None }
            }
            Backend::Postgres => {
                let base = pg_base();
                let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {base}: {e}"));
                let conn_task = tokio::spawn(conn);
                let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
                let name = format!(
                    "ct_{}_{}_{}",
                    std::process::id(),
                    DB_COUNTER.fetch_add(1, Ordering::SeqCst),
                    nanos
                );
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                drop(client);
                let _ = conn_task.await;
                let prefix = base.split('?').next().unwrap();
                let (prefix, _) = prefix.rsplit_once('/').expect("COTTON_TEST_PG must end with /<db>");
                let url = format!("{prefix}/{name}");
                Db { url, dir, pg_name: Some(name) }
            }
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        let base = pg_base();
        // Drop runs inside the test's runtime: use a fresh thread + runtime.
        let _ = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(_) => return,
            };
            rt.block_on(async move {
                if let Ok((client, conn)) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await {
                    let task = tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    drop(client);
                    let _ = task.await;
                }
            });
        })
        .join();
    }
}

// ---------------------------------------------------------------- server

pub struct TestServer {
    pub backend: Backend,
    pub base: String,
    pub port: u16,
    child: Child,
    stderr_path: PathBuf,
    db: Arc<Db>,
    pub http: reqwest::Client,
}

static SERVER_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().unwrap().port()
}

fn base_command(db: &Db) -> Command {
    let mut cmd = Command::new(SERVER_BIN);
    cmd.env("DATABASE_URL", &db.url)
        .env("COTTON_DATA_DIR", db.dir.path())
        .env("COTTON_JWT_SECRET", JWT_SECRET)
        .stdin(Stdio::null());
    cmd
}

impl TestServer {
    /// A fresh database, `admin create`, then `serve`.
    pub async fn start(backend: Backend, opts: Opts) -> TestServer {
        let db = Arc::new(Db::create(backend).await);
        Self::start_on(backend, db, opts).await
    }

    /// `admin create` + `serve` on a database the test owns (e.g. a private
    /// PostgreSQL cluster); the harness creates and drops nothing there.
    pub async fn start_on_url(backend: Backend, url: &str, opts: Opts) -> TestServer {
        let dir = tempfile::Builder::new().prefix("cotton-test-").tempdir().expect("tempdir");
        let db = Arc::new(Db { url: url.to_string(), dir, pg_name: None });
        Self::start_on(backend, db, opts).await
    }

    async fn start_on(backend: Backend, db: Arc<Db>, opts: Opts) -> TestServer {
        let out = base_command(&db)
            .args(["admin", "create", "--username", ADMIN_USER, "--password", ADMIN_PW])
            .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run cotton-trace admin create");
        assert!(
            out.status.success(),
            "`cotton-trace admin create` failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Self::serve(backend, db, &opts).await
    }

    /// kill -9 (SIGKILL) of the server process, reaped; the database stays for
    /// [`TestServer::another_on_same_db_with`].
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The database URL the server runs on.
    /// The server process's memory from /proc: (resident now, peak resident), in kB.
    pub fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("the server's /proc status");
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in /proc status"));
            line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a kB figure")
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// A second server process on the same database (no `admin create`).
    pub async fn another_on_same_db(&self) -> TestServer {
        self.another_on_same_db_with(Opts::default()).await
    }

    pub async fn another_on_same_db_with(&self, opts: Opts) -> TestServer {
        Self::serve(self.backend, self.db.clone(), &opts).await
    }

    async fn serve(backend: Backend, db: Arc<Db>, opts: &Opts) -> TestServer {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let n = SERVER_COUNTER.fetch_add(1, Ordering::SeqCst);
            let stdout_path = db.dir.path().join(format!("server-{n}.stdout.log"));
            let stderr_path = db.dir.path().join(format!("server-{n}.stderr.log"));
            let mut cmd = base_command(&db);
            cmd.arg("serve").arg("--listen").arg(format!("127.0.0.1:{port}"));
            if opts.dev {
                cmd.arg("--dev");
            }
            cmd.args(&opts.args)
                .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdout(File::create(&stdout_path).unwrap())
                .stderr(File::create(&stderr_path).unwrap());
            let child = cmd.spawn().expect("spawn cotton-trace serve");
            let http = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let mut srv = TestServer {
                backend,
                base: format!("http://127.0.0.1:{port}"),
                port,
                child,
                stderr_path,
                db: db.clone(),
                http,
            };
            match srv.wait_healthy().await {
                Ok(()) => return srv,
                Err(msg) => {
                    let log = srv.stderr();
                    if attempt < 3 && log.to_lowercase().contains("in use") {
                        continue; // port race with another test: try another port
                    }
                    panic!("{msg}\n--- server stderr ---\n{log}\n--- server stdout ---\n{}",
                        std::fs::read_to_string(&stdout_path).unwrap_or_default());
                }
            }
        }
    }

    async fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}/healthz", self.base);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("server exited before becoming healthy: {status}"));
            }
            if let Ok(r) = self.http.get(&url).timeout(Duration::from_secs(2)).send().await {
                if r.status().as_u16() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("server not healthy on {url} within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn data_dir(&self) -> &Path {
        self.db.dir.path()
    }

    /// Runs `cotton-trace <args>` (e.g. `audit verify`) on this server's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        base_command(&self.db).args(args).output().expect("run cotton-trace")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    // ------------------------------------------------------------ GraphQL

    /// POST /graphql; returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("POST /graphql failed: {e}"));
        Self::json_body(resp, query).await
    }

    async fn json_body(resp: reqwest::Response, what: &str) -> Value {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("non-JSON GraphQL response ({status}, {e}) for {what}:\n{text}")
        })
    }

    /// `gql` + `data`: panics (with the errors) when the operation is refused.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let resp = self.gql(token, query, variables).await;
        data_of(&resp, query)
    }

    /// `gql` + `err_code`.
    pub async fn code(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let resp = self.gql(token, query, variables).await;
        err_code(&resp)
    }

    /// GraphQL multipart request (operations, map, file part `0`) with the file
    /// bound to `variables.file`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        mut variables: Value,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Value {
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let map = json!({ "0": ["variables.file"] });
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", map.to_string())
            .part("0", part);
        let mut req = self.http.post(self.url("/graphql")).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("multipart POST failed: {e}"));
        Self::json_body(resp, query).await
    }

    pub async fn login_payload(&self, username: &str, password: &str) -> Value {
        let d = self
            .ok(None, LOGIN, json!({ "u": username, "p": password }))
            .await;
        d["login"].clone()
    }

    /// Signs in and returns the access token (panics when refused).
    pub async fn login(&self, username: &str, password: &str) -> String {
        let p = self.login_payload(username, password).await;
        p["accessToken"].as_str().expect("accessToken").to_string()
    }

    /// The code of a refused login.
    pub async fn login_err(&self, username: &str, password: &str) -> String {
        self.code(None, LOGIN, json!({ "u": username, "p": password })).await
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_USER, ADMIN_PW).await
    }

    /// All orgs (public query).
    pub async fn all_orgs(&self) -> Vec<Value> {
        let d = self.ok(None, "{ orgs { id kind code name parent { id code } } }", json!({})).await;
        d["orgs"].as_array().expect("orgs list").clone()
    }

    pub async fn orgs_of_kind(&self, kind: &str) -> Vec<Value> {
        let d = self
            .ok(
                None,
                "query($k: OrgKind) { orgs(kind: $k) { id kind code name parent { id code } } }",
                json!({ "k": kind }),
            )
            .await;
        d["orgs"].as_array().expect("orgs list").clone()
    }

    pub async fn org_by_code(&self, code: &str) -> Option<Value> {
        self.all_orgs().await.into_iter().find(|o| o["code"] == code)
    }

    /// The `me` of a token.
    pub async fn me(&self, token: &str) -> Value {
        self.ok(Some(token), ME, json!({})).await["me"].clone()
    }

    /// Creates an org as `token`, returning its id.
    pub async fn create_org(&self, token: &str, kind: &str, code: &str, name: &str, parent: Option<&str>) -> String {
        let d = self
            .ok(Some(token), CREATE_ORG, json!({ "k": kind, "c": code, "n": name, "p": parent }))
            .await;
        d["createOrg"]["id"].as_str().expect("org id").to_string()
    }

    /// Creates an account as `token`, returning its id.
    pub async fn create_account(&self, token: &str, username: &str, password: &str, role: &str, org: &str) -> String {
        let d = self
            .ok(
                Some(token),
                CREATE_ACCOUNT,
                json!({ "u": username, "p": password, "r": role, "o": org }),
            )
            .await;
        d["createAccount"]["id"].as_str().expect("account id").to_string()
    }

    /// Sends an SMS code to `phone` and reads it back through `devSmsCodes`.
    pub async fn sms_code(&self, phone: &str) -> String {
        let d = self.ok(None, SEND_SMS, json!({ "p": phone })).await;
        assert_eq!(d["sendSmsCode"], true, "sendSmsCode({phone}) should return true");
        self.latest_sms(phone).await
    }

    pub async fn latest_sms(&self, phone: &str) -> String {
        let d = self.ok(None, DEV_SMS, json!({ "p": phone })).await;
        d["devSmsCodes"][0]
            .as_str()
            .unwrap_or_else(|| panic!("devSmsCodes({phone}) returned no code: {d}"))
            .to_string()
    }

    /// Registers a group initiator (SMS code + registerInitiator); returns its token.
    pub async fn register_initiator(&self, phone: &str, org_id: &str) -> String {
        let code = self.sms_code(phone).await;
        let d = self
            .ok(
                None,
                REGISTER_INITIATOR,
                json!({ "ph": phone, "c": code, "p": PW, "n": "发起人", "o": org_id }),
            )
            .await;
        d["registerInitiator"]["accessToken"].as_str().expect("accessToken").to_string()
    }

    // ------------------------------------------------------------ WebSocket

    /// Opens `/graphql/ws` with the given sub-protocol and sends connection_init
    /// (with `{"authorization": "Bearer <token>"}` when a token is given).
    pub async fn ws(&self, proto: WsProto, token: Option<&str>) -> WsClient {
        let url = format!("ws://127.0.0.1:{}/graphql/ws", self.port);
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", proto.name().parse().unwrap());
        let (stream, _resp) = tokio::time::timeout(WS_TIMEOUT, tokio_tungstenite::connect_async(req))
            .await
            .expect("WebSocket connect timed out")
            .unwrap_or_else(|e| panic!("WebSocket connect to {url} failed: {e}"));
        let mut c = WsClient { stream, proto };
        let payload = match token {
            Some(t) => json!({ "authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        c.send(json!({ "type": "connection_init", "payload": payload })).await;
        c
    }

    /// Connects, waits for connection_ack, subscribes with id "1" and waits a
    /// moment so the server has registered the stream.
    pub async fn subscribe(&self, proto: WsProto, token: &str, query: &str, variables: Value) -> WsClient {
        let mut c = self.ws(proto, Some(token)).await;
        match c.recv().await {
            WsMsg::Ack => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
        c.start("1", query, variables).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- WebSocket client

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsProto {
    /// `graphql-transport-ws` (subscribe / next)
    TransportWs,
    /// legacy `graphql-ws` (start / data)
    LegacyWs,
}

impl WsProto {
    pub fn name(self) -> &'static str {
        match self {
            WsProto::TransportWs => "graphql-transport-ws",
            WsProto::LegacyWs => "graphql-ws",
        }
    }
}

#[derive(Debug)]
pub enum WsMsg {
    Ack,
    /// `next` / `data` payload (`{"data": ..., "errors": ...}`).
    Next(Value),
    /// `error` / `connection_error` payload.
    Error(Value),
    Complete,
    Closed(String),
    Timeout,
}

pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    pub proto: WsProto,
}

impl WsClient {
    pub async fn send(&mut self, v: Value) {
        let _ = self.stream.send(Message::text(v.to_string())).await;
    }

    /// `subscribe` (transport-ws) or `start` (legacy).
    pub async fn start(&mut self, id: &str, query: &str, variables: Value) {
        let ty = match self.proto {
            WsProto::TransportWs => "subscribe",
            WsProto::LegacyWs => "start",
        };
        self.send(json!({ "type": ty, "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// Next protocol message, answering pings and skipping keep-alives; at most
    /// `WS_TIMEOUT` in total.
    pub async fn recv(&mut self) -> WsMsg {
        self.recv_within(WS_TIMEOUT).await
    }

    pub async fn recv_within(&mut self, within: Duration) -> WsMsg {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return WsMsg::Timeout,
                Ok(None) => return WsMsg::Closed("stream ended".into()),
                Ok(Some(Err(e))) => return WsMsg::Closed(format!("error: {e}")),
                Ok(Some(Ok(m))) => m,
            };
            let text = match msg {
                Message::Text(t) => t.as_str().to_string(),
                Message::Close(f) => return WsMsg::Closed(format!("close frame: {f:?}")),
                _ => continue,
            };
            let v: Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(_) => panic!("non-JSON WebSocket message: {text}"),
            };
            match v["type"].as_str().unwrap_or("") {
                "connection_ack" => return WsMsg::Ack,
                "ka" | "pong" => continue,
                "ping" => {
                    self.send(json!({ "type": "pong" })).await;
                    continue;
                }
                "next" | "data" => return WsMsg::Next(v["payload"].clone()),
                "error" | "connection_error" => return WsMsg::Error(v["payload"].clone()),
                "complete" => return WsMsg::Complete,
                _ => continue,
            }
        }
    }

    /// The next `events` payload; panics on anything else or after 10 s.
    pub async fn next_event(&mut self) -> Value {
        match self.recv().await {
            WsMsg::Next(p) => {
                if let Some(errs) = p.get("errors").filter(|e| !e.is_null()) {
                    panic!("subscription yielded errors instead of an event: {errs}");
                }
                p["data"]["events"].clone()
            }
            other => panic!("expected an event within {WS_TIMEOUT:?}, got {other:?}"),
        }
    }

    /// Reads for `within`; returns the first delivered event (a `next`/`data`
    /// whose `data.events` is non-null) if any. Errors, closes and timeouts are None.
    pub async fn any_event_within(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.recv_within(left).await {
                WsMsg::Next(p) => {
                    let ev = &p["data"]["events"];
                    if !ev.is_null() {
                        return Some(ev.clone());
                    }
                }
                WsMsg::Closed(_) | WsMsg::Timeout => return None,
                _ => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

// ---------------------------------------------------------------- response helpers

/// `data` of a response; panics with the errors when there are any.
pub fn data(resp: &Value) -> Value {
    data_of(resp, "")
}

fn data_of(resp: &Value, query: &str) -> Value {
    if let Some(errs) = resp.get("errors").filter(|e| !e.is_null()) {
        panic!("unexpected GraphQL errors: {errs}\nquery: {query}");
    }
    resp.get("data").cloned().unwrap_or_else(|| panic!("response without data: {resp}"))
}

pub fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
    })
}

/// `errors[0].extensions.code`; also asserts the message is Chinese.
pub fn err_code(resp: &Value) -> String {
    let e = &resp["errors"][0];
    assert!(!e.is_null(), "expected a GraphQL error, got: {resp}");
    let msg = e["message"].as_str().unwrap_or("");
    assert!(has_cjk(msg), "error message should be Chinese, got {msg:?} in {resp}");
    e["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("error without extensions.code: {resp}"))
        .to_string()
}

/// A Decimal from a JSON string (or number).
pub fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|e| panic!("not a Decimal {s:?}: {e}")),
        Value::Number(n) => n.to_string().parse().unwrap_or_else(|e| panic!("not a Decimal {n}: {e}")),
        other => panic!("expected a Decimal, got {other}"),
    }
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_string()
}

// ---------------------------------------------------------------- operations

pub const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresAt account { id username role org { id kind code } } } }";
pub const REFRESH: &str = "mutation($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken expiresAt account { username role } } }";
pub const ME: &str = "{ me { id username role phone displayName org { id kind code name parent { id } } } }";
pub const CREATE_ORG: &str = "mutation($k: OrgKind!, $c: String!, $n: String!, $p: ID) { createOrg(kind: $k, code: $c, name: $n, parentId: $p) { id kind code name parent { id kind code } } }";
pub const CREATE_ACCOUNT: &str = "mutation($u: String!, $p: String!, $r: Role!, $o: ID!) { createAccount(username: $u, password: $p, role: $r, orgId: $o) { id username role org { id kind code } } }";
pub const SEND_SMS: &str = "mutation($p: String!) { sendSmsCode(phone: $p) }";
pub const DEV_SMS: &str = "query($p: String!) { devSmsCodes(phone: $p) }";
pub const REGISTER_INITIATOR: &str = "mutation($ph: String!, $c: String!, $p: String!, $n: String!, $o: ID!) { registerInitiator(phone: $ph, code: $c, password: $p, name: $n, orgId: $o) { accessToken refreshToken expiresAt account { id username role phone org { id kind code } } } }";
pub const REGISTER_ENTERPRISE: &str = "mutation($c: String!, $n: String!, $r: ID!, $p: String!, $ph: String!) { registerEnterprise(enterpriseCode: $c, name: $n, regimentId: $r, password: $p, phone: $ph) { accessToken refreshToken expiresAt account { id username role org { id kind code name parent { id } } } } }";

// ---------------------------------------------------------------- fixtures

/// A small org tree with one account per kind:
///
/// ```text
/// BT (CORPS) ─ D8 (DIVISION) ─ R121 (REGIMENT A) ─ R121-01 (COMPANY A1), E65121 (ENTERPRISE)
///                            └ R122 (REGIMENT B) ─ R122-01 (COMPANY B1)
/// ```
/// accounts (password `PW`): tuan_a, tuan_b (REGIMENT), lian_a1, lian_b1 (COMPANY), qy_a (ENTERPRISE)
pub struct Tree {
    pub admin: String,
    pub corps: String,
    pub division: String,
    pub regiment_a: String,
    pub regiment_b: String,
    pub company_a1: String,
    pub company_b1: String,
    pub enterprise_a: String,
    pub tuan_a: String,
    pub tuan_b: String,
    pub lian_a1: String,
    pub lian_b1: String,
    pub qy_a: String,
}

pub const REGIMENT_A_CODE: &str = "R121";
pub const REGIMENT_B_CODE: &str = "R122";
pub const COMPANY_A1_CODE: &str = "R121-01";
pub const COMPANY_B1_CODE: &str = "R122-01";

pub async fn setup_tree(srv: &TestServer) -> Tree {
    let admin = srv.admin_token().await;
    let a = admin.as_str();
    let corps = srv.create_org(a, "CORPS", "BT", "新疆生产建设兵团", None).await;
    let division = srv.create_org(a, "DIVISION", "D8", "第八师", Some(&corps)).await;
    let regiment_a = srv.create_org(a, "REGIMENT", REGIMENT_A_CODE, "一二一团", Some(&division)).await;
    let regiment_b = srv.create_org(a, "REGIMENT", REGIMENT_B_CODE, "一二二团", Some(&division)).await;
    let company_a1 = srv.create_org(a, "COMPANY", COMPANY_A1_CODE, "一二一团一连", Some(&regiment_a)).await;
    let company_b1 = srv.create_org(a, "COMPANY", COMPANY_B1_CODE, "一二二团一连", Some(&regiment_b)).await;
    let enterprise_a = srv.create_org(a, "ENTERPRISE", "E65121", "一二一团棉业", Some(&regiment_a)).await;
    srv.create_account(a, "tuan_a", PW, "REGIMENT", &regiment_a).await;
    srv.create_account(a, "tuan_b", PW, "REGIMENT", &regiment_b).await;
    srv.create_account(a, "lian_a1", PW, "COMPANY", &company_a1).await;
    srv.create_account(a, "lian_b1", PW, "COMPANY", &company_b1).await;
    srv.create_account(a, "qy_a", PW, "ENTERPRISE", &enterprise_a).await;
    Tree {
        tuan_a: srv.login("tuan_a", PW).await,
        tuan_b: srv.login("tuan_b", PW).await,
        lian_a1: srv.login("lian_a1", PW).await,
        lian_b1: srv.login("lian_b1", PW).await,
        qy_a: srv.login("qy_a", PW).await,
        admin,
        corps,
        division,
        regiment_a,
        regiment_b,
        company_a1,
        company_b1,
        enterprise_a,
    }
}
