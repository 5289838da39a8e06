//! Per-season rules set by the platform admin (rules §5).

use crate::{RuleError, decimal_places};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Seasons the platform accepts.
pub const SEASON_RANGE: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Checks a season year (2000..=2100).
pub fn validate_season(season: i32) -> Result<i32, RuleError> {
    if SEASON_RANGE.contains(&season) {
        Ok(season)
    } else {
        Err(RuleError::invalid(format!(
            "棉花年度应在{}年至{}年之间，当前为{season}",
            SEASON_RANGE.start(),
            SEASON_RANGE.end()
        )))
    }
}

/// The rules of one season. Percentages are plain numbers (8.5 means 8.5 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeasonRules {
    /// Season year, e.g. 2026.
    pub season: i32,
    /// Minimum total plot area of a trace unit, mu. Default 500.
    pub min_unit_area_mu: Decimal,
    /// Minutes after gross weighing within which a ticket must be uploaded. Default 30.
    pub realtime_window_minutes: i32,
    /// Premium cotton: minimum fibre length, mm. Default 29.
    pub premium_min_length_mm: Decimal,
    /// Premium cotton: minimum breaking strength, cN/tex. Default 29.
    pub premium_min_strength: Decimal,
    /// Premium cotton: lowest micronaire (inclusive). Default 3.7.
    pub premium_mic_min: Decimal,
    /// Premium cotton: highest micronaire (inclusive). Default 4.9.
    pub premium_mic_max: Decimal,
    /// Standard moisture regain R0, %. Default 8.5 (GB 1103.1).
    pub standard_moisture_pct: Decimal,
    /// Standard trash content Z0, %. Default 2.5 (GB 1103.1).
    pub standard_trash_pct: Decimal,
    /// Nominal bale weight, kg. Default 227.
    pub nominal_bale_kg: Decimal,
    /// Cards one scan may carry on IV and V devices. Default 10 (the manual);
    /// at most [`MAX_CARDS_PER_SCAN_IV_V`].
    pub cards_per_scan_iv_v: u32,
    /// Cards one scan may carry on VI devices. Default 20 (the manual); at most
    /// [`MAX_CARDS_PER_SCAN_VI`].
    pub cards_per_scan_vi: u32,
}

/// Highest cards-per-scan rule of IV and V devices: the IV device's scan record
/// has 10 card slots, so the rule may only lower the manual's 10.
pub const MAX_CARDS_PER_SCAN_IV_V: u32 = 10;
/// Highest cards-per-scan rule of VI devices (one online request).
pub const MAX_CARDS_PER_SCAN_VI: u32 = 100;

/// A partial update of [`SeasonRules`]: `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeasonRulesPatch {
    pub min_unit_area_mu: Option<Decimal>,
    pub realtime_window_minutes: Option<i32>,
    pub premium_min_length_mm: Option<Decimal>,
    pub premium_min_strength: Option<Decimal>,
    pub premium_mic_min: Option<Decimal>,
    pub premium_mic_max: Option<Decimal>,
    pub standard_moisture_pct: Option<Decimal>,
    pub standard_trash_pct: Option<Decimal>,
    pub nominal_bale_kg: Option<Decimal>,
    pub cards_per_scan_iv_v: Option<u32>,
    pub cards_per_scan_vi: Option<u32>,
}

fn positive_max_2dp(v: Decimal, what: &str, unit: &str) -> Result<(), RuleError> {
    if v <= Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "{what}必须大于0{unit}，当前为{v}"
        )));
    }
    if decimal_places(v) > 2 {
        return Err(RuleError::invalid(format!(
            "{what}最多保留2位小数，当前为{v}"
        )));
    }
    Ok(())
}

/// `lo < v < hi` (both exclusive).
fn open_range(v: Decimal, lo: Decimal, hi: Decimal, what: &str) -> Result<(), RuleError> {
    if v > lo && v < hi {
        Ok(())
    } else {
        Err(RuleError::invalid(format!(
            "{what}必须大于{lo}且小于{hi}，当前为{v}"
        )))
    }
}

