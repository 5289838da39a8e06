//! Shared by the clients' tests (`clients/report/tests`, and by path
//! `clients/farmer-h5/tests`): a real `cotton-trace` server process on SQLite
//! with the demo data, restartable on the same database, plus the public-API
//! calls the tests make as the admin, a company, a regiment and an enterprise.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const SEASON: i32 = 2026;
pub const DEMO_PW: &str = "Cotton@2026";
pub const ADMIN_PW: &str = "Admin@2026";
pub const JWT_SECRET: &str = "clients-test-secret";

/// The workspace root (the folder holding `Cargo.lock` above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file() && d.join("server").is_dir())
        .expect("the workspace root above CARGO_MANIFEST_DIR")
        .to_path_buf()
}

/// (target folder, profile folder) of the running test executable.
pub fn target_dirs() -> (PathBuf, PathBuf) {
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().expect("exe folder").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("profile folder").to_path_buf();
    }
    (dir.parent().expect("target folder").to_path_buf(), dir)
}

pub struct Built {
    pub server: PathBuf,
    /// A folder with (links to) the project's driver plugins.
    pub plugins: PathBuf,
}

/// The driver plugins, built as one set — the same set the server's API tests
/// build, so either build finds the other's output up to date.
const PLUGIN_PACKAGES: [&str; 6] = [
    "cotton-printer-pdf",
    "cotton-printer-zpl",
    "cotton-printer-tspl",
    "cotton-collector-iv",
    "cotton-collector-v",
    "cotton-collector-vi",
];

/// Runs `cargo build --quiet -j2` of `packages` into the running test's target
/// folder and profile.
fn cargo_build(packages: &[&str]) {
    let (target, profile) = target_dirs();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).args(["build", "--quiet", "-j2", "--target-dir"]).arg(&target);
    match profile.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.arg("--profile").arg(other);
        }
        None => panic!("cannot tell the cargo profile of {}", profile.display()),
    }
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    cmd.env_remove("CARGO_TARGET_DIR").env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build of {packages:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The newest modification time of the files under `paths`.
fn newest(paths: &[PathBuf]) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&p) else { continue };
        if meta.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if let Ok(t) = meta.modified() {
            newest = newest.max(Some(t));
        }
    }
    newest
}

