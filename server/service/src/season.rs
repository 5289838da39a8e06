//! Season rules (rules §5): set by the platform admin per season; the defaults apply
//! to a season nobody has set.

use cotton_domain::season::{SeasonRules, SeasonRulesPatch, validate_season};


use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::auth::Principal;
use crate::state::AppState;

pub use cotton_store::season::{SeasonRulesRow};

/// The rules in force for `season` given its stored row, if any.
pub(crate) fn rules_or_defaults(row: Option<SeasonRulesRow>, season: i32) -> SeasonRules {
    row.map(SeasonRulesRow::into_rules).unwrap_or_else(|| SeasonRules::defaults(season))
}

/// The rules in force for each of `seasons`, in one statement.
pub async fn rules_for_seasons(conn: &mut DbConn, seasons: &[i32]) -> AppResult<std::collections::HashMap<i32, SeasonRules>> {
    let rows: Vec<SeasonRulesRow> = cotton_store::season::find_many(conn, seasons).await?;
    let mut out: std::collections::HashMap<i32, SeasonRules> = rows.into_iter().map(|r| (r.season, r.into_rules())).collect();
    for &s in seasons {
        out.entry(s).or_insert_with(|| SeasonRules::defaults(s));
    }
    Ok(out)
}

/// The rules in force for `season`: the stored ones, else the defaults.
pub async fn rules_for(conn: &mut DbConn, season: i32) -> AppResult<SeasonRules> {
    let row: Option<SeasonRulesRow> = cotton_store::season::find(conn, season).await?;
    Ok(row.map(SeasonRulesRow::into_rules).unwrap_or_else(|| SeasonRules::defaults(season)))
}

/// The cotton season a date falls in: from August on, that year's; before, the last.
pub fn current_season() -> i32 {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    if now.month() >= 8 { now.year() } else { now.year() - 1 }
}

/// `seasonRules`: any signed-in account reads the rules of a season.
pub async fn rules_of(state: &AppState, _me: &Principal, season: i32) -> AppResult<SeasonRules> {
    let season = validate_season(season)?;
    let mut conn = state.db.read().await?;
    rules_for(&mut conn, season).await
}

/// `setSeasonRules`: the platform admin changes the given rules of a season; the
/// others stay as they are.
pub async fn set_rules(state: &AppState, me: &Principal, season: i32, patch: &SeasonRulesPatch) -> AppResult<SeasonRules> {
    if !me.scope.is_admin() {
        return Err(AppError::Forbidden("只有平台管理员可以设置年度规则".into()));
    }
    let season = validate_season(season)?;
    let mut conn = state.db.write().await?;
    let current = rules_for(&mut conn, season).await?;
    let next = current.apply(patch)?;
    let row = SeasonRulesRow::from_rules(&next, me.account_id);
    // With the rules, every unit of the season gets a new quality_rev (premium is
    // judged by these rules: the cached quality aggregates are stale).
    let mut tx = crate::tx::Tx::begin(state, &mut conn).await?;
    let written: AppResult<()> = async {
        cotton_store::season::upsert(tx.conn(), &row).await?;
        cotton_store::season::bump_units_quality_rev(tx.conn(), season).await?;
        Ok(())
    }
    .await;
    tx.finish(written).await?;
    Ok(next)
}
