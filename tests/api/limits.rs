//! Abuse limits (issue 10): every refused request answers with the contract's
//! `extensions.code` and a Chinese message, over the real HTTP endpoint — depth,
//! complexity, aliases, batches, body size, upload size, introspection off, CORS
//! origin, per-IP sign-in and SMS budgets (and X-Forwarded-For only from a trusted
//! proxy), the per-number SMS guess limit.
//!
//! One server per backend with small limits; it trusts 127.0.0.1 as a proxy, so
//! each part of the test speaks from its own `X-Forwarded-For` address and has its
//! own per-IP budget.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;
use crate::unit_fixtures::GROWER_LOGIN;

both_backends!(limits_refuse_with_codes);

const OK_ORIGIN: &str = "https://ok.example";

fn limited() -> Opts {
    Opts::default()
        .env("COTTON_MAX_DEPTH", "5")
        .env("COTTON_MAX_COMPLEXITY", "20")
        .env("COTTON_MAX_ALIASES", "3")
        .env("COTTON_MAX_BATCH", "2")
        .env("COTTON_INTROSPECTION", "off")
        .env("COTTON_CORS_ORIGINS", OK_ORIGIN)
        // per hour, so nothing refills while the test runs
        .env("COTTON_SIGN_IN_PER_IP", "5/hour")
        .env("COTTON_SMS_PER_IP", "3/hour")
        .env("COTTON_TRUSTED_PROXIES", "127.0.0.1")
}

/// POST /graphql with any JSON body (object or batch array), optionally from a
/// forwarded address, with a bearer token and extra headers; returns status, headers, JSON.
async fn post_with(
    client: &reqwest::Client,
    srv: &TestServer,
    xff: Option<&str>,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client.post(srv.url("/graphql")).json(body);
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("POST /graphql");
    let status = resp.status().as_u16();
    let hdrs = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("non-JSON answer ({status}, {e}): {text}"));
    (status, hdrs, v)
}

async fn post(srv: &TestServer, xff: Option<&str>, token: Option<&str>, body: Value) -> Value {
    post_with(&srv.http, srv, xff, token, &[], &body).await.2
}

fn op(query: &str, variables: Value) -> Value {
    json!({ "query": query, "variables": variables })
}

fn msg(resp: &Value) -> String {
    resp["errors"][0]["message"].as_str().unwrap_or_default().to_string()
}

/// Sends a body of `declared` bytes' Content-Length but only its first byte, and
/// reads what the server answers without waiting for the rest.
async fn oversized_body(srv: &TestServer, declared: u64) -> (u16, Value) {
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", srv.port)).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n{{"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), sock.read_to_end(&mut buf))
        .await
        .expect("the server answers an oversized body without reading it")
        .unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // The body may be chunked; the JSON object is the part between the outer braces.
    let json_text = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    (status, serde_json::from_str(json_text).unwrap_or_else(|e| panic!("non-JSON answer ({e}): {text}")))
}

