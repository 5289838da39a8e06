//! HTTP integration tests: every test runs a real `cotton-trace` server process
//! and talks to it over HTTP / WebSocket, on SQLite and on PostgreSQL.
//!
//! PostgreSQL: `COTTON_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! When it is unreachable the postgres variants are skipped, unless `CI=true`.

#[macro_use]
mod harness;
/// Headless Chromium over the DevTools protocol (shared with the farmers' page test).
#[path = "../../clients/farmer-h5/tests/cdp/mod.rs"]
mod cdp;

mod accounts;
mod authz;
mod bale_trace;
mod bench_generate;
mod audit;
mod cards;
mod connections;
mod default_printer;
mod demo_ginning;
mod events;
mod frontend;
mod graphiql;
mod ginning;
mod import;
mod import_bombs;
mod input_text;
mod limits;
mod masking;
mod my_results;
mod lines;
mod orgs;
mod plugin_crash;
mod plugin_jobs;
mod protocol;
mod registration;
mod rosters;
mod rosters_edit;
mod demo_sample;
mod rule_holes;
mod season;
mod server;
mod tickets;
mod unit_events;
mod unit_fixtures;
mod units;
mod processing;
mod processing_fixture;
mod quality;
