//! End to end against the real platform: two `cotton-trace serve --demo`
//! servers (enterprise qts65001). On server A an IV line works offline through
//! the collector client: print a card → `exportTraceFile` → `import` → a
//! scripted shift → `export-upload` → `uploadProcessingFile` (twice: the second
//! time all duplicates). On server B the VI line is fed the same shift online
//! (`scanCards`, `enterDelayBales`, `recordBale`, `endCurrentCard`,
//! `reprocessCard`). Every card's `traceCard { status processedLintKg bales }`
//! is the same on both.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use cotton_domain::line::{PROMPT_FINISHED, PROMPT_IN_PROGRESS, PROMPT_NEED_DELAY, PROMPT_NOT_FOUND};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ENTERPRISE: (&str, &str) = ("qts65001", "Cotton@2026");
/// The demo's verification account (server/src/demo_season.rs).
const DEMO_VERIFIER: (&str, &str) = ("jiaoyan65001", "Verify2026");
const SEASON: i32 = 2026;

/// The server binary and a plugins folder with the IV, V, VI collectors and the
/// PDF printer (the demo prints its cards), built once with cargo.
fn server_build() -> &'static (PathBuf, PathBuf) {
    static BUILD: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILD.get_or_init(|| {
        let profile = Path::new(BIN).parent().unwrap().to_path_buf();
        let target = profile.parent().unwrap().to_path_buf();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf();
        let packages = ["cotton-trace", "cotton-collector-iv", "cotton-collector-v", "cotton-collector-vi", "cotton-printer-pdf"];
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(&root).args(["build", "--quiet", "-j2", "--target-dir"]).arg(&target);
        for p in packages {
            cmd.args(["-p", p]);
        }
        if profile.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        cmd.env_remove("CARGO_TARGET_DIR").env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
        let out = cmd.output().expect("cargo build");
        assert!(out.status.success(), "cargo build failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let dir = std::env::temp_dir().join(format!("cotton-collector-server-plugins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["cotton_collector_iv", "cotton_collector_v", "cotton_collector_vi", "cotton_printer_pdf"] {
            let file = format!("{}{name}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
            std::fs::copy(profile.join(&file), dir.join(&file)).unwrap();
        }
        (profile.join(format!("cotton-trace{}", std::env::consts::EXE_SUFFIX)), dir)
    })
}

struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start() -> Server {
        let (bin, plugins) = server_build();
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("cotton.db").display()))
            .env("COTTON_DATA_DIR", dir.path())
            .env("COTTON_JWT_SECRET", "collector-e2e-secret")
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--plugins-dir"])
            .arg(plugins)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("spawn cotton-trace");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().unwrap();
        let mut srv = Server { child, base: format!("http://127.0.0.1:{port}"), http, dir, token: String::new() };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(st)) = srv.child.try_wait() {
                panic!("server exited: {st}\n{}", srv.log());
            }
            if let Ok(r) = srv.http.get(format!("{}/healthz", srv.base)).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "server not healthy:\n{}", srv.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let d = srv
            .ok("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }", json!({"u": ENTERPRISE.0, "p": ENTERPRISE.1}))
            .await;
        srv.token = d["login"]["accessToken"].as_str().unwrap().to_string();
        srv
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut req = self.http.post(format!("{}/graphql", self.base)).json(&json!({"query": query, "variables": variables}));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    async fn ok(&self, query: &str, variables: Value) -> Value {
        let r = self.gql(query, variables).await;
        assert!(r.get("errors").is_none(), "{query}: {r}");
        r["data"].clone()
    }

    async fn upload(&self, query: &str, mut variables: Value, name: &str, bytes: Vec<u8>) -> Value {
        variables["file"] = Value::Null;
        let form = reqwest::multipart::Form::new()
            .text("operations", json!({"query": query, "variables": variables}).to_string())
            .text("map", json!({"0": ["variables.file"]}).to_string())
            .part("0", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        let r: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(r.get("errors").is_none(), "{query}: {r}");
        r["data"].clone()
    }

    async fn line(&self, model: &str) -> Value {
        let d = self.ok("{ productionLines { id name collectorModel lineRef deviceKey } }", json!({})).await;
        d["productionLines"].as_array().unwrap().iter().find(|l| l["collectorModel"] == model).cloned().expect("a demo line")
    }

    /// Prints the card of the demo's fourth ticket (uploaded, not yet carded).
    async fn print_fourth_card(&self) -> String {
        let body = format!("650102{}{:02}{:02}{:03}", 1960 + 4, 1 + 4, 1 + 4, 4);
        let id = format!("{body}{}", cotton_domain::identity::id_check_char(body.as_bytes().try_into().unwrap()));
        let d = self
            .ok("query($i: String!, $s: Int!) { growerTickets(idNumber: $i, season: $s) { tickets { id card { cardNo } } } }", json!({"i": id, "s": SEASON}))
            .await;
        let ticket = d["growerTickets"]["tickets"].as_array().unwrap().iter().find(|t| t["card"].is_null()).expect("an uncarded ticket").clone();
        let d = self
            .ok(
                "mutation($t: ID!) { printTraceCard(ticketId: $t, moduleType: ROUND_MODULE, moduleCount: 4) { card { cardNo } } }",
                json!({"t": ticket["id"]}),
            )
            .await;
        d["printTraceCard"]["card"]["cardNo"].as_str().unwrap().to_string()
    }

    async fn card(&self, no: &str) -> Value {
        let d = self
            .ok("query($c: String!) { traceCard(cardNo: $c) { cardNo status targetLintKg processedLintKg bales { barcode } } }", json!({"c": no}))
            .await;
        d["traceCard"].clone()
    }
}

