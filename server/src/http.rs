//! HTTP surface: `/graphql` (POST queries and multipart uploads, GET GraphiQL with
//! its assets under `/graphql/assets/`), `/graphql/ws` (subscriptions, both WebSocket
//! protocols), health, readiness, metrics, the farmers' mobile page at `/h5/`
//! (`clients/farmer-h5`) and the public bale trace page at `/t/<barcode>`
//! (`clients/bale-trace`), both embedded at build time.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_graphql::BatchRequest;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_poem::{GraphQLBatchRequest, GraphQLProtocol, GraphQLWebSocket};
use futures_util::{SinkExt, StreamExt};
use poem::error::CorsError;
use poem::http::{StatusCode, header};
use poem::middleware::{Cors, Tracing};
use poem::web::websocket::{Message, WebSocket};
use poem::web::{Data, Html};
use poem::{EndpointExt, FromRequest, IntoResponse, Response, Route, get, handler};
use serde_json::Value;

use cotton_service::auth::{Caller, TokenKeys};
use crate::config::Config;
use crate::graphql::CottonSchema;
use crate::limits::{ClientIp, client_ip};
use crate::state::ServerState;

/// Request bodies above this are refused (uploads included): from `Content-Length`
/// before anything is read, and while the body streams when it has none (chunked).
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// The request body, cut off after [`MAX_BODY_BYTES`] while it streams, by
/// `http_body_util::Limited` (the body wrapper tower-http's `RequestBodyLimit` is
/// built on). The reader then sees an I/O error; `cut` tells the handler it was the
/// limit (see docs/decisions.md, issue 17).
fn limited_body(body: poem::Body, cut: Arc<AtomicBool>) -> poem::Body {
    use http_body_util::BodyExt;
    type BoxBody = http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error>;
    let inner: BoxBody = body.into();
    let limited = http_body_util::Limited::new(inner, MAX_BODY_BYTES).map_err(move |e| {
        if e.is::<http_body_util::LengthLimitError>() {
            cut.store(true, Ordering::SeqCst);
        }
        std::io::Error::other(e)
    });
    poem::Body::from(BoxBody::new(limited))
}

fn too_large(declared: Option<u64>) -> Response {
    let size = declared.map(|n| format!("{n} 字节")).unwrap_or_else(|| format!("超过 {MAX_BODY_BYTES} 字节"));
    refusal(StatusCode::PAYLOAD_TOO_LARGE, "VALIDATION", format!("请求体过大：{size}，最大 {} MB", MAX_BODY_BYTES / 1024 / 1024))
}

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
fn request_ip(req: &poem::Request, state: &ServerState) -> Option<ClientIp> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    client_ip(peer, forwarded.as_deref(), &state.config.trusted_proxies).map(ClientIp)
}

/// Finishes one GraphQL response (HTTP or WebSocket), as JSON:
/// - errors the GraphQL engine raises itself (syntax, unknown field, a wrong
///   argument type, complexity) carry no code and an English message: they are the
///   caller's input errors, so they get `VALIDATION` and a Chinese message like ours;
/// - a *request error* — refused before execution, so no error has a `path` and
///   `data` is null — loses `data` altogether, as the GraphQL spec says ("If an error
///   was raised before execution begins, the data entry should not be present").
///   A field error keeps `data` (null when it reached a non-null root field).
///
/// Returns true when the response has errors.
pub fn finish_response(resp: &mut Value, config: &Config) -> bool {
    let Some(obj) = resp.as_object_mut() else { return false };
    let Some(errors) = obj.get_mut("errors").and_then(Value::as_array_mut).filter(|e| !e.is_empty()) else {
        return false;
    };
    let mut request_error = true;
    for err in errors.iter_mut() {
        let Some(err) = err.as_object_mut() else { continue };
        if err.get("path").and_then(Value::as_array).is_some_and(|p| !p.is_empty()) {
            request_error = false;
        }
        let ext = err.entry("extensions").or_insert_with(|| Value::Object(Default::default()));
        if !ext.is_object() {
            *ext = Value::Object(Default::default());
        }
        if ext.get("code").is_none() {
            ext["code"] = "VALIDATION".into();
            let message = err.get("message").and_then(Value::as_str).unwrap_or_default();
            let chinese = match message {
                "Query is too complex." => format!("查询过于复杂：超过复杂度上限 {}，请减少字段或每页条数", config.max_complexity),
                m if m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) => m.to_string(),
                m => format!("请求无效：{m}"),
            };
            err.insert("message".into(), chinese.into());
        }
    }
    if request_error && obj.get("data").is_none_or(Value::is_null) {
        obj.remove("data");
    }
    true
}

fn json_response(status: StatusCode, body: &Value, headers: &poem::http::HeaderMap) -> Response {
    let mut resp = Response::builder().status(status).content_type("application/json").body(body.to_string());
    resp.headers_mut().extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    resp
}

