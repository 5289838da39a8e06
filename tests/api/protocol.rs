//! Protocol details (issue 17 items 1 and 4), over the real endpoints:
//! - a request error (syntax, unknown field, wrong argument, a limit — refused
//!   before execution) has no `data`; a field error keeps `data: null`;
//! - depth: `COTTON_MAX_DEPTH` (12) for queries, 20 for introspection subtrees;
//! - `errorCodes` lists every ErrorCode;
//! - WebSocket: a bad token in `connection_init` closes with 4403 (graphql-transport-ws)
//!   or `connection_error` with `UNAUTHENTICATED` (legacy graphql-ws); a subscribe
//!   refused before execution is an `error` message with a code and no `complete`;
//! - a chunked body (no Content-Length) is accepted, and cut off at 25 MB while it
//!   streams (413 VALIDATION).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

both_backends!(request_errors_and_depth, websocket_refusals, chunked_bodies, websocket_message_is_bounded);

async fn request_errors_and_depth(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let no_data = |r: &Value, what: &str| {
        assert!(r.get("data").is_none(), "{what}: a request error has no data entry: {r}");
        assert!(r["errors"][0]["extensions"]["code"].is_string(), "{what}: {r}");
    };
    for (what, q) in [
        ("syntax", "{ orgs { id "),
        ("unknown field", "{ nope }"),
        ("wrong argument type", "{ seasonRules(season: \"x\") { season } }"),
        ("missing variable", "query($s: Int!) { seasonRules(season: $s) { season } }"),
        ("a subscription over HTTP", "subscription { events { topic } }"),
    ] {
        let r = srv.gql(None, q, json!({})).await;
        assert_eq!(err_code(&r), "VALIDATION", "{what}: {r}");
        no_data(&r, what);
    }
    let q = "query Q($s: Int!, $k: OrgKind) { orgs(kind: $k) { id } seasonRules(season: $s) { season } }";
    let r = srv.gql(None, q, json!({ "k": "CORPS" })).await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("缺少必填变量：$s"), "{r}");
    no_data(&r, "a required variable left out of a named operation");
    // Refused by our own checks before execution: no data either.
    let long = "x".repeat(300);
    let r = srv.gql(None, "mutation($u: String!) { login(username: $u, password: \"p\") { accessToken } }", json!({ "u": long })).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    no_data(&r, "an over-long argument");
    // A field error keeps data (null: `me` is non-null) and says where.
    let r = srv.gql(None, "{ me { id } }", json!({})).await;
    assert_eq!(err_code(&r), "UNAUTHENTICATED", "{r}");
    assert!(r.get("data").is_some_and(Value::is_null), "a field error keeps data: null: {r}");
    assert_eq!(r["errors"][0]["path"], json!(["me"]));
    // In a batch, each response on its own.
    let resp = srv
        .http
        .post(srv.url("/graphql"))
        .json(&json!([{ "query": "{ nope }" }, { "query": "{ errorCodes }" }]))
        .send()
        .await
        .unwrap();
    let batch: Value = resp.json().await.unwrap();
    no_data(&batch[0], "a batched request error");
    assert_eq!(batch[1]["data"]["errorCodes"].as_array().map(Vec::len), Some(17), "{batch}");

    // ---- errorCodes: public, every code, the enum's order
    let d = srv.ok(None, "{ errorCodes }", json!({})).await;
    assert_eq!(d["errorCodes"][0], "UNAUTHENTICATED");
    assert_eq!(d["errorCodes"][16], "INTERNAL");
    let d = srv.ok(None, "{ __type(name: \"ErrorCode\") { enumValues { name description } } }", json!({})).await;
    let values = d["__type"]["enumValues"].as_array().unwrap();
    assert_eq!(values.len(), 17);
    assert!(values.iter().all(|v| v["description"].as_str().is_some_and(|d| !d.is_empty())), "every value described: {d}");

    // ---- depth: 12 for queries (fragments count), 20 inside introspection
    let nest = |n: usize| format!("{}name{}", "parent { ".repeat(n), " }".repeat(n));
    let r = srv.gql(None, &format!("{{ orgs {{ {} }} }}", nest(10)), json!({})).await;
    assert!(r["errors"].is_null(), "12 levels pass: {r}");
    let r = srv.gql(None, &format!("{{ orgs {{ {} }} }}", nest(11)), json!({})).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("嵌套过深"), "{r}");
    no_data(&r, "too deep");
    let via_fragment = format!("{{ orgs {{ ...F }} }} fragment F on Org {{ {} }}", nest(11));
    let r = srv.gql(None, &via_fragment, json!({})).await;
    assert_eq!(err_code(&r), "VALIDATION", "depth counts through fragments: {r}");
    let of_type = |n: usize| format!("{}name{}", "ofType { ".repeat(n), " }".repeat(n));
    let r = srv.gql(None, &format!("{{ __type(name: \"Query\") {{ {} }} }}", of_type(18)), json!({})).await;
    assert!(r["errors"].is_null(), "20 levels of introspection pass: {r}");
    let r = srv.gql(None, &format!("{{ __type(name: \"Query\") {{ {} }} }}", of_type(19)), json!({})).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("内省查询嵌套过深"), "{r}");
    // Introspection's allowance does not carry over to the rest of the document.
    let mixed = format!("{{ __schema {{ queryType {{ name }} }} orgs {{ {} }} }}", nest(11));
    let r = srv.gql(None, &mixed, json!({})).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
}

