//! Cotton Trace services (the middle layer): one module per area of the domain —
//! accounts, orgs, rosters, units, season, tickets, cards, lines, processing,
//! quality — each holding the area's authorization, orchestration and units of
//! work. Rules come from `cotton-domain`, data from `cotton-store`; no GraphQL
//! types live here (the API crate, `cotton-trace`, wraps what these return).
//!
//! Areas ask each other's services, never an API type; `tests/tools/layers.py`
//! fails on an import cycle between the modules of this crate.

// The store, re-exported for the API's connection handling and batched loaders:
// the API crate does not depend on `cotton-store` itself (see ARCHITECTURE.md).
pub use cotton_store as db;
pub use cotton_store::audit;
// The rules, re-exported so that the API depends on this crate alone.
pub use cotton_domain as domain;

pub mod access;
pub mod accounts;
pub mod aggregate_cache;
pub mod auth;
pub mod bale_trace;
pub mod cards;
pub mod error;
pub mod events;
pub mod files;
pub mod group_commit;
pub mod ids;
pub mod lines;
pub mod metrics;
pub mod orgs;
pub mod printing;
pub mod privacy;
pub mod processing;
pub mod quality;
pub mod rosters;
pub mod season;
pub mod sms;
pub mod state;
pub mod tickets;
pub mod tx;
pub mod units;