/// `lo <= v < hi`.
fn half_open_range(v: Decimal, lo: Decimal, hi: Decimal, what: &str) -> Result<(), RuleError> {
    if v >= lo && v < hi {
        Ok(())
    } else {
        Err(RuleError::invalid(format!(
            "{what}必须不小于{lo}且小于{hi}，当前为{v}"
        )))
    }
}

impl SeasonRules {
    /// The default rules of rules §5 for `season` (the season is not validated
    /// here; see [`validate_season`]).
    pub fn defaults(season: i32) -> Self {
        SeasonRules {
            season,
            min_unit_area_mu: Decimal::from(500),
            realtime_window_minutes: 30,
            premium_min_length_mm: Decimal::from(29),
            premium_min_strength: Decimal::from(29),
            premium_mic_min: Decimal::new(37, 1),
            premium_mic_max: Decimal::new(49, 1),
            standard_moisture_pct: Decimal::new(85, 1),
            standard_trash_pct: Decimal::new(25, 1),
            nominal_bale_kg: Decimal::from(227),
            cards_per_scan_iv_v: crate::processing::MAX_CARDS_PER_SCAN_FILE as u32,
            cards_per_scan_vi: crate::processing::MAX_CARDS_PER_SCAN_ONLINE as u32,
        }
    }

    /// Cards one scan may carry on a device of `model` this season.
    pub fn cards_per_scan(&self, model: crate::processing::CollectorModel) -> usize {
        (if model.is_online() { self.cards_per_scan_vi } else { self.cards_per_scan_iv_v }) as usize
    }

    /// Checks every rule:
    /// - season 2000..=2100;
    /// - minimum unit area > 0 mu, at most 2 decimals;
    /// - upload window 1..=1440 minutes;
    /// - premium length and strength in (0, 100); micronaire bounds in (0, 10)
    ///   with min < max;
    /// - standard moisture regain R0 and trash Z0 in [0, 100);
    /// - nominal bale weight > 0 kg, at most 2 decimals;
    /// - cards per scan 1..=10 on IV/V, 1..=100 on VI.
    pub fn validate(&self) -> Result<(), RuleError> {
        let hundred = Decimal::ONE_HUNDRED;
        let ten = Decimal::TEN;
        let zero = Decimal::ZERO;
        validate_season(self.season)?;
        positive_max_2dp(self.min_unit_area_mu, "追溯单元最小面积", "亩")?;
        if !(1..=1440).contains(&self.realtime_window_minutes) {
            return Err(RuleError::invalid(format!(
                "磅单实时上传时限应为1至1440分钟，当前为{}",
                self.realtime_window_minutes
            )));
        }
        open_range(
            self.premium_min_length_mm,
            zero,
            hundred,
            "优质棉长度下限（毫米）",
        )?;
        open_range(
            self.premium_min_strength,
            zero,
            hundred,
            "优质棉断裂比强度下限（cN/tex）",
        )?;
        open_range(self.premium_mic_min, zero, ten, "优质棉马克隆值下限")?;
        open_range(self.premium_mic_max, zero, ten, "优质棉马克隆值上限")?;
        if self.premium_mic_min >= self.premium_mic_max {
            return Err(RuleError::invalid(format!(
                "优质棉马克隆值下限（{}）必须小于上限（{}）",
                self.premium_mic_min, self.premium_mic_max
            )));
        }
        half_open_range(self.standard_moisture_pct, zero, hundred, "标准回潮率（%）")?;
        half_open_range(self.standard_trash_pct, zero, hundred, "标准含杂率（%）")?;
        positive_max_2dp(self.nominal_bale_kg, "标准包重", "千克")?;
        for (v, max, what) in [
            (self.cards_per_scan_iv_v, MAX_CARDS_PER_SCAN_IV_V, "IV、V型采集器每次扫描追溯卡数"),
            (self.cards_per_scan_vi, MAX_CARDS_PER_SCAN_VI, "VI型采集器每次扫描追溯卡数"),
        ] {
            if !(1..=max).contains(&v) {
                return Err(RuleError::invalid(format!("{what}应为1至{max}，当前为{v}")));
            }
        }
        // Stored as NUMERIC(·,2): a third decimal would be rounded by PostgreSQL only.
        for (v, what) in [
            (self.premium_min_length_mm, "优质棉长度下限"),
            (self.premium_min_strength, "优质棉断裂比强度下限"),
            (self.premium_mic_min, "优质棉马克隆值下限"),
            (self.premium_mic_max, "优质棉马克隆值上限"),
            (self.standard_moisture_pct, "标准回潮率"),
            (self.standard_trash_pct, "标准含杂率"),
        ] {
            crate::weights::validate_two_places(v, what)?;
        }
        Ok(())
    }

