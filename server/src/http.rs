//! HTTP surface: `/graphql` (POST queries and multipart uploads, GET GraphiQL),
//! `/graphql/ws` (subscriptions, both WebSocket protocols), health, readiness, metrics,
//! and the farmers' mobile page at `/h5/` (`clients/farmer-h5`, embedded at build time).

use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_poem::{GraphQLBatchRequest, GraphQLBatchResponse, GraphQLProtocol, GraphQLWebSocket};
use poem::http::{StatusCode, header};
use poem::error::CorsError;
use poem::middleware::{Cors, Tracing};
use poem::web::websocket::WebSocket;
use poem::web::{Data, Html};
use poem::{EndpointExt, FromRequest, IntoResponse, Response, Route, get, handler};

use crate::auth::{Caller, TokenKeys};
use crate::graphql::CottonSchema;
use crate::limits::{ClientIp, client_ip};
use crate::state::AppState;

/// Request bodies above this are refused before they are read (uploads included).
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

pub fn caller_from_bearer(value: Option<&str>, keys: &TokenKeys) -> Caller {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Caller::Anonymous;
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    match keys.verify_access(token) {
        Ok(p) => Caller::Authenticated(p),
        Err(msg) => Caller::BadToken(msg),
    }
}

/// A refusal before execution, shaped like a GraphQL response: a Chinese message
/// and the contract's code in `extensions.code`.
pub fn refusal(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    crate::metrics::GRAPHQL_REQUESTS.with_label_values(&["error"]).inc();
    Response::builder().status(status).content_type("application/json; charset=utf-8").body(body.to_string())
}

/// The client's address: the peer, or `X-Forwarded-For` when the peer is a
/// trusted proxy (`COTTON_TRUSTED_PROXIES`).
fn request_ip(req: &poem::Request, state: &AppState) -> Option<ClientIp> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    client_ip(peer, forwarded.as_deref(), &state.config.trusted_proxies).map(ClientIp)
}

/// Errors the GraphQL engine raises itself (syntax, unknown field, limits) carry
/// no code and an English message: they are the caller's input errors, so they
/// get VALIDATION and a Chinese message like ours.
fn engine_errors(resp: &mut async_graphql::Response, state: &AppState) {
    for err in resp.errors.iter_mut() {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "VALIDATION");
            err.message = match err.message.as_str() {
                "Query is too complex." => format!("查询过于复杂：超过复杂度上限 {}，请减少字段或每页条数", state.config.max_complexity),
                "Query is nested too deep." => format!("查询嵌套过深：最多 {} 层", state.config.max_depth),
                m if m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) => m.to_string(),
                m => format!("请求无效：{m}"),
            };
        }
    }
}

#[handler]
async fn graphql_post(
    req: &poem::Request,
    body: poem::Body,
    schema: Data<&CottonSchema>,
    state: Data<&AppState>,
) -> Response {
    // Body limit, before anything is read (uploads included).
    let length = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        None => return refusal(StatusCode::LENGTH_REQUIRED, "VALIDATION", "请求须带 Content-Length 头".into()),
        Some(n) if n > MAX_BODY_BYTES as u64 => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "VALIDATION",
                format!("请求体过大：{} 字节，最大 {} MB", n, MAX_BODY_BYTES / 1024 / 1024),
            );
        }
        Some(_) => {}
    }
    let mut body = poem::web::RequestBody::new(body);
    let batch = match GraphQLBatchRequest::from_request(req, &mut body).await {
        Ok(b) => b.0,
        Err(e) => return refusal(StatusCode::BAD_REQUEST, "VALIDATION", format!("请求无法解析：{e}")),
    };
    if let BatchRequest::Batch(ops) = &batch {
        let max = state.config.max_batch;
        if ops.is_empty() || ops.len() > max {
            return refusal(
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                format!("批量请求须含 1 至 {max} 个操作，本次 {} 个", ops.len()),
            );
        }
    }
    let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let caller = caller_from_bearer(auth, &state.keys);
    let ip = request_ip(req, &state);
    let started = Instant::now();
    let mut batch = batch.data(caller);
    for request in batch.iter_mut() {
        if let Some(ip) = ip {
            request.data.insert(ip);
        }
        crate::graphql::add_loaders(&mut request.data, &state.db);
    }
    let mut resp = schema.execute_batch(batch).await;
    let responses: Vec<&mut async_graphql::Response> = match &mut resp {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(v) => v.iter_mut().collect(),
    };
    crate::metrics::GRAPHQL_DURATION.observe(started.elapsed().as_secs_f64());
    for r in responses {
        engine_errors(r, &state);
        let outcome = if r.errors.is_empty() { "ok" } else { "error" };
        crate::metrics::GRAPHQL_REQUESTS.with_label_values(&[outcome]).inc();
    }
    GraphQLBatchResponse(resp).into_response()
}

