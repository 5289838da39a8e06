//! What every service call can reach: the database, the event bus, token keys,
//! the SMS sender, the plugins and the shared quality cache. The server's run-time
//! configuration stays in the API crate (limits, listening address, dev mode).

use std::sync::Arc;

use crate::auth::TokenKeys;
use crate::db::DbPool;
use crate::events::EventBus;
use crate::sms::SmsSender;
use cotton_plugin_host::PluginRegistry;

#[derive(Clone)]
pub struct AppState {
    pub db: DbPool,
    pub bus: EventBus,
    pub keys: TokenKeys,
    pub sms: Arc<dyn SmsSender>,
    /// Driver plugins loaded at start; never unloaded.
    pub plugins: Arc<PluginRegistry>,
    /// Per-unit quality aggregates keyed by `quality_rev` (`aggregate_cache::AggregateCache`).
    pub quality: Arc<crate::aggregate_cache::AggregateCache>,
    /// First uploads of tickets, written in group-commit batches (`tickets::start_commits`).
    pub ticket_commits: crate::group_commit::TicketCommits,
}