    /// Applies `patch` on top of these rules and returns the new, validated rules.
    /// `self` is unchanged; an invalid result is refused as a whole.
    pub fn apply(&self, patch: &SeasonRulesPatch) -> Result<SeasonRules, RuleError> {
        let next = SeasonRules {
            season: self.season,
            min_unit_area_mu: patch.min_unit_area_mu.unwrap_or(self.min_unit_area_mu),
            realtime_window_minutes: patch
                .realtime_window_minutes
                .unwrap_or(self.realtime_window_minutes),
            premium_min_length_mm: patch
                .premium_min_length_mm
                .unwrap_or(self.premium_min_length_mm),
            premium_min_strength: patch
                .premium_min_strength
                .unwrap_or(self.premium_min_strength),
            premium_mic_min: patch.premium_mic_min.unwrap_or(self.premium_mic_min),
            premium_mic_max: patch.premium_mic_max.unwrap_or(self.premium_mic_max),
            standard_moisture_pct: patch
                .standard_moisture_pct
                .unwrap_or(self.standard_moisture_pct),
            standard_trash_pct: patch.standard_trash_pct.unwrap_or(self.standard_trash_pct),
            nominal_bale_kg: patch.nominal_bale_kg.unwrap_or(self.nominal_bale_kg),
            cards_per_scan_iv_v: patch.cards_per_scan_iv_v.unwrap_or(self.cards_per_scan_iv_v),
            cards_per_scan_vi: patch.cards_per_scan_vi.unwrap_or(self.cards_per_scan_vi),
        };
        next.validate()?;
        Ok(next)
    }

    /// Whether a bale with these inspection results is premium cotton (优质棉):
    /// length ≥ minimum, strength ≥ minimum and micronaire within
    /// [mic_min, mic_max] (both inclusive).
    pub fn is_premium(&self, length_mm: Decimal, strength: Decimal, micronaire: Decimal) -> bool {
        length_mm >= self.premium_min_length_mm
            && strength >= self.premium_min_strength
            && micronaire >= self.premium_mic_min
            && micronaire <= self.premium_mic_max
    }

