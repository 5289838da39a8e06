//! Counters the services keep; the API registers them with the rest at `/metrics`.

use std::sync::LazyLock;

use prometheus::IntCounter;

pub static EVENTS_PUBLISHED: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("cotton_events_published_total", "Live events published").expect("valid metric"));

pub static LOGIN_FAILURES: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("cotton_login_failures_total", "Failed sign-in attempts").expect("valid metric"));