async fn limits_refuse_with_codes(backend: Backend) {
    let srv = TestServer::start(backend, limited()).await;

    // ---- depth and complexity (the engine's limits, with our code and message)
    let deep = "{ orgs { parent { parent { parent { parent { parent { name } } } } } } }";
    let r = post(&srv, None, None, op(deep, json!({}))).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(msg(&r).contains("嵌套过深") && msg(&r).contains('5'), "{r}");
    let fields = "id kind code name";
    let within = format!("{{ orgs {{ {fields} parent {{ {fields} parent {{ {fields} parent {{ {fields} }} }} }} }} }}");
    let r = post(&srv, None, None, op(&within, json!({}))).await;
    assert!(r["errors"].is_null() && r["data"]["orgs"].is_array(), "complexity 20 is allowed: {r}");
    let over = within.replacen("{ orgs", "{ platformPublicKey orgs", 1);
    let r = post(&srv, None, None, op(&over, json!({}))).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(msg(&r).contains("过于复杂"), "{r}");

    // ---- aliases: 3 allowed, the 4th refuses the document before it runs
    let r = post(&srv, None, None, op("{ a: orgs { id } b: orgs { id } c: orgs { id } }", json!({}))).await;
    assert!(r["errors"].is_null(), "{r}");
    let r = post(&srv, None, None, op("{ a: orgs { id } b: orgs { id } c: orgs { id } d: orgs { id } }", json!({}))).await;
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(msg(&r).contains("别名"), "{r}");
    assert!(r["data"].is_null(), "nothing ran: {r}");

    // ---- batches: 2 operations run, 3 are refused whole
    let two = json!([op("{ orgs { id } }", json!({})), op("{ __typename }", json!({}))]);
    let (status, _, r) = post_with(&srv.http, &srv, None, None, &[], &two).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r.as_array().map(Vec::len), Some(2), "a batch answers with one response per operation: {r}");
    assert_eq!(r[1]["data"]["__typename"], "Query");
    let three = json!([op("{ orgs { id } }", json!({})), op("{ orgs { id } }", json!({})), op("{ orgs { id } }", json!({}))]);
    let (status, _, r) = post_with(&srv.http, &srv, None, None, &[], &three).await;
    assert_eq!(status, 400);
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(msg(&r).contains("批量"), "{r}");
    let (_, _, r) = post_with(&srv.http, &srv, None, None, &[], &json!([])).await;
    assert_eq!(err_code(&r), "VALIDATION", "an empty batch: {r}");

    // ---- a body that is not GraphQL at all
    let resp = srv.http.post(srv.url("/graphql")).header("content-type", "application/json").body("not json").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(err_code(&r), "VALIDATION", "{r}");

    // ---- introspection off: __schema and __type are refused, __typename is not
    let r = post(&srv, None, None, op("{ __schema { queryType { name } } }", json!({}))).await;
    assert_eq!(err_code(&r), "FORBIDDEN", "{r}");
    let r = post(&srv, None, None, op("query { ...T } fragment T on Query { __type(name: \"Query\") { name } }", json!({}))).await;
    assert_eq!(err_code(&r), "FORBIDDEN", "{r}");
    let r = post(&srv, None, None, op("{ __typename }", json!({}))).await;
    assert_eq!(r["data"]["__typename"], "Query", "{r}");

    // ---- request body above 25 MB: refused from the Content-Length, unread
    let (status, r) = oversized_body(&srv, 26 * 1024 * 1024).await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(err_code(&r), "VALIDATION", "{r}");
    assert!(msg(&r).contains("请求体过大"), "{r}");

    // ---- CORS: a listed origin gets the header, any other is refused with FORBIDDEN
    let query = op("{ orgs { id } }", json!({}));
    let (status, hdrs, r) = post_with(&srv.http, &srv, None, None, &[("Origin", OK_ORIGIN)], &query).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(hdrs.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(OK_ORIGIN));
    let (status, hdrs, r) = post_with(&srv.http, &srv, None, None, &[("Origin", "https://evil.example")], &query).await;
    assert_eq!(status, 403, "{r}");
    assert_eq!(err_code(&r), "FORBIDDEN", "{r}");
    assert!(hdrs.get("access-control-allow-origin").is_none());
    let pre = srv
        .http
        .request(reqwest::Method::OPTIONS, srv.url("/graphql"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status().as_u16(), 403);
    let r: Value = pre.json().await.unwrap();
    assert_eq!(err_code(&r), "FORBIDDEN", "a refused preflight: {r}");

    // ---- upload above 20 MB: BAD_FILE, nothing imported
    let admin = {
        let r = post(&srv, Some("192.0.2.10"), None, op(LOGIN, json!({ "u": ADMIN_USER, "p": ADMIN_PW }))).await;
        s(&data(&r)["login"]["accessToken"])
    };
    let orgs_before = srv.all_orgs().await.len();
    let big = vec![b'x'; 20 * 1024 * 1024 + 1];
    let r = srv
        .upload(Some(&admin), "mutation($file: Upload!) { importCompanyAccounts(file: $file) { created } }", json!({}), "big.xlsx", big)
        .await;
    assert_eq!(err_code(&r), "BAD_FILE", "{r}");
    assert!(msg(&r).contains("文件过大"), "{r}");
    assert_eq!(srv.all_orgs().await.len(), orgs_before);

    // ---- per-IP sign-in budget (5 an hour here): login, refresh, growerLogin count alike
    let ip1 = Some("198.51.100.7");
    let login = op(LOGIN, json!({ "u": ADMIN_USER, "p": ADMIN_PW }));
    let r = post(&srv, ip1, None, login.clone()).await; // 1
    assert!(r["errors"].is_null(), "{r}");
    let two_logins = "mutation($u: String!, $p: String!) { a: login(username: $u, password: $p) { accessToken } b: login(username: $u, password: $p) { accessToken } }";
    let r = post(&srv, ip1, None, op(two_logins, json!({ "u": ADMIN_USER, "p": ADMIN_PW }))).await; // 2, 3
    assert!(r["errors"].is_null(), "{r}");
    let r = post(&srv, ip1, None, op(GROWER_LOGIN, json!({ "p": "13912345678", "c": "123456" }))).await; // 4
    assert_eq!(err_code(&r), "NOT_FOUND", "a number on no roster: {r}");
    let r = post(&srv, ip1, None, login.clone()).await; // 5
    let refresh_token = s(&data(&r)["login"]["refreshToken"]);
    let r = post(&srv, ip1, None, op(REFRESH, json!({ "r": refresh_token }))).await; // 6: over
    assert_eq!(err_code(&r), "RATE_LIMITED", "{r}");
    assert!(msg(&r).contains("秒后再试"), "{r}");
    assert!(r["data"].is_null(), "{r}");
    for q in [login.clone(), op(GROWER_LOGIN, json!({ "p": "13912345678", "c": "123456" }))] {
        assert_eq!(err_code(&post(&srv, ip1, None, q).await), "RATE_LIMITED");
    }
    // The refused refresh changed nothing: the token still works (once) from another address.
    let ip2 = Some("198.51.100.8");
    let r = post(&srv, ip2, None, op(REFRESH, json!({ "r": refresh_token }))).await;
    assert!(r["errors"].is_null(), "the refused refresh did not use the token up: {r}");

    // An untrusted peer (127.0.0.2) cannot get fresh budgets by forging X-Forwarded-For.
    let untrusted = reqwest::Client::builder()
        .no_proxy()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for i in 1..=5 {
        let forged = format!("203.0.113.{i}");
        let (_, _, r) = post_with(&untrusted, &srv, Some(&forged), None, &[], &login).await;
        assert!(r["errors"].is_null(), "sign-in {i} from 127.0.0.2: {r}");
    }
    let (status, hdrs, r) = post_with(&untrusted, &srv, Some("203.0.113.99"), None, &[], &login).await;
    assert_eq!(err_code(&r), "RATE_LIMITED", "a forged X-Forwarded-For from an untrusted peer is ignored: {r}");
    assert_eq!(status, 200);
    assert!(hdrs.get("x-forwarded-for").is_none());

    // ---- per-IP SMS budget (3 an hour here), on top of the per-number limits
    let ip3 = Some("198.51.100.9");
    let phones = ["13700000001", "13700000002", "13700000003", "13700000004"];
    for p in &phones[..3] {
        let r = post(&srv, ip3, None, op(SEND_SMS, json!({ "p": p }))).await;
        assert_eq!(data(&r)["sendSmsCode"], true, "{r}");
    }
    let r = post(&srv, ip3, None, op(SEND_SMS, json!({ "p": phones[3] }))).await;
    assert_eq!(err_code(&r), "RATE_LIMITED", "{r}");
    assert!(msg(&r).contains("验证码发送"), "{r}");
    let r = srv.ok(None, DEV_SMS, json!({ "p": phones[3] })).await;
    assert_eq!(r["devSmsCodes"], json!([]), "nothing was sent to the refused number");
    let r = post(&srv, Some("198.51.100.10"), None, op(SEND_SMS, json!({ "p": phones[3] }))).await;
    assert_eq!(data(&r)["sendSmsCode"], true, "another address has its own budget: {r}");
    // The per-number limit holds whatever the address.
    let r = post(&srv, Some("198.51.100.11"), None, op(SEND_SMS, json!({ "p": phones[3] }))).await;
    assert_eq!(err_code(&r), "RATE_LIMITED", "{r}");

    // ---- per-number SMS guesses (in the database): 5 wrong guesses burn the code,
    // even when each comes from another address.
    let corps = srv.create_org(&admin, "CORPS", "BT", "兵团", None).await;
    let division = srv.create_org(&admin, "DIVISION", "D1", "第一师", Some(&corps)).await;
    let regiment = srv.create_org(&admin, "REGIMENT", "R1", "一团", Some(&division)).await;
    let phone = phones[0];
    let code = srv.latest_sms(phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let register = |c: &str| op(REGISTER_INITIATOR, json!({ "ph": phone, "c": c, "p": PW, "n": "发起人", "o": regiment }));
    for i in 0..5 {
        let r = post(&srv, Some(&format!("198.51.100.{}", 20 + i)), None, register(wrong)).await;
        assert_eq!(err_code(&r), "VALIDATION", "wrong guess {i}: {r}");
    }
    let r = post(&srv, Some("198.51.100.30"), None, register(&code)).await;
    assert_eq!(err_code(&r), "VALIDATION", "the right code after 5 wrong guesses is burnt: {r}");
    let r = post(&srv, Some("198.51.100.31"), None, op(LOGIN, json!({ "u": phone, "p": PW }))).await;
    assert_eq!(err_code(&r), "UNAUTHENTICATED", "no account was created: {r}");
}