    /// Checks a unit's total plot area against this season's minimum
    /// (see [`crate::units::check_unit_area`]).
    pub fn check_unit_area(&self, total_area_mu: Decimal) -> Result<(), RuleError> {
        crate::units::check_unit_area(total_area_mu, self.min_unit_area_mu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn defaults_match_spec() {
        let r = SeasonRules::defaults(2026);
        assert_eq!(r.season, 2026);
        assert_eq!(r.min_unit_area_mu, dec!(500));
        assert_eq!(r.realtime_window_minutes, 30);
        assert_eq!(r.premium_min_length_mm, dec!(29));
        assert_eq!(r.premium_min_strength, dec!(29));
        assert_eq!(r.premium_mic_min, dec!(3.7));
        assert_eq!(r.premium_mic_max, dec!(4.9));
        assert_eq!(r.standard_moisture_pct, dec!(8.5));
        assert_eq!(r.standard_trash_pct, dec!(2.5));
        assert_eq!(r.nominal_bale_kg, dec!(227));
        assert_eq!(r.cards_per_scan(crate::processing::CollectorModel::Iv), 10);
        assert_eq!(r.cards_per_scan(crate::processing::CollectorModel::V), 10);
        assert_eq!(r.cards_per_scan(crate::processing::CollectorModel::Vi), 20);
        assert!(r.validate().is_ok());
        assert_eq!(r.apply(&SeasonRulesPatch::default()).unwrap(), r);
    }

    #[test]
    fn seasons() {
        assert_eq!(validate_season(2000), Ok(2000));
        assert_eq!(validate_season(2100), Ok(2100));
        assert_eq!(
            validate_season(1999).unwrap_err().to_string(),
            "棉花年度应在2000年至2100年之间，当前为1999"
        );
        assert!(validate_season(2101).is_err());
        assert!(SeasonRules::defaults(1999).validate().is_err());
    }

    #[test]
    fn patch_applies_and_validates() {
        let r = SeasonRules::defaults(2026);
        let p = SeasonRulesPatch {
            min_unit_area_mu: Some(dec!(1000)),
            realtime_window_minutes: Some(60),
            ..Default::default()
        };
        let n = r.apply(&p).unwrap();
        assert_eq!(n.min_unit_area_mu, dec!(1000));
        assert_eq!(n.realtime_window_minutes, 60);
        assert_eq!(n.nominal_bale_kg, dec!(227));
        assert_eq!(r.min_unit_area_mu, dec!(500), "original untouched");

        let bad = |p: SeasonRulesPatch| r.apply(&p).unwrap_err().to_string();
        assert_eq!(
            bad(SeasonRulesPatch {
                min_unit_area_mu: Some(dec!(0)),
                ..Default::default()
            }),
            "追溯单元最小面积必须大于0亩，当前为0"
        );
        assert_eq!(
            bad(SeasonRulesPatch {
                min_unit_area_mu: Some(dec!(500.125)),
                ..Default::default()
            }),
            "追溯单元最小面积最多保留2位小数，当前为500.125"
        );
        assert!(
            r.apply(&SeasonRulesPatch {
                min_unit_area_mu: Some(dec!(500.100)),
                ..Default::default()
            })
            .is_ok()
        );
        assert!(
            bad(SeasonRulesPatch {
                realtime_window_minutes: Some(0),
                ..Default::default()
            })
            .contains("1至1440")
        );
        assert!(
            bad(SeasonRulesPatch {
                realtime_window_minutes: Some(1441),
                ..Default::default()
            })
            .contains("1441")
        );
        assert!(
            r.apply(&SeasonRulesPatch {
                realtime_window_minutes: Some(1440),
                ..Default::default()
            })
            .is_ok()
        );
        assert_eq!(
            bad(SeasonRulesPatch {
                premium_mic_min: Some(dec!(4.9)),
                ..Default::default()
            }),
            "优质棉马克隆值下限（4.9）必须小于上限（4.9）"
        );
        assert!(
            bad(SeasonRulesPatch {
                premium_mic_max: Some(dec!(10)),
                ..Default::default()
            })
            .contains("马克隆值上限")
        );
        assert!(
            bad(SeasonRulesPatch {
                premium_min_length_mm: Some(dec!(0)),
                ..Default::default()
            })
            .contains("长度")
        );
        assert!(
            bad(SeasonRulesPatch {
                premium_min_strength: Some(dec!(-1)),
                ..Default::default()
            })
            .contains("强度")
        );
        assert!(
            bad(SeasonRulesPatch {
                standard_moisture_pct: Some(dec!(100)),
                ..Default::default()
            })
            .contains("回潮率")
        );
        assert!(
            bad(SeasonRulesPatch {
                standard_trash_pct: Some(dec!(-0.1)),
                ..Default::default()
            })
            .contains("含杂率")
        );
        assert!(
            r.apply(&SeasonRulesPatch {
                standard_trash_pct: Some(dec!(0)),
                ..Default::default()
            })
            .is_ok()
        );
        assert!(
            bad(SeasonRulesPatch {
                nominal_bale_kg: Some(dec!(0)),
                ..Default::default()
            })
            .contains("标准包重")
        );
        assert!(
            bad(SeasonRulesPatch {
                nominal_bale_kg: Some(dec!(227.001)),
                ..Default::default()
            })
            .contains("2位小数")
        );
    }

    #[test]
    fn cards_per_scan_rules() {
        let r = SeasonRules::defaults(2026);
        let with = |iv_v: Option<u32>, vi: Option<u32>| {
            r.apply(&SeasonRulesPatch { cards_per_scan_iv_v: iv_v, cards_per_scan_vi: vi, ..Default::default() })
        };
        let n = with(Some(5), Some(30)).unwrap();
        assert_eq!(n.cards_per_scan(crate::processing::CollectorModel::Iv), 5);
        assert_eq!(n.cards_per_scan(crate::processing::CollectorModel::Vi), 30);
        assert_eq!(with(Some(11), None).unwrap_err().to_string(), "IV、V型采集器每次扫描追溯卡数应为1至10，当前为11");
        assert!(with(Some(0), None).is_err());
        assert!(with(None, Some(0)).is_err());
        assert!(with(None, Some(101)).is_err());
        assert!(with(None, Some(100)).is_ok());
    }

    #[test]
    fn premium_criteria_double_29_b2() {
        let r = SeasonRules::defaults(2026);
        assert!(r.is_premium(dec!(29), dec!(29), dec!(3.7)));
        assert!(r.is_premium(dec!(30.5), dec!(31.2), dec!(4.9)));
        assert!(!r.is_premium(dec!(28.9), dec!(30), dec!(4.2)));
        assert!(!r.is_premium(dec!(30), dec!(28.99), dec!(4.2)));
        assert!(!r.is_premium(dec!(30), dec!(30), dec!(3.6)));
        assert!(!r.is_premium(dec!(30), dec!(30), dec!(5.0)));
    }

    #[test]
    fn unit_area_via_rules() {
        let r = SeasonRules::defaults(2026);
        assert!(r.check_unit_area(dec!(500)).is_ok());
        assert_eq!(
            r.check_unit_area(dec!(499.99)),
            Err(RuleError::AreaTooSmall {
                current: dec!(499.99),
                required: dec!(500)
            })
        );
    }

    #[test]
    fn serde_roundtrip() {
        let r = SeasonRules::defaults(2026);
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<SeasonRules>(&s).unwrap(), r);
        let p: SeasonRulesPatch = serde_json::from_str(r#"{"nominal_bale_kg":"230"}"#).unwrap();
        assert_eq!(p.nominal_bale_kg, Some(dec!(230)));
        assert_eq!(p.min_unit_area_mu, None);
    }

    proptest! {
        #[test]
        fn valid_patches_accepted(
            area_cents in 1i64..100_000_000, window in 1i32..=1440,
            mic_lo in 1i64..50, mic_gap in 1i64..40, bale_cents in 1i64..100_000,
        ) {
            let p = SeasonRulesPatch {
                min_unit_area_mu: Some(Decimal::new(area_cents, 2)),
                realtime_window_minutes: Some(window),
                premium_mic_min: Some(Decimal::new(mic_lo, 1)),
                premium_mic_max: Some(Decimal::new(mic_lo + mic_gap, 1)),
                nominal_bale_kg: Some(Decimal::new(bale_cents, 2)),
                ..Default::default()
            };
            let prop_ok = mic_lo + mic_gap < 100;
            prop_assert_eq!(SeasonRules::defaults(2026).apply(&p).is_ok(), prop_ok);
        }

        #[test]
        fn windows_outside_range_refused(window in prop_oneof![i32::MIN..=0, 1441..=i32::MAX]) {
            let p = SeasonRulesPatch { realtime_window_minutes: Some(window), ..Default::default() };
            prop_assert!(SeasonRules::defaults(2026).apply(&p).is_err());
        }
    }
}
