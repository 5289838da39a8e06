//! Counters the services keep; the API registers them with the rest at `/metrics`.

use std::sync::LazyLock;

use prometheus::{Histogram, HistogramOpts, IntCounter};

pub static EVENTS_PUBLISHED: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("cotton_events_published_total", "Live events published").expect("valid metric"));

pub static LOGIN_FAILURES: LazyLock<IntCounter> =
    LazyLock::new(|| IntCounter::new("cotton_login_failures_total", "Failed sign-in attempts").expect("valid metric"));

/// Requests per group-commit transaction (`group_commit`).
pub static GROUP_COMMIT_BATCH: LazyLock<Histogram> = LazyLock::new(|| {
    Histogram::with_opts(
        HistogramOpts::new("cotton_group_commit_batch_size", "Requests written in one group-commit transaction")
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
    )
    .expect("valid metric")
});