async fn websocket_refusals(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let admin = srv.admin_token().await;

    // graphql-transport-ws: a bad token closes the socket with 4403 Forbidden.
    for token in ["not-a-jwt", &format!("{admin}x")] {
        let mut c = srv.ws(WsProto::TransportWs, Some(token)).await;
        match c.recv().await {
            WsMsg::Closed(frame) => assert!(frame.contains("4403") && frame.contains("Forbidden"), "{frame}"),
            other => panic!("a bad token must close with 4403, got {other:?}"),
        }
    }
    // Legacy graphql-ws has no close codes: connection_error with the code.
    let mut c = srv.ws(WsProto::LegacyWs, Some("not-a-jwt")).await;
    match c.recv().await {
        WsMsg::Error(p) => {
            assert_eq!(p["extensions"]["code"], "UNAUTHENTICATED", "{p}");
            assert!(p["message"].as_str().unwrap().contains("登录"), "{p}");
        }
        other => panic!("legacy protocol: expected connection_error, got {other:?}"),
    }
    // No token: an anonymous connection; its subscription is refused with a code.
    let mut c = srv.ws(WsProto::TransportWs, None).await;
    assert!(matches!(c.recv().await, WsMsg::Ack));
    c.start("1", "subscription { events { topic } }", json!({})).await;
    let refusal = match c.recv().await {
        WsMsg::Next(p) => p,
        WsMsg::Error(p) => json!({ "errors": p }),
        other => panic!("{other:?}"),
    };
    assert_eq!(err_code(&refusal), "UNAUTHENTICATED", "{refusal}");

    // A subscribe refused before execution: `error` (a list of errors with codes),
    // then nothing — no `complete` for an operation that never started.
    let mut c = srv.ws(WsProto::TransportWs, Some(&admin)).await;
    assert!(matches!(c.recv().await, WsMsg::Ack));
    c.start("2", "subscription { events { nope } }", json!({})).await;
    match c.recv().await {
        WsMsg::Error(p) => {
            assert!(p.is_array(), "{p}");
            assert_eq!(p[0]["extensions"]["code"], "VALIDATION", "{p}");
            assert!(p[0]["message"].as_str().unwrap().starts_with("请求无效"), "{p}");
        }
        other => panic!("expected an error message, got {other:?}"),
    }
    match c.recv_within(Duration::from_secs(1)).await {
        WsMsg::Timeout => {}
        other => panic!("nothing after the error message, got {other:?}"),
    }
    // The connection is still good for a valid subscription.
    c.start("3", "subscription { events { topic } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    srv.create_org(&admin, "CORPS", "WS1", "兵团", None).await;
    assert_eq!(c.next_event().await["topic"], "ORG_CREATED");
    // Legacy graphql-ws: the same refusal as data without a data entry.
    let mut c = srv.ws(WsProto::LegacyWs, Some(&admin)).await;
    assert!(matches!(c.recv().await, WsMsg::Ack));
    c.start("1", "subscription { events { nope } }", json!({})).await;
    match c.recv().await {
        WsMsg::Next(p) => {
            assert!(p.get("data").is_none(), "{p}");
            assert_eq!(err_code(&p), "VALIDATION", "{p}");
        }
        other => panic!("{other:?}"),
    }
}

/// A raw HTTP/1.1 request with a chunked body of `chunks` × `chunk` bytes of JSON
/// (`prefix` first, padded with spaces); the status and the JSON answer.
async fn chunked_post(srv: &TestServer, prefix: &str, chunk: usize, chunks: usize) -> (u16, Value) {
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", srv.port)).await.expect("connect");
    let head = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    sock.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = sock.into_split();
    let prefix = prefix.as_bytes().to_vec();
    let writer = tokio::spawn(async move {
        for i in 0..chunks {
            let mut body = if i == 0 { prefix.clone() } else { Vec::new() };
            body.resize(chunk, b' ');
            let mut frame = format!("{:x}\r\n", body.len()).into_bytes();
            frame.extend_from_slice(&body);
            frame.extend_from_slice(b"\r\n");
            // The server may answer (and close) before the whole body is sent.
            if wr.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
    });
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), rd.read_to_end(&mut buf)).await.expect("an answer to the chunked body").ok();
    let _ = writer.await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let json_text = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    (status, serde_json::from_str(json_text).unwrap_or_else(|e| panic!("non-JSON answer ({e}): {text}")))
}

