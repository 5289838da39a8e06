//! `cotton-trace bench …`: the server side of the benchmarks (issue 9).
//!
//! - `bench generate`: a deterministic synthetic season built through the
//!   production service functions (called in-process), plus `manifest.json` for the
//!   runner in `bench/` (shape: `bench/MANIFEST.md`).
//! - `bench allocate`: the premium allocation of every unit of a season through
//!   the production allocation code, timed.

pub mod allocate;
pub mod generate;
mod plan;
mod progress;

use std::path::PathBuf;

use clap::Subcommand;

use crate::Host;

#[derive(Subcommand, Debug, Clone)]
pub enum BenchCommand {
    /// Build a synthetic season (scale 1.0 = XPCC 2022–23) in an EMPTY database and write the manifest
    Generate {
        /// 1.0 = ~96,000 growers, 290 gins, 78 regiments, ~8.5 million bales
        #[arg(long)]
        scale: f64,
        /// Seed of the synthetic weights and inspection values
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Season (default: the current cotton season)
        #[arg(long)]
        season: Option<i32>,
        /// Where to write the manifest; signed upload files go to `<stem>-files/` next to it
        #[arg(long, default_value = "manifest.json")]
        out: PathBuf,
        /// Lifetime of the access tokens in the manifest (generator only; the server's TTL limit is unchanged)
        #[arg(long, default_value_t = 6)]
        token_ttl_hours: u64,
        /// Enterprises worked on at once (default: 4 on PostgreSQL, 1 on SQLite)
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Premium allocation for every unit of a season (the `premiumAllocation` code), timed
    Allocate {
        /// Season (default: the latest season with units)
        #[arg(long)]
        season: Option<i32>,
        /// Units allocated at once (default: 4 on PostgreSQL, 1 on SQLite)
        #[arg(long)]
        jobs: Option<usize>,
    },
}

pub async fn run(host: &dyn Host, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Generate { scale, seed, season, out, token_ttl_hours, jobs } => {
            generate::run(host, generate::Options { scale, seed, season, out, token_ttl_hours, jobs }).await
        }
        BenchCommand::Allocate { season, jobs } => allocate::run(host, season, jobs).await,
    }
}

/// An `AppError` as an `anyhow` error with its Chinese message.
pub(crate) fn app(e: impl Into<cotton_service::error::AppError>) -> anyhow::Error {
    let e: cotton_service::error::AppError = e.into();
    anyhow::anyhow!("{} ({e:?})", e.message())
}
