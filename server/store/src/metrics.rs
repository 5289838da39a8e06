//! The store's one metric: every SQL statement sent, on every connection (the
//! N+1 tests watch it). The API registers [`DB_QUERIES`] with its registry.

use std::sync::LazyLock;

use prometheus::IntCounter;

/// SQL statements sent to the database.
pub static DB_QUERIES: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new("cotton_db_queries_total", "SQL statements executed").expect("valid metric")
});

/// Counts every statement on every connection (installed as diesel's default instrumentation).
struct QueryCounter;

impl diesel::connection::Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
            DB_QUERIES.inc();
            // The statement only: diesel's rendering appends the bind values
            // (password hashes, ID numbers, keys), which must not reach a log.
            if tracing::enabled!(target: "cotton_trace::sql", tracing::Level::TRACE) {
                let text = query.to_string();
                let sql = text.split(" -- binds: ").next().unwrap_or_default();
                tracing::trace!(target: "cotton_trace::sql", "{sql}");
            }
        }
    }
}

pub fn install_query_counter() {
    let _ = diesel::connection::set_default_instrumentation(|| Some(Box::new(QueryCounter)));
}