async fn chunked_bodies(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    // A small chunked request: accepted (was 411 before).
    let (status, r) = chunked_post(&srv, "{\"query\": \"{ errorCodes }\"}", 64, 3).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["data"]["errorCodes"][0], "UNAUTHENTICATED", "{r}");
    // 1 MB of chunks (a JSON document padded with whitespace): still fine.
    let (status, r) = chunked_post(&srv, "{\"query\": \"{ errorCodes }\"}", 64 * 1024, 16).await;
    assert_eq!(status, 200, "{r}");
    // 26 MB: cut off at 25 MB while streaming.
    let (status, r) = chunked_post(&srv, "{\"query\": \"{ errorCodes }\"}", 1024 * 1024, 26).await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("请求体过大"), "{r}");
    // The server is fine afterwards.
    assert_eq!(srv.ok(None, "{ errorCodes }", json!({})).await["errorCodes"].as_array().map(Vec::len), Some(17));
}

/// A WebSocket message over 1 MiB (a subscription is a GraphQL operation, not a
/// file) closes that socket; the server goes on serving others.
async fn websocket_message_is_bounded(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let admin = srv.admin_token().await;
    let mut c = srv.ws(WsProto::TransportWs, Some(&admin)).await;
    let big = format!("subscription {{ events {{ topic }} }} # {}", "x".repeat(2 << 20));
    c.start("1", &big, json!({})).await;
    let mut closed = false;
    for _ in 0..5 {
        match c.recv().await {
            WsMsg::Closed(_) => {
                closed = true;
                break;
            }
            WsMsg::Timeout => break,
            _ => continue,
        }
    }
    assert!(closed, "a 2 MiB message closes the socket");
    // Others are still served, subscriptions included.
    let mut ok = srv.subscribe(WsProto::TransportWs, &admin, "subscription { events(topics: [ORG_CREATED]) { topic } }", json!({})).await;
    let t = setup_tree(&srv).await;
    srv.create_org(&t.admin, "COMPANY", "R121-09", "九连", Some(&t.regiment_a)).await;
    assert_eq!(ok.next_event().await["topic"], "ORG_CREATED");
    ok.close().await;
}
