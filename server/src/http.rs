//! HTTP surface: `/graphql` (POST queries and multipart uploads, GET GraphiQL),
//! `/graphql/ws` (subscriptions, both WebSocket protocols), health, readiness, metrics,
//! and the farmers' mobile page at `/h5/` (`clients/farmer-h5`, embedded at build time).

use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_poem::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use poem::http::{HeaderMap, StatusCode, header};
use poem::middleware::{Cors, SizeLimit, Tracing};
use poem::web::websocket::WebSocket;
use poem::web::{Data, Html};
use poem::{EndpointExt, IntoResponse, Response, Route, get, handler};

use crate::auth::{Caller, TokenKeys};
use crate::graphql::CottonSchema;
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

#[handler]
async fn graphql_post(
    schema: Data<&CottonSchema>,
    state: Data<&AppState>,
    headers: &HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let caller = caller_from_bearer(auth, &state.keys);
    let started = Instant::now();
    let mut request = req.0.data(caller);
    crate::graphql::add_loaders(&mut request.data, &state.db);
    let mut resp = schema.execute(request).await;
    // Parse and validation errors from the GraphQL engine carry no code: they are
    // the caller's input errors, so they get VALIDATION like ours.
    for err in resp.errors.iter_mut() {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "VALIDATION");
        }
    }
    crate::metrics::GRAPHQL_DURATION.observe(started.elapsed().as_secs_f64());
    let outcome = if resp.errors.is_empty() { "ok" } else { "error" };
    crate::metrics::GRAPHQL_REQUESTS.with_label_values(&[outcome]).inc();
    resp.into()
}

#[handler]
async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").title("Cotton Trace 棉花质量追溯平台").finish())
}

#[handler]
async fn graphql_ws(
    schema: Data<&CottonSchema>,
    state: Data<&AppState>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let schema = schema.0.clone();
    let keys = state.keys.clone();
    let db = state.db.clone();
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
    if state.db.ping().await {
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
        .at("/graphql", get(graphiql).post(graphql_post.with(SizeLimit::new(MAX_BODY_BYTES))))
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
        .with(Tracing)
}
