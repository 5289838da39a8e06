//! The GraphQL schema: domain modules contribute Query/Mutation parts, merged here.

pub mod account_import;
pub mod accounts;
pub mod bale_trace;
pub mod cards;
pub mod errors;
pub mod lines;
pub mod orgs;
pub mod plugins;
pub mod processing;
pub mod quality;
pub mod registration;
pub mod relay;
pub mod reports;
pub mod rosters;
pub mod scalars;
pub mod season;
pub mod subscriptions;
pub mod tickets;
pub mod units;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, ID, MergedObject, Schema};

use cotton_service::auth::{Caller, Principal};
use cotton_service::error::{AppError, AppResult};
use cotton_service::state::AppState;

use crate::config::Config;
use crate::state::ServerState;

#[derive(MergedObject, Default)]
pub struct Query(
    crate::graphql::accounts::AccountQuery,
    crate::graphql::orgs::OrgQuery,
    crate::graphql::season::SeasonQuery,
    crate::graphql::rosters::RosterQuery,
    crate::graphql::units::UnitQuery,
    crate::graphql::tickets::TicketQuery,
    crate::graphql::cards::CardQuery,
    crate::graphql::lines::LineQuery,
    crate::graphql::processing::ProcessingQuery,
    crate::graphql::quality::QualityQuery,
    crate::graphql::bale_trace::BaleTraceQuery,
    crate::graphql::reports::ReportQuery,
    crate::graphql::plugins::PluginQuery,
    crate::graphql::registration::RegistrationQuery,
    crate::graphql::errors::ErrorQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::graphql::accounts::AccountMutation,
    crate::graphql::orgs::OrgMutation,
    crate::graphql::season::SeasonMutation,
    crate::graphql::rosters::RosterMutation,
    crate::graphql::units::UnitMutation,
    crate::graphql::tickets::TicketMutation,
    crate::graphql::cards::CardMutation,
    crate::graphql::lines::LineMutation,
    crate::graphql::processing::ProcessingMutation,
    crate::graphql::quality::QualityMutation,
    crate::graphql::registration::RegistrationMutation,
    crate::graphql::account_import::ImportMutation,
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
    db: cotton_service::db::DbPool,
    lookup: std::marker::PhantomData<fn() -> L>,
}

impl<L: cotton_service::db::batch::BatchLookup> async_graphql::dataloader::Loader<L::Key> for StoreLoader<L> {
    type Value = L::Value;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[L::Key]) -> Result<std::collections::HashMap<L::Key, L::Value>, Self::Error> {
        let mut conn = self.db.read().await.map_err(AppError::from)?;
        Ok(L::lookup(&mut conn, keys).await.map_err(AppError::from)?)
    }
}

pub type Batch<L> = Loader<StoreLoader<L>>;

// The former hand-written DataLoaders under their names, for the areas that
// share them (`Loader<UnitLoader>` is `Batch<UnitsById>`).
pub type UnitLoader = StoreLoader<cotton_service::units::UnitsById>;
pub type CardLoader = StoreLoader<cotton_service::cards::CardsById>;
pub type PlotUnitLoader = StoreLoader<cotton_service::rosters::LiveUnitOfPlot>;
pub type PlotLoader = StoreLoader<cotton_service::rosters::PlotsById>;

fn batch<L: cotton_service::db::batch::BatchLookup>(db: &cotton_service::db::DbPool) -> Batch<L> {
    loader(StoreLoader::<L> { db: db.clone(), lookup: std::marker::PhantomData })
}

fn loader<T: async_graphql::dataloader::Loader<K>, K: Send + Sync + std::hash::Hash + Eq + Clone + 'static>(l: T) -> Loader<T> {
    DataLoader::with_cache(l, tokio::spawn, HashMapCache::default()).delay(loader_delay())
}

/// Adds a fresh set of loaders to a request's (or a connection's) data.
pub fn add_loaders(data: &mut async_graphql::Data, db: &cotton_service::db::DbPool) {
    data.insert(batch::<cotton_service::orgs::OrgsById>(db));
    data.insert(batch::<cotton_service::rosters::GrowersById>(db));
    data.insert(batch::<cotton_service::rosters::PlotsOfGrowerSeason>(db));
    data.insert(batch::<cotton_service::rosters::LiveUnitOfPlot>(db));
    data.insert(batch::<cotton_service::rosters::PlotsById>(db));
    data.insert(batch::<cotton_service::units::UnitsById>(db));
    data.insert(batch::<cotton_service::units::LivePlotsOfUnit>(db));
    data.insert(batch::<cotton_service::units::ReviewsOfUnit>(db));
    data.insert(batch::<cotton_service::units::AccountsById>(db));
    data.insert(batch::<cotton_service::tickets::TicketsById>(db));
    data.insert(batch::<cotton_service::tickets::TicketPlots>(db));
    data.insert(batch::<cotton_service::cards::CardsByTicket>(db));
    data.insert(batch::<cotton_service::cards::CardsById>(db));
    data.insert(batch::<cotton_service::quality::InspectionsByBarcode>(db));
    data.insert(batch::<cotton_service::quality::SeasonRulesBySeason>(db));
    data.insert(batch::<cotton_service::processing::CardsByNo>(db));
    data.insert(batch::<cotton_service::processing::BalesByCard>(db));
    data.insert(batch::<cotton_service::lines::LinesById>(db));
}

pub type CottonSchema = Schema<Query, Mutation, crate::graphql::subscriptions::Subscription>;

pub fn build_schema(state: Option<ServerState>) -> CottonSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), crate::graphql::subscriptions::Subscription);
    if let Some(state) = state {
        let config = state.config.clone();
        let ServerState { app, config: shared_config } = state;
        // Depth is limited by `LimitsExtension` (introspection has its own allowance there).
        builder = builder
            .limit_complexity(config.max_complexity)
            .extension(crate::limits::LimitsExtension(std::sync::Arc::new(crate::limits::Limits::new(config.max_depth, config.max_aliases, config.introspection, &config.sign_in_per_ip, &config.sms_per_ip, &config.public_trace_per_ip))))
            .data(app)
            .data(shared_config);
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
    fn config(&self) -> &Config;
    fn caller(&self) -> &Caller;
    fn principal(&self) -> AppResult<&Principal> {
        self.caller().principal()
    }
}

impl CtxExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }
    fn config(&self) -> &Config {
        self.data_unchecked::<std::sync::Arc<Config>>()
    }
    fn caller(&self) -> &Caller {
        static ANON: Caller = Caller::Anonymous;
        self.data_opt::<Caller>().unwrap_or(&ANON)
    }
}

/// The typed id an `ID` argument names (无效的{what}编号 when malformed).
pub fn typed<T: cotton_service::ids::TypedId>(id: &ID) -> AppResult<T> {
    T::parse(id.as_str())
}

/// The same, naming the object by the argument's role (上级机构, 所属团场).
pub fn typed_as<T: cotton_service::ids::TypedId>(id: &ID, what: &str) -> AppResult<T> {
    T::parse_as(id.as_str(), what)
}
