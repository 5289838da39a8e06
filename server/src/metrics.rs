//! Prometheus metrics served at `/metrics`.

use std::sync::LazyLock;

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

fn register<T: prometheus::core::Collector + Clone + 'static>(c: T) -> T {
    REGISTRY.register(Box::new(c.clone())).expect("metric registers once");
    c
}

pub static GRAPHQL_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new("cotton_graphql_requests_total", "GraphQL requests served, by outcome"),
            &["outcome"],
        )
        .expect("valid metric"),
    )
});

pub static GRAPHQL_DURATION: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(HistogramOpts::new(
            "cotton_graphql_request_duration_seconds",
            "Time to execute a GraphQL request",
        ))
        .expect("valid metric"),
    )
});

/// Counted by the services (`cotton_service::metrics`), registered here.
pub static EVENTS_PUBLISHED: LazyLock<IntCounter> =
    LazyLock::new(|| register(cotton_service::metrics::EVENTS_PUBLISHED.clone()));

pub static LOGIN_FAILURES: LazyLock<IntCounter> =
    LazyLock::new(|| register(cotton_service::metrics::LOGIN_FAILURES.clone()));

pub static GROUP_COMMIT_BATCH: LazyLock<Histogram> =
    LazyLock::new(|| register(cotton_service::metrics::GROUP_COMMIT_BATCH.clone()));

/// SQL statements sent to the database (what the N+1 test watches); the store counts them.
pub static DB_QUERIES: LazyLock<IntCounter> =
    LazyLock::new(|| register(cotton_service::db::metrics::DB_QUERIES.clone()));

pub fn render() -> String {
    LazyLock::force(&DB_QUERIES);
    // Touch every metric so the names appear before their first use.
    LazyLock::force(&GRAPHQL_REQUESTS);
    LazyLock::force(&GRAPHQL_DURATION);
    LazyLock::force(&EVENTS_PUBLISHED);
    LazyLock::force(&LOGIN_FAILURES);
    LazyLock::force(&GROUP_COMMIT_BATCH);
    let mut buf = Vec::new();
    TextEncoder::new().encode(&REGISTRY.gather(), &mut buf).expect("text encoding");
    String::from_utf8(buf).unwrap_or_default()
}
