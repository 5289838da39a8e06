//! The HTTP surface around GraphQL (health, readiness, metrics, GraphiQL), the
//! demo data set, and the committed schema.

use serde_json::json;

use crate::harness::*;

both_backends!(
    healthz_and_readyz,
    metrics_after_graphql_request,
    graphiql_on_get,
    demo_data_loads_once,
);

async fn healthz_and_readyz(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    for path in ["/healthz", "/readyz"] {
        let r = srv.http.get(srv.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "GET {path}");
    }
}

async fn metrics_after_graphql_request(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    srv.ok(None, "{ orgs { id } }", json!({})).await;
    srv.admin_token().await;
    let r = srv.http.get(srv.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "GET /metrics");
    let body = r.text().await.unwrap();
    assert!(
        body.lines().any(|l| l.starts_with("cotton_")),
        "/metrics should expose cotton_* samples after a GraphQL request:\n{body}"
    );
    assert!(body.contains("# TYPE cotton_"), "/metrics should be Prometheus text with TYPE lines:\n{body}");
}

async fn graphiql_on_get(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let r = srv
        .http
        .get(srv.url("/graphql"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "GET /graphql (Accept: text/html)");
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_string()).unwrap_or_default();
    assert!(ct.contains("text/html"), "content-type should be HTML, got {ct:?}");
    let body = r.text().await.unwrap().to_lowercase();
    assert!(body.contains("<html") && body.contains("graphiql"), "GraphiQL page expected:\n{body}");
}

const DEMO_PW: &str = "Cotton@2026";

async fn demo_counts(srv: &TestServer) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    for kind in ["CORPS", "DIVISION", "REGIMENT", "COMPANY", "ENTERPRISE"] {
        out.push((kind, srv.orgs_of_kind(kind).await.len()));
    }
    out
}

async fn demo_data_loads_once(backend: Backend) {
    let srv = TestServer::start(backend, Opts::demo()).await;
    let want = vec![("CORPS", 1), ("DIVISION", 1), ("REGIMENT", 2), ("COMPANY", 4), ("ENTERPRISE", 2)];
    assert_eq!(demo_counts(&srv).await, want, "demo org counts");

    for (user, role) in [
        ("tuan1", "REGIMENT"),
        ("tuan2", "REGIMENT"),
        ("lian11", "COMPANY"),
        ("lian12", "COMPANY"),
        ("lian21", "COMPANY"),
        ("lian22", "COMPANY"),
        ("qts65001", "ENTERPRISE"),
        ("qts65002", "ENTERPRISE"),
    ] {
        let token = srv.login(user, DEMO_PW).await;
        let me = srv.me(&token).await;
        assert_eq!(me["role"], role, "demo account {user}: {me}");
        assert_eq!(me["org"]["kind"], role, "demo account {user} belongs to a {role}: {me}");
    }
    srv.admin_token().await; // the harness's admin still works

    // A second --demo start on the same database does not duplicate anything.
    let again = srv.another_on_same_db_with(Opts::demo()).await;
    assert_eq!(demo_counts(&again).await, want, "demo org counts after a second --demo start");
    again.login("tuan1", DEMO_PW).await;
}

/// `schema.graphql` at the workspace root is what the server exports.
#[test]
fn schema_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("schema.graphql");
    let res = std::process::Command::new(SERVER_BIN)
        .args(["export-schema", "--out"])
        .arg(&out)
        .output()
        .expect("run cotton-trace export-schema");
    assert!(
        res.status.success(),
        "`cotton-trace export-schema` failed: {}\n{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    let exported = std::fs::read(&out).expect("export-schema wrote no file");
    let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read(&committed_path).unwrap_or_default();
    if exported != committed {
        let (e, c) = (String::from_utf8_lossy(&exported), String::from_utf8_lossy(&committed));
        let first = e.lines().zip(c.lines()).position(|(a, b)| a != b).unwrap_or(e.lines().count().min(c.lines().count()));
        panic!(
            "{} is out of date with the server's schema (first difference at line {}): run `cargo run -p cotton-trace -- export-schema`",
            committed_path.display(),
            first + 1
        );
    }
}
