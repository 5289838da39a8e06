//! Cotton Trace server (棉花质量追溯平台), the API layer: GraphQL over poem
//! (schema root, resolvers, loaders' wiring), HTTP and WebSocket, the CLI. The
//! services it calls are `cotton-service`; it never names the store or diesel.
//! The demo data and the benchmark's generator are `cotton-devtools` (feature
//! `dev-tools`, on by default).

pub mod config;
pub mod graphql;
pub mod http;
pub mod input_text;
pub mod limits;
pub mod metrics;
pub mod plugins;
pub mod server;
pub mod state;
pub mod upload;
