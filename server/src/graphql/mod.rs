//! The GraphQL schema: domain modules contribute Query/Mutation parts, merged here.

pub mod relay;
pub mod scalars;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, MergedObject, Schema};

use crate::auth::{Caller, Principal};
use crate::error::{AppError, AppResult, ErrorCode};
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

pub type CottonSchema = Schema<Query, Mutation, crate::subscriptions::Subscription>;

pub fn build_schema(state: Option<AppState>) -> CottonSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), crate::subscriptions::Subscription)
        .register_output_type::<ErrorCode>();
    if let Some(state) = state {
        let config = state.config.clone();
        builder = builder
            .limit_depth(config.max_depth)
            .limit_complexity(config.max_complexity)
            .data(DataLoader::new(crate::orgs::OrgLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::rosters::GrowerLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::rosters::GrowerPlotsLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::rosters::PlotUnitLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::units::UnitLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::units::UnitPlotsLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::units::ReviewsLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::units::AccountLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::rosters::PlotLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::tickets::TicketLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::tickets::TicketPlotsLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::cards::CardByTicketLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::cards::CardLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::processing::graphql::CardByNoLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::processing::graphql::BalesByCardLoader { db: state.db.clone() }, tokio::spawn))
            .data(DataLoader::new(crate::quality::InspectionLoader { db: state.db.clone() }, tokio::spawn))
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
