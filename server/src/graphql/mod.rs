//! The GraphQL schema: domain modules contribute Query/Mutation parts, merged here.

pub mod relay;
pub mod scalars;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, ID, MergedObject, Schema};

use crate::auth::{Caller, Principal};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(
    crate::accounts::graphql::AccountQuery,
    crate::orgs::graphql::OrgQuery,
    crate::season::SeasonQuery,
    crate::rosters::graphql::RosterQuery,
    crate::units::graphql::UnitQuery,
    crate::tickets::graphql::TicketQuery,
    crate::cards::graphql::CardQuery,
    crate::lines::graphql::LineQuery,
    crate::processing::graphql::ProcessingQuery,
    crate::quality::graphql::QualityQuery,
    crate::quality::reports::ReportQuery,
    crate::plugins::PluginQuery,
    crate::accounts::registration::RegistrationQuery,
    crate::error::ErrorQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::accounts::graphql::AccountMutation,
    crate::orgs::graphql::OrgMutation,
    crate::season::SeasonMutation,
    crate::rosters::graphql::RosterMutation,
    crate::units::graphql::UnitMutation,
    crate::tickets::graphql::TicketMutation,
    crate::cards::graphql::CardMutation,
    crate::lines::graphql::LineMutation,
    crate::processing::graphql::ProcessingMutation,
    crate::quality::graphql::QualityMutation,
    crate::accounts::registration::RegistrationMutation,
    crate::accounts::import::ImportMutation,
);

/// How long a DataLoader waits to collect keys before one batched query:
/// `COTTON_LOADER_DELAY_MS`, default 0. At zero the batch task runs once the
/// request's task yields, after sibling resolvers of a list have registered
/// their keys in the same poll (and lists prime the loaders anyway). The former
/// fixed 2 ms cost every nested single-key lookup 2–3 ms (README "Performance").
fn loader_delay() -> std::time::Duration {
    static DELAY: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| {
        let ms = std::env::var("COTTON_LOADER_DELAY_MS").ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
        std::time::Duration::from_millis(ms.min(50))
    })
}

/// The DataLoaders, one set per request (per WebSocket connection for operations
/// sent over it), each with a cache, so lists can prime them in bulk and nested
/// fields never query twice for the same key.
pub type Loader<T> = DataLoader<T, HashMapCache>;

/// The one DataLoader over the store's batched lookups: `Batch<OrgsById>` loads
/// orgs by id with one query per batch.
pub struct StoreLoader<L> {
    db: crate::db::DbPool,
    lookup: std::marker::PhantomData<fn() -> L>,
}

impl<L: cotton_store::batch::BatchLookup> async_graphql::dataloader::Loader<L::Key> for StoreLoader<L> {
    type Value = L::Value;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[L::Key]) -> Result<std::collections::HashMap<L::Key, L::Value>, Self::Error> {
        let mut conn = self.db.read().await.map_err(AppError::from)?;
        Ok(L::lookup(&mut conn, keys).await.map_err(AppError::from)?)
    }
}

pub type Batch<L> = Loader<StoreLoader<L>>;

fn batch<L: cotton_store::batch::BatchLookup>(db: &crate::db::DbPool) -> Batch<L> {
    loader(StoreLoader::<L> { db: db.clone(), lookup: std::marker::PhantomData })
}

fn loader<T: async_graphql::dataloader::Loader<K>, K: Send + Sync + std::hash::Hash + Eq + Clone + 'static>(l: T) -> Loader<T> {
    DataLoader::with_cache(l, tokio::spawn, HashMapCache::default()).delay(loader_delay())
}

/// Adds a fresh set of loaders to a request's (or a connection's) data.
pub fn add_loaders(data: &mut async_graphql::Data, db: &crate::db::DbPool) {
    data.insert(batch::<crate::orgs::OrgsById>(db));
    data.insert(batch::<crate::rosters::GrowersById>(db));
    data.insert(batch::<crate::rosters::PlotsOfGrowerSeason>(db));
    data.insert(batch::<crate::rosters::LiveUnitOfPlot>(db));
    data.insert(batch::<crate::rosters::PlotsById>(db));
    data.insert(batch::<crate::units::UnitsById>(db));
    data.insert(batch::<crate::units::LivePlotsOfUnit>(db));
    data.insert(batch::<crate::units::ReviewsOfUnit>(db));
    data.insert(batch::<crate::units::AccountsById>(db));
    data.insert(batch::<crate::tickets::TicketsById>(db));
    data.insert(batch::<crate::tickets::TicketPlots>(db));
    data.insert(batch::<crate::cards::CardsByTicket>(db));
    data.insert(batch::<crate::cards::CardsById>(db));
    data.insert(batch::<crate::quality::InspectionsByBarcode>(db));
    data.insert(batch::<crate::quality::SeasonRulesBySeason>(db));
    data.insert(batch::<crate::processing::CardsByNo>(db));
    data.insert(batch::<crate::processing::BalesByCard>(db));
    data.insert(batch::<crate::lines::LinesById>(db));
}

pub type CottonSchema = Schema<Query, Mutation, crate::subscriptions::Subscription>;

pub fn build_schema(state: Option<AppState>) -> CottonSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), crate::subscriptions::Subscription);
    if let Some(state) = state {
        let config = state.config.clone();
        // Depth is limited by `LimitsExtension` (introspection has its own allowance there).
        builder = builder
            .limit_complexity(config.max_complexity)
            .extension(crate::limits::LimitsExtension(std::sync::Arc::new(crate::limits::Limits::new(config.max_depth, config.max_aliases, config.introspection, &config.sign_in_per_ip, &config.sms_per_ip))))
            .data(state);
        if !config.introspection {
            builder = builder.disable_introspection();
        }
    }
    builder.finish()
}

/// The SDL that `export-schema` writes and the drift test compares.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

pub trait CtxExt {
    fn state(&self) -> &AppState;
    fn caller(&self) -> &Caller;
    fn principal(&self) -> AppResult<&Principal> {
        self.caller().principal()
    }
}

impl CtxExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }
    fn caller(&self) -> &Caller {
        static ANON: Caller = Caller::Anonymous;
        self.data_opt::<Caller>().unwrap_or(&ANON)
    }
}

pub fn parse_id(id: &ID, what: &str) -> AppResult<i64> {
    id.parse::<i64>().map_err(|_| AppError::Validation(format!("无效的{what}编号：{}", id.as_str())))
}
