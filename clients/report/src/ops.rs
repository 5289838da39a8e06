//! The report's GraphQL operations, typed by `graphql_client` from
//! `report.graphql` against the workspace's `schema.graphql`.

use graphql_client::GraphQLQuery;

/// The contract's Decimal: a base-10 number in a string, shown as the server writes it.
pub type Decimal = String;
pub type DateTime = String;

#[derive(GraphQLQuery)]
#[graphql(schema_path = "../../schema.graphql", query_path = "src/report.graphql", response_derives = "Debug, Clone, PartialEq")]
pub struct Events;

#[derive(GraphQLQuery)]
#[graphql(schema_path = "../../schema.graphql", query_path = "src/report.graphql", response_derives = "Debug, Clone, PartialEq")]
pub struct AreaReport;

#[derive(GraphQLQuery)]
#[graphql(schema_path = "../../schema.graphql", query_path = "src/report.graphql", response_derives = "Debug, Clone, PartialEq")]
pub struct AreaReportXlsx;

/// Every topic the report follows (all of them: each may change a count).
pub fn all_topics() -> Vec<events::EventTopic> {
    use events::EventTopic::*;
    vec![UNIT_REVIEWED, UNIT_CHANGED, TICKET_UPLOADED, CARD_PRINTED, CARD_FINISHED, BALE_LINKED]
}
