//! `cotton-trace bench allocate`: the premium allocation of every unit of a season
//! through `quality::allocate_unit` (what `premiumAllocation`, `myResults` and the
//! reports use), timed — issue 9's "statistics" figure.

use std::time::Instant;

use futures_util::{StreamExt, stream};
use rust_decimal::Decimal;

use super::app;
use crate::Host;

pub async fn run(host: &dyn Host, season: Option<i32>, jobs: Option<usize>) -> anyhow::Result<()> {
    let db = host.open_database().await?;
    let backend = db.backend_name();
    let jobs = jobs.unwrap_or(if backend == "postgres" { 4 } else { 1 }).max(1);
    let mut conn = db.read().await.map_err(app)?;
    let season: i32 = match season {
        Some(s) => s,
        None => cotton_service::db::stats::latest_unit_season(&mut conn)
            .await
            .map_err(app)?
            .ok_or_else(|| anyhow::anyhow!("数据库中没有任何追溯单元"))?,
    };
    let units = cotton_service::db::stats::units_of_season(&mut conn, season).await.map_err(app)?;
    drop(conn);
    println!("bench allocate: {} units of season {season} on {backend} (jobs {jobs})", units.len());
    let queries_before = cotton_service::db::metrics::DB_QUERIES.get();
    let started = Instant::now();
    let results: Vec<anyhow::Result<cotton_service::quality::UnitAllocation>> = stream::iter(units.into_iter().map(|unit| {
        let db = db.clone();
        async move {
            let mut conn = db.read().await.map_err(app)?;
            // No cache: every unit's bales are read and judged (what this measures).
            cotton_service::quality::allocate_unit(&mut conn, None, unit).await.map_err(app)
        }
    }))
    .buffer_unordered(jobs)
    .collect()
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let queries = cotton_service::db::metrics::DB_QUERIES.get() - queries_before;
    let (mut n_units, mut credited, mut legal, mut bales, mut premium_bales) = (0u64, 0u64, 0u64, 0i64, 0i64);
    let (mut premium_kg, mut seed_kg, mut shares_kg) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for r in results {
        let a = r?;
        n_units += 1;
        bales += a.bales;
        premium_bales += a.premium_bales;
        premium_kg += a.premium_kg;
        seed_kg += a.total_seed_kg;
        credited += a.shares.iter().filter(|(_, _, share)| *share > Decimal::ZERO).count() as u64;
        shares_kg += a.shares.iter().map(|(_, _, s)| *s).sum::<Decimal>();
        if let Some(kg) = a.legal_person_kg {
            legal += 1;
            shares_kg += kg;
        }
    }
    // Every kg of Q is credited to someone (largest remainder), or the unit has no premium.
    if shares_kg != premium_kg {
        anyhow::bail!("分配合计 {shares_kg} 与优质棉总量 {premium_kg} 不一致");
    }
    let per_sec = |n: f64| if seconds > 0.0 { n / seconds } else { 0.0 };
    println!(
        "bench allocate: {n_units} units, {credited} growers credited ({legal} legal persons), {bales} bales ({premium_bales} premium, {premium_kg} kg of {seed_kg} kg seed cotton) in {seconds:.3} s — {:.0} bales/s, {:.1} units/s, {queries} SQL statements",
        per_sec(bales as f64),
        per_sec(n_units as f64)
    );
    let line = serde_json::json!({
        "bench": "allocate",
        "backend": backend,
        "season": season,
        "units": n_units,
        "growersCredited": credited,
        "legalPersons": legal,
        "bales": bales,
        "premiumBales": premium_bales,
        "premiumKg": premium_kg.to_string(),
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "balesPerSec": per_sec(bales as f64).round(),
        "unitsPerSec": (per_sec(n_units as f64) * 10.0).round() / 10.0,
        "sqlStatements": queries,
        "jobs": jobs,
    });
    println!("{line}");
    Ok(())
}
