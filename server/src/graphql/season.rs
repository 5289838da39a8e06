//! Season rules (rules §5) in the API: the `SeasonRules` object and its input.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use cotton_service::domain::season::{SeasonRules, SeasonRulesPatch};
use cotton_service::season;

use crate::graphql::CtxExt;
use crate::graphql::scalars::GqlDecimal;

#[derive(SimpleObject)]
#[graphql(name = "SeasonRules")]
pub struct GqlSeasonRules {
    season: i32,
    min_unit_area_mu: GqlDecimal,
    realtime_window_minutes: i32,
    premium_min_length_mm: GqlDecimal,
    premium_min_strength: GqlDecimal,
    premium_mic_min: GqlDecimal,
    premium_mic_max: GqlDecimal,
    standard_moisture_pct: GqlDecimal,
    standard_trash_pct: GqlDecimal,
    nominal_bale_kg: GqlDecimal,
    /// Cards one scan may carry on IV and V devices (default 10, at most 10).
    cards_per_scan_iv_v: i32,
    /// Cards one scan may carry on VI devices (default 20, at most 100).
    cards_per_scan_vi: i32,
}

impl From<SeasonRules> for GqlSeasonRules {
    fn from(r: SeasonRules) -> Self {
        GqlSeasonRules {
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
            cards_per_scan_iv_v: r.cards_per_scan_iv_v as i32,
            cards_per_scan_vi: r.cards_per_scan_vi as i32,
        }
    }
}

#[derive(InputObject, Default)]
pub struct SeasonRulesInput {
    min_unit_area_mu: Option<GqlDecimal>,
    realtime_window_minutes: Option<i32>,
    premium_min_length_mm: Option<GqlDecimal>,
    premium_min_strength: Option<GqlDecimal>,
    premium_mic_min: Option<GqlDecimal>,
    premium_mic_max: Option<GqlDecimal>,
    standard_moisture_pct: Option<GqlDecimal>,
    standard_trash_pct: Option<GqlDecimal>,
    nominal_bale_kg: Option<GqlDecimal>,
    cards_per_scan_iv_v: Option<i32>,
    cards_per_scan_vi: Option<i32>,
}

impl SeasonRulesInput {
    pub(crate) fn patch(&self) -> SeasonRulesPatch {
        // A negative count becomes 0, which the rules refuse with their own message.
        let count = |v: Option<i32>| v.map(|n| n.max(0) as u32);
        let d = |v: &Option<GqlDecimal>| v.map(|x| x.0);
        SeasonRulesPatch {
            min_unit_area_mu: d(&self.min_unit_area_mu),
            realtime_window_minutes: self.realtime_window_minutes,
            premium_min_length_mm: d(&self.premium_min_length_mm),
            premium_min_strength: d(&self.premium_min_strength),
            premium_mic_min: d(&self.premium_mic_min),
            premium_mic_max: d(&self.premium_mic_max),
            standard_moisture_pct: d(&self.standard_moisture_pct),
            standard_trash_pct: d(&self.standard_trash_pct),
            nominal_bale_kg: d(&self.nominal_bale_kg),
            cards_per_scan_iv_v: count(self.cards_per_scan_iv_v),
            cards_per_scan_vi: count(self.cards_per_scan_vi),
        }
    }
}

#[derive(Default)]
pub struct SeasonQuery;

#[Object]
impl SeasonQuery {
    async fn season_rules(&self, ctx: &Context<'_>, season: i32) -> Result<GqlSeasonRules> {
        let me = ctx.principal()?;
        Ok(season::rules_of(ctx.state(), me, season).await?.into())
    }
}

#[derive(Default)]
pub struct SeasonMutation;

#[Object]
impl SeasonMutation {
    /// Platform admin: changes the given rules of a season; the others stay as they are.
    async fn set_season_rules(&self, ctx: &Context<'_>, season: i32, input: SeasonRulesInput) -> Result<GqlSeasonRules> {
        let me = ctx.principal()?;
        Ok(season::set_rules(ctx.state(), me, season, &input.patch()).await?.into())
    }
}
