//! Fault tests (issue 10): the real `cotton-trace` server process killed with
//! SIGKILL under sustained writes and restarted on the same database
//! (PostgreSQL and SQLite, whose crashed file is checked too), and a private
//! PostgreSQL cluster stopped `-m immediate` and started again under load.
//!
//! A binary of its own (`cargo test -p cotton-trace --test faults -j 2`), so
//! it does not compete with the API tests. Every test prints its counts.

#[macro_use]
#[path = "../api/harness.rs"]
mod harness;

/// The ginning fixture of the API tests (plugins, roster, approved units, tickets).
#[path = "../api/ginning.rs"]
mod ginning;

mod client;
mod kill9;
mod pg_restart;
mod private_pg;
