//! GraphiQL with no internet (issue 17 item 2): `GET /graphql` and its assets come
//! from the binary. Headless Chromium (Debian's `chromium`, over the DevTools
//! protocol) resolves no host but 127.0.0.1, as on a regiment's intranet; the page
//! shows the editor, its docs explorer lists the schema (introspection under the
//! default limits), a query typed into it runs against the server, and the page
//! asked nothing of any other host. Without `chromium` the browser part is skipped
//! with a message, except under `CI=true`, where it fails.

use serde_json::{Value, json};

use crate::cdp::{Browser, chromium_or_skip};
use crate::harness::*;

both_backends!(graphiql_runs_offline);

/// Every request the page made went to the test server (or was a `data:` URL).
fn only_local(requests: &[String], base: &str) {
    let outside: Vec<&String> = requests.iter().filter(|u| !u.starts_with(base) && !u.starts_with("data:")).collect();
    assert!(outside.is_empty(), "GraphiQL asked other hosts: {outside:?}");
}

async fn graphiql_runs_offline(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;

    // The page and its four assets, with their types; nothing names another host.
    let page = srv.http.get(srv.url("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("://"), "the page links no other host:\n{html}");
    for (file, mime) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
    ] {
        assert!(html.contains(&format!("/graphql/assets/{file}")), "the page loads {file}");
        let r = srv.http.get(srv.url(&format!("/graphql/assets/{file}"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "{file}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(mime), "{file}");
        let body = r.bytes().await.unwrap();
        let on_disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/").to_string() + file).unwrap();
        assert!(body.as_ref() == on_disk.as_slice(), "{file} is the vendored file");
    }
    assert_eq!(srv.http.get(srv.url("/graphql/assets/nope.js")).send().await.unwrap().status(), 404);

    let Some(exe) = chromium_or_skip("the GraphiQL browser test") else { return };
    // Something for the query to find, on this backend's database.
    let admin = srv.admin_token().await;
    srv.create_org(&admin, "CORPS", "BT", "新疆生产建设兵团", None).await;

    // No name resolves but 127.0.0.1: a CDN script would fail to load.
    let mut b = Browser::launch_with(&exe, 1280, 800, &["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]).await;
    b.record_requests().await;
    b.call("Page.enable", json!({})).await;
    b.call("Page.navigate", json!({ "url": srv.url("/graphql") })).await;
    b.wait_js("the GraphiQL editor", "document.querySelector('.graphiql-query-editor .CodeMirror') !== null").await;

    // The docs explorer: the schema came by introspection under the default limits.
    b.click("button[aria-label='Show Documentation Explorer']").await;
    b.wait_js("the root types in the docs", "document.querySelector('.graphiql-doc-explorer').innerText.includes('Root Types')").await;
    let docs = b.eval("document.querySelector('.graphiql-doc-explorer').innerText").await;
    assert!(docs.as_str().unwrap().contains("ErrorCode"), "the docs list ErrorCode:\n{docs}");

    // A query typed into the editor runs against the server.
    b.eval("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('')").await;
    b.click(".graphiql-query-editor .CodeMirror").await;
    b.call("Input.insertText", json!({ "text": "query Orgs { orgs { kind code name } }" })).await;
    let typed = b.eval("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()").await;
    assert!(typed.as_str().unwrap().contains("orgs"), "the editor holds the typed query: {typed}");
    b.click(".graphiql-execute-button").await;
    let answer = b
        .wait_js(
            "the answer",
            "(() => { const v = document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue(); return v.includes('orgs') && v; })()",
        )
        .await;
    let answer: Value = serde_json::from_str(answer.as_str().unwrap()).expect("GraphiQL shows the JSON answer");
    assert_eq!(answer["data"]["orgs"], json!([{ "kind": "CORPS", "code": "BT", "name": "新疆生产建设兵团" }]), "{answer}");

    b.eval("1").await; // reads the DevTools events still queued
    only_local(&b.requests, &srv.base);
    assert!(b.requests.iter().any(|u| u.ends_with("/graphql/assets/graphiql.min.js")), "{:?}", b.requests);
}