#[handler]
async fn graphql_post(
    req: &poem::Request,
    body: poem::Body,
    schema: Data<&CottonSchema>,
    state: Data<&ServerState>,
) -> Response {
    // Body limit: a declared length above it is refused before anything is read; a
    // body without one (chunked) is accepted and cut off while it streams.
    let length = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = length.filter(|n| *n > MAX_BODY_BYTES as u64) {
        return too_large(Some(n));
    }
    let cut = Arc::new(AtomicBool::new(false));
    let mut body = poem::web::RequestBody::new(limited_body(body, cut.clone()));
    let batch = match GraphQLBatchRequest::from_request(req, &mut body).await {
        Ok(b) => b.0,
        Err(_) if cut.load(Ordering::SeqCst) => return too_large(None),
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
    let resp = schema.execute_batch(batch).await;
    crate::metrics::GRAPHQL_DURATION.observe(started.elapsed().as_secs_f64());
    let headers = resp.http_headers();
    let mut json = serde_json::to_value(&resp).unwrap_or_else(|e| {
        tracing::error!(error = %e, "GraphQL response not serialisable");
        serde_json::json!({ "errors": [{ "message": "服务器内部错误", "extensions": { "code": "INTERNAL" } }] })
    });
    let responses: Vec<&mut Value> = match &mut json {
        Value::Array(v) => v.iter_mut().collect(),
        one => vec![one],
    };
    for r in responses {
        let outcome = if finish_response(r, &state.config) { "error" } else { "ok" };
        crate::metrics::GRAPHQL_REQUESTS.with_label_values(&[outcome]).inc();
    }
    json_response(StatusCode::OK, &json, &headers)
}

const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql/index.html");

#[handler]
fn graphiql() -> Html<&'static str> {
    Html(GRAPHIQL_HTML)
}

/// GraphiQL's scripts and styles (`server/assets/graphiql`, versions and licences
/// in its README), compiled in: the page loads nothing from another host.
#[handler]
fn graphiql_asset(req: &poem::Request) -> Response {
    let path = req.original_uri().path();
    let (mime, body): (&str, &'static [u8]) = match path.strip_prefix("/graphql/assets/").unwrap_or("") {
        "graphiql.min.js" => ("text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.js")),
        "graphiql.min.css" => ("text/css; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.css")),
        "react.production.min.js" => ("text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/react.production.min.js")),
        "react-dom.production.min.js" => ("text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/react-dom.production.min.js")),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    // The files change only with the binary; an hour keeps a restarted upgrade visible soon.
    Response::builder().content_type(mime).header(header::CACHE_CONTROL, "public, max-age=3600").body(body)
}

/// What the server sends on a WebSocket, finished like an HTTP response: engine
/// errors get their code ([`finish_response`]); on `graphql-transport-ws` a request
/// error becomes an `error` message (the protocol's answer to an operation refused
/// before it runs, with no `complete` after it); a `connection_init` with a bad or
/// expired token closes the socket with 4403 Forbidden (the legacy `graphql-ws`
/// protocol has no close codes: it gets `connection_error` with `UNAUTHENTICATED`).
struct WsOut {
    transport_ws: bool,
    config: Arc<Config>,
    /// Set by `on_connection_init` when the token it got is bad or expired.
    bad_token: Arc<AtomicBool>,
    /// Operations answered with an `error` message: their `complete` is dropped.
    errored: HashSet<String>,
}

impl WsOut {
    fn map(&mut self, msg: Message) -> Vec<Message> {
        match msg {
            Message::Close(Some((code, reason))) if self.transport_ws && u16::from(code) == 1002 && self.bad_token.load(Ordering::SeqCst) => {
                let reason = format!("Forbidden: {reason}");
                let mut cut = reason.len().min(123);
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                vec![Message::close_with(4403u16, &reason[..cut])]
            }
            Message::Text(text) => self.map_text(text).into_iter().collect(),
            other => vec![other],
        }
    }

