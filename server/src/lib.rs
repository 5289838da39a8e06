//! Cotton Trace server (棉花质量追溯平台): GraphQL over poem, SQLite or PostgreSQL.

// The store: pools, schema and queries (the only crate that knows diesel).
pub use cotton_store as db;
pub use cotton_store::audit;

pub mod accounts;
pub mod auth;
pub mod bench;
pub mod cards;
pub mod config;
pub mod demo;
pub mod demo_season;
pub mod error;
pub mod events;
pub mod files;
pub mod graphql;
pub mod http;
pub mod input_text;
pub mod limits;
pub mod lines;
pub mod metrics;
pub mod orgs;
pub mod plugins;
pub mod printing;
pub mod privacy;
pub mod processing;
pub mod quality;
pub mod rosters;
pub mod season;
pub mod server;
pub mod sms;
pub mod state;
pub mod subscriptions;
pub mod tickets;
pub mod tx;
pub mod units;
