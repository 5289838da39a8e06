//! `season`: row types and queries.

use chrono::Utc;

use crate::prelude::*;
use crate::schema::*;
use crate::{Dec, DbConn, StoreResult};
use cotton_domain::season::SeasonRules;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = season_rules, primary_key(season))]
pub struct SeasonRulesRow {
    pub season: i32,
    pub min_unit_area_mu: Dec,
    pub realtime_window_minutes: i32,
    pub premium_min_length_mm: Dec,
    pub premium_min_strength: Dec,
    pub premium_mic_min: Dec,
    pub premium_mic_max: Dec,
    pub standard_moisture_pct: Dec,
    pub standard_trash_pct: Dec,
    pub nominal_bale_kg: Dec,
    pub updated_at: chrono::NaiveDateTime,
    pub updated_by: Option<i64>,
    pub cards_per_scan_iv_v: i32,
    pub cards_per_scan_vi: i32,
}

impl SeasonRulesRow {
    pub fn into_rules(self) -> SeasonRules {
        SeasonRules {
            season: self.season,
            min_unit_area_mu: self.min_unit_area_mu.0,
            realtime_window_minutes: self.realtime_window_minutes,
            premium_min_length_mm: self.premium_min_length_mm.0,
            premium_min_strength: self.premium_min_strength.0,
            premium_mic_min: self.premium_mic_min.0,
            premium_mic_max: self.premium_mic_max.0,
            standard_moisture_pct: self.standard_moisture_pct.0,
            standard_trash_pct: self.standard_trash_pct.0,
            nominal_bale_kg: self.nominal_bale_kg.0,
            // CHECK (1..=10 / 1..=100) in the database.
            cards_per_scan_iv_v: self.cards_per_scan_iv_v.max(1) as u32,
            cards_per_scan_vi: self.cards_per_scan_vi.max(1) as u32,
        }
    }

    pub fn from_rules(r: &SeasonRules, by: i64) -> Self {
        SeasonRulesRow {
            season: r.season,
            min_unit_area_mu: r.min_unit_area_mu.into(),
            realtime_window_minutes: r.realtime_window_minutes,
            premium_min_length_mm: r.premium_min_length_mm.into(),
            premium_min_strength: r.premium_min_strength.into(),
            premium_mic_min: r.premium_mic_min.into(),
            premium_mic_max: r.premium_mic_max.into(),
            standard_moisture_pct: r.standard_moisture_pct.into(),
            standard_trash_pct: r.standard_trash_pct.into(),
            nominal_bale_kg: r.nominal_bale_kg.into(),
            updated_at: Utc::now().naive_utc(),
            updated_by: Some(by),
            cards_per_scan_iv_v: r.cards_per_scan_iv_v as i32,
            cards_per_scan_vi: r.cards_per_scan_vi as i32,
        }
    }
}

pub async fn find(conn: &mut DbConn, season: i32) -> StoreResult<Option<SeasonRulesRow>> {
    Ok(db_run!(conn: {
        season_rules::table.find(season).select(SeasonRulesRow::as_select()).first(conn).await.optional()?
    }))
}

/// The stored rules of those of `seasons` that have any, in one statement.
pub async fn find_many(conn: &mut DbConn, seasons: &[i32]) -> StoreResult<Vec<SeasonRulesRow>> {
    let keys = seasons.to_vec();
    Ok(db_run!(conn: {
        season_rules::table.filter(season_rules::season.eq_any(&keys)).select(SeasonRulesRow::as_select()).load(conn).await?
    }))
}

/// Stores the rules of `row.season` (insert or replace).
pub async fn upsert(conn: &mut DbConn, row: &SeasonRulesRow) -> StoreResult<()> {
    db_run!(conn: {
        diesel::insert_into(season_rules::table)
            .values(row)
            .on_conflict(season_rules::season)
            .do_update()
            .set(row)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A new `quality_rev` for every unit of `season` (their cached quality
/// aggregates are judged by the season's rules).
pub async fn bump_units_quality_rev(conn: &mut DbConn, season: i32) -> StoreResult<()> {
    db_run!(conn: {
        diesel::update(trace_units::table.filter(trace_units::season.eq(season)))
            .set(trace_units::quality_rev.eq(trace_units::quality_rev + 1))
            .execute(conn)
            .await?;
    });
    Ok(())
}
