//! The GraphQL request path (issue 16): a document plus variables through the
//! server's own HTTP endpoint (body parsing, batch and size limits, the parse
//! cache, depth/complexity/alias limits, the text bounds, validation and the
//! resolvers) on a real embedded SQLite database. Expected: no panic, never a
//! 5xx, never `INTERNAL`; every refusal carries a code and a Chinese message.
//!
//! Input: the document, then a 0xFF byte, then the variables as JSON (anything
//! else is sent as it is: a malformed body must be refused too). The first byte
//! picks the caller: odd = signed in as the platform admin (so authorized
//! resolvers run), even = anonymous.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, Request, http::Method};


struct Harness {
    rt: tokio::runtime::Runtime,
    app: BoxEndpoint<'static>,
    admin: String,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let dir = std::env::temp_dir().join(format!("cotton-fuzz-graphql-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (app, admin) = rt.block_on(async {
            let mut config = cotton_trace::config::Config::from_env(Some(format!("sqlite://{}", dir.join("fuzz.db").display())));
            config.data_dir = dir.clone();
            config.plugins_dir = dir.join("no-plugins");
            config.jwt_secret = Some("fuzz-secret".into());
            config.sign_in_per_ip = cotton_trace::limits::Rate::parse("0").unwrap();
            config.sms_per_ip = cotton_trace::limits::Rate::parse("0").unwrap();
            let db = cotton_trace::server::open_database(&config).await.unwrap();
            cotton_service::accounts::bootstrap_admin(&db, "admin", "Admin12345").await.map_err(|e| e.message()).unwrap();
            let state = cotton_trace::server::build_state(config, db).await.unwrap();
            let schema = cotton_trace::graphql::build_schema(Some(state.clone()));
            let app = cotton_trace::http::app(state, schema).map_to_response().boxed();
            let body = r#"{"query":"mutation{login(username:\"admin\",password:\"Admin12345\"){accessToken}}"}"#;
            let resp = app.call(post(body.as_bytes().to_vec(), None)).await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&resp.into_body().into_bytes().await.unwrap()).unwrap();
            let token = json["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("admin login failed: {json}"));
            (app, token.to_string())
        });
        Harness { rt, app, admin }
    })
}

fn post(body: Vec<u8>, token: Option<&str>) -> Request {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri_str("/graphql")
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string());
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(body)
}

fuzz_target!(|data: &[u8]| {
    let Some((&who, rest)) = data.split_first() else { return };
    let h = harness();
    let body = match rest.iter().position(|&b| b == 0xFF) {
        Some(i) => {
            let query = String::from_utf8_lossy(&rest[..i]);
            let vars: serde_json::Value = serde_json::from_slice(&rest[i + 1..]).unwrap_or(serde_json::Value::Null);
            serde_json::to_vec(&serde_json::json!({ "query": query, "variables": vars })).unwrap()
        }
        None => rest.to_vec(),
    };
    let token = (who % 2 == 1).then_some(h.admin.as_str());
    let (status, text) = h.rt.block_on(async {
        let resp = match h.app.call(post(body, token)).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        let status = resp.status();
        (status, resp.into_body().into_string().await.unwrap_or_default())
    });
    assert!(!status.is_server_error(), "HTTP {status}: {text}");
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        panic!("the answer is not JSON (HTTP {status}): {text}")
    };
    let errors = json.as_array().map(|a| a.iter().collect::<Vec<_>>()).unwrap_or_else(|| vec![&json]);
    for answer in errors {
        for e in answer["errors"].as_array().into_iter().flatten() {
            let code = e["extensions"]["code"].as_str().unwrap_or_else(|| panic!("an error without a code: {e}"));
            assert_ne!(code, "INTERNAL", "{e}");
            cotton_fuzz::assert_clear("graphql", e["message"].as_str().unwrap_or(""));
        }
    }
});
