//! What every request can reach: the database, the event bus, token keys, the SMS sender.

use std::sync::Arc;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::db::DbPool;
use crate::events::EventBus;
use crate::sms::SmsSender;
use cotton_plugin_host::PluginRegistry;

#[derive(Clone)]
pub struct AppState {
    pub db: DbPool,
    pub bus: EventBus,
    pub keys: TokenKeys,
    pub config: Arc<Config>,
    pub sms: Arc<dyn SmsSender>,
    /// Driver plugins loaded at start; never unloaded.
    pub plugins: Arc<PluginRegistry>,
    /// Per-unit quality aggregates keyed by `quality_rev` (`quality::AggregateCache`).
    pub quality: Arc<crate::quality::AggregateCache>,
}