/// The server binary and the driver plugins, once per process. Under
/// `cargo test --workspace` the server binary was just built for the server's
/// own tests and is used as it is; when it is older than its sources (a test of
/// this crate run alone after a change) it is built with cargo (`-j2`).
pub fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let (_, profile) = target_dirs();
        let root = workspace_root();
        let server = profile.join("cotton-trace");
        let sources: Vec<PathBuf> = ["server/src", "server/Cargo.toml", "domain", "plugins/host", "plugins/abi", "migrations", "clients/farmer-h5/index.html", "clients/farmer-h5/app.js", "clients/farmer-h5/style.css", "Cargo.lock"]
            .iter()
            .map(|p| root.join(p))
            .collect();
        let built_at = std::fs::metadata(&server).and_then(|m| m.modified()).ok();
        if built_at.is_none() || newest(&sources) > built_at {
            cargo_build(&["cotton-trace"]);
        }
        assert!(server.is_file(), "{} was not built", server.display());
        cargo_build(&PLUGIN_PACKAGES);
        let plugins = profile.join("cotton-clients-test-plugins");
        std::fs::create_dir_all(&plugins).expect("plugins folder");
        for p in PLUGIN_PACKAGES {
            let lib = format!("lib{}.so", p.replace('-', "_"));
            let src = profile.join(&lib);
            assert!(src.is_file(), "{} was not built", src.display());
            let tmp = plugins.join(format!(".{lib}.{}", std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            std::os::unix::fs::symlink(&src, &tmp).expect("symlink a plugin");
            std::fs::rename(&tmp, plugins.join(&lib)).expect("move the plugin link into place");
        }
        Built { server, plugins }
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().unwrap().port()
}

/// A `cotton-trace serve` process on a SQLite database in its own temp folder.
pub struct Server {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    starts: usize,
    pub http: reqwest::Client,
}

impl Server {
    /// `serve --demo` on a fresh database.
    pub async fn demo() -> Server {
        let dir = tempfile::Builder::new().prefix("cotton-clients-").tempdir().expect("tempdir");
        let mut s = Server { port: free_port(), dir, child: None, starts: 0, http: reqwest::Client::new() };
        s.spawn(true).await;
        s
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_path(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("server-{n}.log"))
    }

    /// The server's log so far (all runs), for failure messages.
    pub fn logs(&self) -> String {
        (1..=self.starts)
            .map(|n| std::fs::read_to_string(self.log_path(n)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---- restart ----\n")
    }

    async fn spawn(&mut self, demo: bool) {
        let b = built();
        self.starts += 1;
        let log = std::fs::File::create(self.log_path(self.starts)).expect("log file");
        let child = Command::new(&b.server)
            .arg("serve")
            .arg(if demo { "--demo" } else { "--dev" })
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--plugins-dir")
            .arg(&b.plugins)
            .env("DATABASE_URL", format!("sqlite://{}", self.dir.path().join("cotton.db").display()))
            .env("COTTON_DATA_DIR", self.dir.path())
            .env("COTTON_JWT_SECRET", JWT_SECRET)
            .env("COTTON_LOG_FORMAT", "text")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn cotton-trace");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("cotton-trace exited at start ({status}):\n{}", self.logs());
            }
            if let Ok(r) = self.http.get(format!("{}/readyz", self.base())).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "cotton-trace did not become ready:\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the process (the database stays).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same database and port (`serve --dev`).
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "kill the server first");
        self.spawn(false).await;
    }

    // ------------------------------------------------------------ GraphQL

    pub async fn raw(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.http.post(format!("{}/graphql", self.base())).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("POST /graphql failed: {e}"));
        resp.json().await.expect("a JSON response")
    }

    /// `data`, panicking on any GraphQL error.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.raw(token, query, variables).await;
        if let Some(e) = body.get("errors").filter(|e| !e.is_null()) {
            panic!("GraphQL errors: {e}\nquery: {query}");
        }
        body["data"].clone()
    }

    /// A GraphQL multipart request with the file bound to `variables.file`.
    pub async fn upload(&self, token: &str, query: &str, file_name: &str, bytes: Vec<u8>) -> Value {
        let operations = json!({ "query": query, "variables": { "file": null } });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part("0", reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()));
        let resp = self
            .http
            .post(format!("{}/graphql", self.base()))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("multipart POST");
        let body: Value = resp.json().await.expect("a JSON response");
        if let Some(e) = body.get("errors").filter(|e| !e.is_null()) {
            panic!("GraphQL errors: {e}\nquery: {query}");
        }
        body["data"].clone()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let d = self
            .gql(None, "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }", json!({ "u": username, "p": password }))
            .await;
        d["login"]["accessToken"].as_str().expect("accessToken").to_string()
    }

    /// The newest code the dev/demo server "sent" to `phone`.
    pub async fn dev_sms_code(&self, phone: &str) -> Option<String> {
        let d = self.gql(None, "query($p: String!) { devSmsCodes(phone: $p) }", json!({ "p": phone })).await;
        d["devSmsCodes"][0].as_str().map(str::to_string)
    }

    pub async fn grower_token(&self, phone: &str) -> String {
        self.gql(None, "mutation($p: String!) { sendSmsCode(phone: $p) }", json!({ "p": phone })).await;
        let code = self.dev_sms_code(phone).await.expect("a dev SMS code");
        let d = self
            .gql(None, "mutation($p: String!, $c: String!) { growerLogin(phone: $p, code: $c) { accessToken } }", json!({ "p": phone, "c": code }))
            .await;
        d["growerLogin"]["accessToken"].as_str().expect("accessToken").to_string()
    }

    pub async fn org_id(&self, code: &str) -> String {
        let d = self.gql(None, "{ orgs { id code } }", json!({})).await;
        d["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["code"] == code)
            .unwrap_or_else(|| panic!("no org {code}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------- the demo's growers

/// ISO 7064 MOD 11-2 check character of an ID number body.
fn id_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// The ID number of demo grower `n` (company c, grower g: n = (c - 1) × 100 + g),
/// as `server/src/demo_season.rs` makes it.
pub fn demo_id_number(n: usize) -> String {
    let body = format!("650102{}{:02}{:02}{:03}", 1960 + n % 30, 1 + n % 12, 1 + n % 28, n % 1000);
    format!("{body}{}", id_check(&body))
}

/// Mobile of demo grower g of company c: 139 cc gggggg.
pub fn demo_phone(c: usize, g: usize) -> String {
    format!("139{c:02}{g:06}")
}

// ---------------------------------------------------------------- enterprise work

/// The season's plots of a grower, as the enterprise sees them: [(id, code, unit id)].
pub async fn grower_plots(srv: &Server, enterprise: &str, id_number: &str) -> Vec<(String, String, Option<String>)> {
    let d = srv
        .gql(
            Some(enterprise),
            "query($i: String!, $s: Int!) { growerTickets(idNumber: $i, season: $s) { grower { plots(season: $s) { id code traceUnit { id } } } } }",
            json!({ "i": id_number, "s": SEASON }),
        )
        .await;
    d["growerTickets"]["grower"]["plots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["code"].as_str().unwrap().to_string(), p["traceUnit"]["id"].as_str().map(str::to_string)))
        .collect()
}

/// Uploads a complete weigh ticket (weighed a minute ago) and prints its card; the card number.
pub async fn ticket_with_card(srv: &Server, enterprise: &str, ticket_no: &str, id_number: &str, plot_ids: &[String], gross: &str, tare: &str) -> String {
    let weighed = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let d = srv
        .gql(
            Some(enterprise),
            "mutation($i: TicketInput!) { uploadTicket(input: $i) { id } }",
            json!({ "i": {
                "ticketNo": ticket_no, "season": SEASON, "growerIdNumber": id_number, "plotIds": plot_ids,
                "grossKg": gross, "tareKg": tare, "moisturePct": "8.0", "lintYieldPct": "40.0", "moduleCount": 2,
                "weighedAt": weighed,
            } }),
        )
        .await;
    let ticket = d["uploadTicket"]["id"].as_str().unwrap().to_string();
    let d = srv
        .gql(
            Some(enterprise),
            "mutation($t: ID!) { printTraceCard(ticketId: $t, moduleType: ROUND_MODULE, moduleCount: 2) { card { cardNo } } }",
            json!({ "t": ticket }),
        )
        .await;
    d["printTraceCard"]["card"]["cardNo"].as_str().unwrap().to_string()
}

/// A new online (VI) production line; its id.
pub async fn vi_line(srv: &Server, enterprise: &str, name: &str) -> String {
    let d = srv
        .gql(Some(enterprise), "mutation($n: String!) { createProductionLine(name: $n, collectorModel: VI) { id } }", json!({ "n": name }))
        .await;
    d["createProductionLine"]["id"].as_str().unwrap().to_string()
}

/// Scans a card on a VI line and starts it with no delay bales.
pub async fn start_card(srv: &Server, enterprise: &str, line: &str, card_no: &str) {
    let d = srv
        .gql(Some(enterprise), "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { outcome message } }", json!({ "l": line, "c": [card_no] }))
        .await;
    assert_eq!(d["scanCards"][0]["outcome"], "NEED_DELAY", "scanning {card_no}: {d}");
    srv.gql(
        Some(enterprise),
        "mutation($l: ID!, $c: String!) { enterDelayBales(lineId: $l, cardNo: $c, count: 0) { pendingDelay } }",
        json!({ "l": line, "c": card_no }),
    )
    .await;
}

/// A bale off the press; returns (linked card number, card finished by it).
pub async fn bale(srv: &Server, enterprise: &str, line: &str, barcode: &str, net: &str) -> (Option<String>, Option<String>) {
    let d = srv
        .gql(
            Some(enterprise),
            "mutation($l: ID!, $b: String!, $n: Decimal!, $t: DateTime!) { recordBale(lineId: $l, barcode: $b, netKg: $n, moisturePct: \"7.5\", pressedAt: $t) { bale { card { cardNo } } finishedCard { cardNo } } }",
            json!({ "l": line, "b": barcode, "n": net, "t": chrono::Utc::now().to_rfc3339() }),
        )
        .await;
    let r = &d["recordBale"];
    (r["bale"]["card"]["cardNo"].as_str().map(str::to_string), r["finishedCard"]["cardNo"].as_str().map(str::to_string))
}

pub const INSPECTION_HEADER: &str = "条码,颜色级,长度,强度,马克隆值,整齐度,含杂率,回潮率,公定重量";

/// Admin: imports inspection rows (CSV lines after the header); the created count.
pub async fn import_inspections(srv: &Server, admin: &str, rows: &[String]) -> i64 {
    let csv = format!("{INSPECTION_HEADER}\n{}\n", rows.join("\n"));
    let d = srv
        .upload(admin, "mutation($file: Upload!) { importInspections(file: $file) { created failed rows { row status message } } }", "公检.csv", csv.into_bytes())
        .await;
    assert_eq!(d["importInspections"]["failed"], 0, "inspection import: {d}");
    d["importInspections"]["created"].as_i64().unwrap()
}