/// One operation of the shift. Cards by index into the card list; index 9 is a
/// card number no one has.
#[derive(Debug, Clone)]
enum Step {
    Scan(Vec<usize>),
    Delay(usize, u32),
    Bale(String, &'static str, Option<&'static str>),
    End(usize),
    Reprocess(usize, &'static str),
}

fn shift(targets: &[Decimal]) -> Vec<Step> {
    let mut n = 0;
    let mut bale = |net: &'static str, m: Option<&'static str>| {
        n += 1;
        Step::Bale(format!("E2E{n:05}"), net, m)
    };
    // The line starts untraced: the first scan asks for the delay; once a bale
    // was traced, scanning the card in progress says so and the next card queues.
    let mut steps = vec![Step::Scan(vec![0]), Step::Delay(0, 1), bale("227", None), bale("227", None), Step::Scan(vec![0, 1, 9])];
    // Card 0 finishes by itself at its target (bales of 227 kg at the standard moisture).
    let k: u32 = (targets[0] / Decimal::from(227)).ceil().to_string().parse().unwrap();
    for _ in 1..k {
        steps.push(bale("227", None));
    }
    steps.extend([
        Step::Scan(vec![0]),
        bale("228.40", Some("9.1")),
        Step::End(1),
        bale("226", None),
        Step::Scan(vec![2]),
        Step::Delay(2, 0),
        bale("227.10", Some("7.6")),
        // Card 1 was ended by hand (结束): re-processable with the verification
        // account. Card 0 finished by itself: never again (the client's own test
        // and tests/api cover that refusal).
        Step::Reprocess(1, "wrong-password"),
        Step::Reprocess(1, DEMO_VERIFIER.1),
        Step::End(2),
        bale("227", None),
        Step::End(1),
        bale("227", None),
        Step::Scan(vec![3]),
        Step::Delay(3, 0),
        bale("227", None),
    ]);
    steps
}

fn script(steps: &[Step], cards: &[String], unknown: &str) -> Vec<String> {
    let no = |i: usize| if i == 9 { unknown.to_string() } else { cards[i].clone() };
    steps
        .iter()
        .map(|s| match s {
            Step::Scan(c) => c.iter().map(|&i| no(i)).collect::<Vec<_>>().join(" "),
            Step::Delay(c, n) => format!("delay {} {n}", no(*c)),
            Step::Bale(b, net, m) => format!("bale {b} {net}{}", m.map(|m| format!(" {m}")).unwrap_or_default()),
            Step::End(c) => format!("end {}", no(*c)),
            Step::Reprocess(c, pw) => format!("reprocess {} {} {pw}", no(*c), DEMO_VERIFIER.0),
        })
        .collect()
}

const STATE: &str = "queue { card { cardNo } delayBales } tracing pendingDelay";

/// Feeds the shift to a VI line online; returns the prompts the API gave.
async fn online(srv: &Server, line: &str, steps: &[Step], cards: &[String], unknown: &str) -> Vec<String> {
    let no = |i: usize| if i == 9 { unknown.to_string() } else { cards[i].clone() };
    let mut prompts = Vec::new();
    for s in steps {
        match s {
            Step::Scan(c) => {
                let d = srv
                    .ok(
                        "mutation($l: ID!, $c: [String!]!) { scanCards(lineId: $l, cardNos: $c) { cardNo outcome message } }",
                        json!({"l": line, "c": c.iter().map(|&i| no(i)).collect::<Vec<_>>()}),
                    )
                    .await;
                for r in d["scanCards"].as_array().unwrap() {
                    if let Some(m) = r["message"].as_str() {
                        prompts.push(m.to_string());
                    }
                }
            }
            Step::Delay(c, n) => {
                srv.ok(
                    &format!("mutation($l: ID!, $c: String!, $n: Int!) {{ enterDelayBales(lineId: $l, cardNo: $c, count: $n) {{ {STATE} }} }}"),
                    json!({"l": line, "c": no(*c), "n": n}),
                )
                .await;
            }
            Step::Bale(b, net, m) => {
                srv.ok(
                    "mutation($l: ID!, $b: String!, $n: Decimal!, $m: Decimal, $t: DateTime!) { recordBale(lineId: $l, barcode: $b, netKg: $n, moisturePct: $m, pressedAt: $t) { bale { barcode } } }",
                    json!({"l": line, "b": b, "n": net, "m": m, "t": chrono::Utc::now().to_rfc3339()}),
                )
                .await;
            }
            Step::End(_) => {
                srv.ok(&format!("mutation($l: ID!) {{ endCurrentCard(lineId: $l) {{ {STATE} }} }}"), json!({"l": line})).await;
            }
            Step::Reprocess(c, pw) => {
                let r = srv
                    .gql(
                        &format!("mutation($l: ID!, $c: String!, $u: String!, $p: String!) {{ reprocessCard(lineId: $l, cardNo: $c, verifierUsername: $u, verifierPassword: $p) {{ {STATE} }} }}"),
                        json!({"l": line, "c": no(*c), "u": DEMO_VERIFIER.0, "p": pw}),
                    )
                    .await;
                assert_eq!(r.get("errors").is_some(), *pw != DEMO_VERIFIER.1, "reprocess with {pw}: {r}");
            }
        }
    }
    prompts
}

#[tokio::test(flavor = "multi_thread")]
async fn an_iv_line_through_the_client_links_bales_as_a_vi_line_online() {
    let (a, b) = tokio::join!(Server::start(), Server::start());

    // Print the fourth demo card on both platforms (the demo printed three).
    let (fourth_a, fourth_b) = tokio::join!(a.print_fourth_card(), b.print_fourth_card());
    assert_eq!(fourth_a, fourth_b, "both demo platforms number cards alike");

    // A: export for the IV line, import on the workshop PC.
    let iv = a.line("IV").await;
    let (line_id, line_ref) = (iv["id"].as_str().unwrap().to_string(), iv["lineRef"].as_str().unwrap().to_string());
    let d = a.ok("mutation($l: ID!) { exportTraceFile(lineId: $l) { fileName base64 cardCount } }", json!({"l": line_id})).await;
    let file = &d["exportTraceFile"];
    assert_eq!(file["cardCount"], 4, "{file}");
    let bytes = base64::engine::general_purpose::STANDARD.decode(file["base64"].as_str().unwrap()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let export_path = work.path().join(file["fileName"].as_str().unwrap());
    std::fs::write(&export_path, &bytes).unwrap();
    // The file carries the verification account's hash, never its password.
    assert!(!String::from_utf8_lossy(&bytes).contains(DEMO_VERIFIER.1));
    let platform_key = a.ok("{ platformPublicKey }", json!({})).await["platformPublicKey"].as_str().unwrap().to_string();
    let db = work.path().join("collector.db");
    let o = collector(&db, &["import", "--file", export_path.to_str().unwrap(), "--line-ref", &line_ref, "--platform-key", &platform_key]);
    assert!(o.status.success(), "import: {}", stderr(&o));
    let st = status(&db);
    assert_eq!(st["verifier"], DEMO_VERIFIER.0);
    let cards: Vec<String> = st["cards"].as_array().unwrap().iter().map(|c| c["cardNo"].as_str().unwrap().to_string()).collect();
    assert_eq!(cards.len(), 4);
    assert!(cards.contains(&fourth_a));
    let targets: Vec<Decimal> = cards.iter().map(|c| kg(&card(&st, c)["targetKg"])).collect();
    let unknown = cotton_domain::card_no::format_card_no(SEASON, 9_999_999);

    let steps = shift(&targets);
    let out = run_script(&db, &script(&steps, &cards, &unknown));
    for p in [PROMPT_NEED_DELAY, PROMPT_IN_PROGRESS, PROMPT_NOT_FOUND, PROMPT_FINISHED] {
        assert!(out.contains(p), "{p} missing:\n{out}");
    }
    assert!(out.contains("错误：校验账号或密码错误，不能再加工"), "{out}");

    // Upload, twice.
    let line_key = iv["deviceKey"].as_str().unwrap();
    let upload_path = work.path().join("records.txt");
    let o = collector(&db, &["export-upload", "--out", upload_path.to_str().unwrap(), "--device-key", line_key]);
    assert!(o.status.success(), "export-upload: {}", stderr(&o));
    let records = status(&db)["records"].as_i64().unwrap();
    const UPLOAD: &str = "mutation($l: ID!, $file: Upload!) { uploadProcessingFile(lineId: $l, file: $file) { accepted duplicates rejected errors } }";
    let up = std::fs::read(&upload_path).unwrap();
    let r = a.upload(UPLOAD, json!({"l": line_id}), "records.txt", up.clone()).await["uploadProcessingFile"].clone();
    assert_eq!(r, json!({"accepted": records, "duplicates": 0, "rejected": 0, "errors": []}));
    let r = a.upload(UPLOAD, json!({"l": line_id}), "records.txt", up).await["uploadProcessingFile"].clone();
    assert_eq!(r, json!({"accepted": 0, "duplicates": records, "rejected": 0, "errors": []}));

    // B: the same shift on the VI line, online.
    let vi = b.line("VI").await;
    let prompts = online(&b, vi["id"].as_str().unwrap(), &steps, &cards, &unknown).await;
    for p in [PROMPT_NEED_DELAY, PROMPT_IN_PROGRESS, PROMPT_NOT_FOUND, PROMPT_FINISHED] {
        assert!(prompts.iter().any(|m| m == p), "{p} not among {prompts:?}");
    }

    // The platform shows the same bale ↔ card links, statuses and weights.
    let device = status(&db);
    for (i, no) in cards.iter().enumerate() {
        let (ca, cb) = (a.card(no).await, b.card(no).await);
        assert_eq!(ca, cb, "card {no}");
        let barcodes: Vec<&str> = ca["bales"].as_array().unwrap().iter().map(|b| b["barcode"].as_str().unwrap()).collect();
        let on_device: Vec<&str> = device["bales"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["cardNo"] == no.as_str())
            .map(|b| b["barcode"].as_str().unwrap())
            .collect();
        let (mut x, mut y) = (barcodes.clone(), on_device.clone());
        x.sort();
        y.sort();
        assert_eq!(x, y, "card {no}: the platform's bales are the device's");
        assert_eq!(kg(&ca["processedLintKg"]), kg(&card(&device, no)["processedKg"]), "card {no}: processed weight");
        assert!(!barcodes.is_empty(), "card {i} got bales");
    }
    assert_eq!(a.card(&cards[0]).await["status"], "FINISHED");
    assert_eq!(a.card(&cards[1]).await["status"], "FINISHED");
    assert_eq!(a.card(&cards[3]).await["status"], "PROCESSING");
}
