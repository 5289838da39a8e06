//! The server with a plugins folder holding the real driver plugins, the C
//! example and deliberately broken plugins (wrong ABI version, missing entry
//! point, a panicking call, garbage output, a duplicate model): it starts,
//! logs one refusal line per broken library, and the `plugins` query lists
//! exactly the good ones.

#[path = "../../plugins/conformance/src/build.rs"]
#[allow(dead_code)]
mod build;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cotton-trace");
const ADMIN_PW: &str = "Admin12345";

struct Server {
    child: Child,
    base: String,
    stderr: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base_command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("DATABASE_URL", format!("sqlite://{}", dir.join("cotton.db").display()))
        .env("COTTON_DATA_DIR", dir)
        .env("COTTON_JWT_SECRET", "plugin-test-secret")
        .env("RUST_LOG", "info")
        .env_remove("COTTON_PLUGINS_DIR")
        .stdin(Stdio::null());
    cmd
}

async fn start(dir: &Path, plugins: &Path) -> Server {
    let out = base_command(dir).args(["admin", "create", "--username", "admin", "--password", ADMIN_PW]).output().unwrap();
    assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let stderr = dir.join("server.stderr.log");
    let child = base_command(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--plugins-dir"])
        .arg(plugins)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), stderr };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("server exited ({status}):\n{}", std::fs::read_to_string(&server.stderr).unwrap_or_default());
        }
        if let Ok(r) = http.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "server not healthy:\n{}", std::fs::read_to_string(&server.stderr).unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn gql(server: &Server, token: Option<&str>, query: &str, variables: Value) -> Value {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http.post(format!("{}/graphql", server.base)).json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn server_refuses_broken_plugins_and_serves_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for p in build::project_plugins() {
        std::fs::copy(p, plugins.join(p.file_name().unwrap())).unwrap();
    }
    build::c_example(&plugins);
    let broken: Vec<(std::path::PathBuf, &str)> = vec![
        (build::c_broken(&plugins, "WRONG_ABI"), "wrong ABI version: the plugin has 2, this host speaks 1"),
        (build::c_broken(&plugins, "NO_ENTRY"), "no entry point"),
        (build::c_broken(&plugins, "GARBAGE"), "DESCRIBE returned malformed JSON"),
        (build::fixture_panicky(&plugins), "fixture: render always panics"),
        (
            {
                let dup = plugins.join("zz_second_zpl.so");
                std::fs::copy(build::project_plugin("cotton-printer-zpl"), &dup).unwrap();
                dup
            },
            "duplicate model: PRINTER plugin model `ZPL`",
        ),
    ];
    std::fs::write(plugins.join("notes.txt"), "not a library").unwrap();

    let server = start(dir.path(), &plugins).await;

    // One refusal line per broken library, naming it and saying why.
    let log = std::fs::read_to_string(&server.stderr).unwrap();
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("refused driver plugin")).collect();
    assert_eq!(refusals.len(), broken.len(), "refusal lines:\n{}", refusals.join("\n"));
    for (path, reason) in &broken {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            refusals.iter().any(|l| l.contains(name.as_ref()) && l.contains(reason)),
            "no refusal line for {name} with `{reason}`:\n{}",
            refusals.join("\n")
        );
    }
    assert!(!log.contains("notes.txt"), "a non-library file is ignored silently");

    // The query needs a signed-in account.
    let anon = gql(&server, None, "{ plugins { name } }", json!({})).await;
    assert_eq!(anon["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anon}");

    let login = gql(
        &server,
        None,
        "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ accessToken } }",
        json!({ "u": "admin", "p": ADMIN_PW }),
    )
    .await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("{login}")).to_string();
    let res = gql(&server, Some(&token), "{ plugins { name kind model abiVersion version description mimeType } }", json!({})).await;
    let list = res["data"]["plugins"].as_array().unwrap_or_else(|| panic!("{res}"));
    let got: Vec<(String, String, String)> = list
        .iter()
        .map(|p| (p["kind"].as_str().unwrap().into(), p["model"].as_str().unwrap().into(), p["name"].as_str().unwrap().into()))
        .collect();
    let want: Vec<(String, String, String)> = [
        ("COLLECTOR", "IV", "cotton-collector-iv"),
        ("COLLECTOR", "V", "cotton-collector-v"),
        ("COLLECTOR", "VI", "cotton-collector-vi"),
        ("PRINTER", "PDF", "cotton-printer-pdf"),
        ("PRINTER", "TEXT", "cotton-text-printer"),
        ("PRINTER", "TSPL", "cotton-printer-tspl"),
        ("PRINTER", "ZPL", "cotton-printer-zpl"),
    ]
    .iter()
    .map(|(k, m, n)| (k.to_string(), m.to_string(), n.to_string()))
    .collect();
    assert_eq!(got, want);
    for p in list {
        assert_eq!(p["abiVersion"], 1);
        assert!(!p["version"].as_str().unwrap().is_empty());
    }
    let pdf = list.iter().find(|p| p["model"] == "PDF").unwrap();
    assert_eq!(pdf["mimeType"], "application/pdf");

    // Still up and answering after all that.
    let again = gql(&server, Some(&token), "{ plugins { model } }", json!({})).await;
    assert_eq!(again["data"]["plugins"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn a_missing_plugins_folder_is_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &dir.path().join("no-such-folder")).await;
    let log = std::fs::read_to_string(&server.stderr).unwrap();
    assert!(log.contains("plugins folder does not exist"), "{log}");
}