    fn map_text(&mut self, text: String) -> Option<Message> {
        // Events and acks without errors pass untouched (and unparsed).
        if !text.contains("\"errors\"") && !text.contains("\"complete\"") && !text.contains("\"connection_error\"") {
            return Some(Message::Text(text));
        }
        let Ok(mut v) = serde_json::from_str::<Value>(&text) else { return Some(Message::Text(text)) };
        let id = v["id"].as_str().unwrap_or_default().to_string();
        match v["type"].as_str().unwrap_or_default() {
            "next" | "data" => {
                let payload = &mut v["payload"];
                finish_response(payload, &self.config);
                let request_error = payload.get("errors").is_some() && payload.get("data").is_none();
                if self.transport_ws && request_error {
                    self.errored.insert(id.clone());
                    let errors = payload["errors"].take();
                    v = serde_json::json!({ "type": "error", "id": id, "payload": errors });
                }
            }
            "complete" if self.errored.remove(&id) => return None,
            "connection_error" if self.bad_token.load(Ordering::SeqCst) => {
                v["payload"]["extensions"] = serde_json::json!({ "code": "UNAUTHENTICATED" });
            }
            _ => return Some(Message::Text(text)),
        }
        Some(Message::Text(v.to_string()))
    }
}
/// One subscriber's socket: small buffers (tungstenite's default 128 KiB read
/// buffer, zero-filled on the first read, made 10,000 subscribers cost 1.4 GB:
/// issue 19's benchmark), and incoming messages bounded like a request body
/// (a GraphQL operation, not a file).
fn ws_config() -> poem::web::websocket::WebSocketConfig {
    poem::web::websocket::WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

#[handler]
async fn graphql_ws(
    req: &poem::Request,
    schema: Data<&CottonSchema>,
    state: Data<&ServerState>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let schema = schema.0.clone();
    let keys = state.keys.clone();
    let db = state.db.clone();
    let ip = request_ip(req, &state);
    let config = state.config.clone();
    let transport_ws = protocol.0 == async_graphql::http::WebSocketProtocols::GraphQLWS;
    websocket.protocols(ALL_WEBSOCKET_PROTOCOLS).config(ws_config()).on_upgrade(move |socket| {
        let bad_token = Arc::new(AtomicBool::new(false));
        let mut out = WsOut { transport_ws, config, bad_token: bad_token.clone(), errored: HashSet::new() };
        let (sink, stream) = socket.split();
        let sink = sink.with_flat_map(move |msg| futures_util::stream::iter(out.map(msg).into_iter().map(Ok)));
        GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                // {"authorization": "Bearer …"}. No token: an anonymous connection
                // (its subscriptions answer UNAUTHENTICATED); a bad or expired one
                // closes the socket (4403, see WsOut).
                let token = ["authorization", "Authorization", "token"]
                    .iter()
                    .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
                let caller = caller_from_bearer(token, &keys);
                if let Caller::BadToken(msg) = &caller {
                    bad_token.store(true, Ordering::SeqCst);
                    return Err(async_graphql::Error::new(msg.clone()));
                }
                let mut data = async_graphql::Data::default();
                data.insert(caller);
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
async fn readyz(state: Data<&ServerState>) -> Response {
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

/// The public bale trace page (`clients/bale-trace`), what a bale tag's QR code
/// opens: `/t/<barcode>` is the page (it reads the barcode from its address and
/// asks `baleTrace`), `/t/_/…` its files (`_` is never a barcode character);
/// `/t/` alone offers a form to type a barcode.
#[handler]
fn bale_trace_file(req: &poem::Request) -> Response {
    let path = req.original_uri().path();
    let (mime, body): (&str, &'static str) = match path.strip_prefix("/t/_/") {
        Some("app.js") => ("text/javascript; charset=utf-8", include_str!("../../clients/bale-trace/app.js")),
        Some("style.css") => ("text/css; charset=utf-8", include_str!("../../clients/bale-trace/style.css")),
        Some(_) => return StatusCode::NOT_FOUND.into_response(),
        None if path == "/t" => return Response::builder().status(StatusCode::FOUND).header(header::LOCATION, "/t/").finish(),
        None => ("text/html; charset=utf-8", include_str!("../../clients/bale-trace/index.html")),
    };
    Response::builder().content_type(mime).header(header::CACHE_CONTROL, "no-cache").body(body)
}

pub fn app(state: ServerState, schema: CottonSchema) -> impl poem::Endpoint {
    let cors = match std::env::var("COTTON_CORS_ORIGINS").ok().filter(|v| !v.trim().is_empty()) {
        Some(list) => list.split(',').fold(Cors::new(), |c, o| c.allow_origin(o.trim())),
        None => Cors::new(),
    };
    Route::new()
        .at("/graphql", get(graphiql).post(graphql_post))
        .at("/graphql/ws", get(graphql_ws))
        .at("/graphql/assets/:file", get(graphiql_asset))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
        .at("/h5", get(h5_file))
        .at("/h5/", get(h5_file))
        .at("/h5/:file", get(h5_file))
        .at("/t", get(bale_trace_file))
        .at("/t/", get(bale_trace_file))
        .at("/t/:barcode", get(bale_trace_file))
        .at("/t/_/:file", get(bale_trace_file))
        .data(schema)
        .data(state)
        .with(cors)
        .catch_error(|_: CorsError| async {
            refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "跨域请求的来源不在允许列表中（COTTON_CORS_ORIGINS）".into())
        })
        .with(Tracing)
}