#[handler]
async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").title("Cotton Trace 棉花质量追溯平台").finish())
}

#[handler]
async fn graphql_ws(
    req: &poem::Request,
    schema: Data<&CottonSchema>,
    state: Data<&AppState>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let schema = schema.0.clone();
    let keys = state.keys.clone();
    let db = state.db.clone();
    let ip = request_ip(req, &state);
    websocket.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                // {"authorization": "Bearer …"}; a missing or bad token is kept so
                // the subscription itself answers UNAUTHENTICATED with a code.
                let token = ["authorization", "Authorization", "token"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
                let mut data = async_graphql::Data::default();
                data.insert(caller_from_bearer(token, &keys));
                if let Some(ip) = ip {
                    data.insert(ip);
                }
                crate::graphql::add_loaders(&mut data, &db);
                Ok(data)
            })
            .serve()
    })
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(state: Data<&AppState>) -> Response {
    // A database that does not answer within 3 s is as good as down (the pool
    // would otherwise wait its whole checkout timeout for a connection).
    let ping = tokio::time::timeout(std::time::Duration::from_secs(3), state.db.ping());
    if ping.await.unwrap_or(false) {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

#[handler]
fn metrics() -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render())
}

/// The farmers' mobile page (`clients/farmer-h5`): plain files compiled into the binary.
#[handler]
fn h5_file(req: &poem::Request) -> Response {
    let (mime, body): (&str, &'static str) = match req.original_uri().path() {
        "/h5/" | "/h5/index.html" => ("text/html; charset=utf-8", include_str!("../../clients/farmer-h5/index.html")),
        "/h5/app.js" => ("text/javascript; charset=utf-8", include_str!("../../clients/farmer-h5/app.js")),
        "/h5/style.css" => ("text/css; charset=utf-8", include_str!("../../clients/farmer-h5/style.css")),
        "/h5" => return Response::builder().status(StatusCode::FOUND).header(header::LOCATION, "/h5/").finish(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Response::builder().content_type(mime).header(header::CACHE_CONTROL, "no-cache").body(body)
}

pub fn app(state: AppState, schema: CottonSchema) -> impl poem::Endpoint {
    let cors = match std::env::var("COTTON_CORS_ORIGINS").ok().filter(|v| !v.trim().is_empty()) {
        Some(list) => list.split(',').fold(Cors::new(), |c, o| c.allow_origin(o.trim())),
        None => Cors::new(),
    };
    Route::new()
        .at("/graphql", get(graphiql).post(graphql_post))
        .at("/graphql/ws", get(graphql_ws))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
        .at("/h5", get(h5_file))
        .at("/h5/", get(h5_file))
        .at("/h5/:file", get(h5_file))
        .data(schema)
        .data(state)
        .with(cors)
        .catch_error(|_: CorsError| async {
            refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "跨域请求的来源不在允许列表中（COTTON_CORS_ORIGINS）".into())
        })
        .with(Tracing)
}
