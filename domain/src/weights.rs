//! Weigh-ticket and bale weights (rules §6). All decimal, never floating point.
//!
//! Percentages are plain numbers: a moisture regain of 8.5 % is `8.5`.
//! Results are rounded once, at the end, to 0.01 kg with
//! [`RoundingStrategy::MidpointAwayFromZero`] (the usual commercial rounding:
//! 0.005 → 0.01).

use crate::{RuleError, decimal_places};
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Rounds a weight to 0.01 kg, half away from zero.
pub fn round_kg(kg: Decimal) -> Decimal {
    kg.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Checks a percentage against 0..100. `zero_ok` / `hundred_ok` say whether the
/// ends themselves are allowed. `what` names the field, e.g. `"回潮率"`.
pub fn validate_pct(
    value: Decimal,
    what: &str,
    zero_ok: bool,
    hundred_ok: bool,
) -> Result<Decimal, RuleError> {
    let low_ok = if zero_ok {
        value >= Decimal::ZERO
    } else {
        value > Decimal::ZERO
    };
    let high_ok = if hundred_ok {
        value <= HUNDRED
    } else {
        value < HUNDRED
    };
    if low_ok && high_ok {
        return Ok(value);
    }
    let low = if zero_ok { "不小于0" } else { "大于0" };
    let high = if hundred_ok {
        "不超过100"
    } else {
        "小于100"
    };
    Err(RuleError::invalid(format!(
        "{what}必须{low}且{high}（单位%），当前为{value}"
    )))
}

/// Conditioned lint yield (公定衣分率): 0 < y ≤ 100.
pub fn validate_lint_yield_pct(y: Decimal) -> Result<Decimal, RuleError> {
    validate_pct(y, "衣分率", false, true)
}

/// Moisture regain (回潮率): 0 ≤ R < 100.
pub fn validate_moisture_pct(r: Decimal) -> Result<Decimal, RuleError> {
    validate_pct(r, "回潮率", true, false)
}

/// Trash content (含杂率): 0 ≤ Z < 100.
pub fn validate_trash_pct(z: Decimal) -> Result<Decimal, RuleError> {
    validate_pct(z, "含杂率", true, false)
}

/// Checks a weight in kg: not negative, at most 2 decimals. `what` names the
/// field, e.g. `"毛重"`.
pub fn validate_weight_kg(kg: Decimal, what: &str) -> Result<Decimal, RuleError> {
    if kg < Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "{what}不能为负数，当前为{kg}千克"
        )));
    }
    if decimal_places(kg) > 2 {
        return Err(RuleError::invalid(format!(
            "{what}最多保留2位小数，当前为{kg}千克"
        )));
    }
    Ok(kg)
}

/// Net weight = gross − tare. Both must be ≥ 0 and tare ≤ gross.
pub fn net_kg(gross: Decimal, tare: Decimal) -> Result<Decimal, RuleError> {
    if gross < Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "毛重不能为负数，当前为{gross}千克"
        )));
    }
    if tare < Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "皮重不能为负数，当前为{tare}千克"
        )));
    }
    if tare > gross {
        return Err(RuleError::invalid(format!(
            "皮重（{tare}千克）不能大于毛重（{gross}千克）"
        )));
    }
    Ok(gross - tare)
}

/// Lint-equivalent conditioned weight (折皮棉公定重量), the card's target:
/// `net × lint_yield_pct / 100`, rounded to 0.01 kg (half away from zero).
/// Validate the yield with [`validate_lint_yield_pct`] first.
pub fn lint_target_kg(net: Decimal, lint_yield_pct: Decimal) -> Decimal {
    round_kg(net * lint_yield_pct / HUNDRED)
}

/// Conditioned weight of a lint bale (GB 1103.1):
///
/// `net × (100 − Z)(100 + R0) / ((100 − Z0)(100 + R))`
///
/// with Z the trash content (Z = Z0 when unknown, as at the press), R the
/// moisture regain, Z0 / R0 the season's standard values. Computed in full
/// decimal precision and rounded once to 0.01 kg (half away from zero). With
/// inputs of a few decimals the 28-digit quotient is far closer to the exact
/// value than any rounding boundary, so the single rounding is exact.
///
/// # Panics
/// If Z0 = 100 or R = −100 (a zero denominator) or on decimal overflow.
/// Validate inputs first, or use [`try_conditioned_weight`].
pub fn conditioned_weight(
    net: Decimal,
    trash_pct: Option<Decimal>,
    moisture_pct: Decimal,
    standard_trash_pct: Decimal,
    standard_moisture_pct: Decimal,
) -> Decimal {
    let z = trash_pct.unwrap_or(standard_trash_pct);
    let numerator = net * (HUNDRED - z) * (HUNDRED + standard_moisture_pct);
    let denominator = (HUNDRED - standard_trash_pct) * (HUNDRED + moisture_pct);
    round_kg(numerator / denominator)
}

/// [`conditioned_weight`] with every input checked first: net ≥ 0,
/// trash and standard trash in [0, 100), moisture and standard moisture in
/// [0, 100).
pub fn try_conditioned_weight(
    net: Decimal,
    trash_pct: Option<Decimal>,
    moisture_pct: Decimal,
    standard_trash_pct: Decimal,
    standard_moisture_pct: Decimal,
) -> Result<Decimal, RuleError> {
    if net < Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "净重不能为负数，当前为{net}千克"
        )));
    }
    if let Some(z) = trash_pct {
        validate_trash_pct(z)?;
    }
    validate_moisture_pct(moisture_pct)?;
    validate_pct(standard_trash_pct, "标准含杂率", true, false)?;
    validate_pct(standard_moisture_pct, "标准回潮率", true, false)?;
    let z = trash_pct.unwrap_or(standard_trash_pct);
    let numerator = net
        .checked_mul(HUNDRED - z)
        .and_then(|v| v.checked_mul(HUNDRED + standard_moisture_pct));
    let denominator = (HUNDRED - standard_trash_pct) * (HUNDRED + moisture_pct);
    numerator
        .and_then(|n| n.checked_div(denominator))
        .map(round_kg)
        .ok_or_else(|| RuleError::invalid(format!("净重数值过大，无法计算公定重量：{net}千克")))
}

/// How many bales a card can feed: `ceil(target / nominal bale weight)`.
/// Exact (no rounding surprises at whole multiples). 0 when the target is ≤ 0
/// or the nominal bale weight is ≤ 0 (season rules forbid the latter);
/// saturates at `u32::MAX`.
pub fn processable_bales(target_kg: Decimal, nominal_bale_kg: Decimal) -> u32 {
    if target_kg <= Decimal::ZERO || nominal_bale_kg <= Decimal::ZERO {
        return 0;
    }
    let Some(approx) = target_kg.checked_div(nominal_bale_kg) else {
        return u32::MAX;
    };
    let Some(mut n) = approx.floor().to_u64() else {
        return u32::MAX;
    };
    // The quotient is rounded to ~28 digits; settle the exact ceiling.
    let covers = |n: u64| {
        Decimal::from(n)
            .checked_mul(nominal_bale_kg)
            .is_none_or(|w| w >= target_kg)
    };
    while !covers(n) {
        n += 1;
    }
    while n > 0 && covers(n - 1) {
        n -= 1;
    }
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whether a ticket was uploaded late: more than `window_minutes` after its
/// gross-weighing time (exactly at the window is on time; an upload stamped
/// before the weighing, e.g. clock skew, is on time). Late tickets cannot get a
/// trace card (rules §6).
pub fn is_late_upload(
    weighed_at: DateTime<Utc>,
    uploaded_at: DateTime<Utc>,
    window_minutes: i32,
) -> bool {
    uploaded_at - weighed_at > chrono::Duration::minutes(i64::from(window_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn net() {
        assert_eq!(net_kg(dec!(12500), dec!(2350.5)), Ok(dec!(10149.5)));
        assert_eq!(net_kg(dec!(100), dec!(100)), Ok(dec!(0)));
        assert_eq!(net_kg(dec!(100), dec!(0)), Ok(dec!(100)));
        assert_eq!(
            net_kg(dec!(100), dec!(100.01)).unwrap_err().to_string(),
            "皮重（100.01千克）不能大于毛重（100千克）"
        );
        assert_eq!(
            net_kg(dec!(-1), dec!(0)).unwrap_err().to_string(),
            "毛重不能为负数，当前为-1千克"
        );
        assert_eq!(
            net_kg(dec!(10), dec!(-1)).unwrap_err().to_string(),
            "皮重不能为负数，当前为-1千克"
        );
    }

    #[test]
    fn lint_target() {
        // 10149.5 kg seed cotton at 38.5 %: 3907.5575 → 3907.56
        assert_eq!(lint_target_kg(dec!(10149.5), dec!(38.5)), dec!(3907.56));
        // 1 kg at 12.5 %: 0.125 exactly → 0.13 (half away from zero, not banker's 0.12)
        assert_eq!(lint_target_kg(dec!(1), dec!(12.5)), dec!(0.13));
        assert_eq!(lint_target_kg(dec!(1000), dec!(40)), dec!(400));
        assert_eq!(lint_target_kg(dec!(0), dec!(40)), dec!(0));
        assert_eq!(lint_target_kg(dec!(227), dec!(100)), dec!(227));
    }

    #[test]
    fn conditioned() {
        let (z0, r0) = (dec!(2.5), dec!(8.5));
        // At standard moisture and trash the weight is unchanged.
        assert_eq!(
            conditioned_weight(dec!(227), None, dec!(8.5), z0, r0),
            dec!(227)
        );
        // 230 × 108.5 / 107 = 24955 / 107 = 233.2242… → 233.22
        assert_eq!(
            conditioned_weight(dec!(230), None, dec!(7.0), z0, r0),
            dec!(233.22)
        );
        // 230 × 97 × 108.5 / (97.5 × 107) = 2420635 / 10432.5 = 232.0282… → 232.03
        assert_eq!(
            conditioned_weight(dec!(230), Some(dec!(3.0)), dec!(7.0), z0, r0),
            dec!(232.03)
        );
        // Wetter than standard: 226 × 108.5 / 110 = 222.9181… → 222.92
        assert_eq!(
            conditioned_weight(dec!(226), None, dec!(10), z0, r0),
            dec!(222.92)
        );
        // Cleaner than standard: 200 × 98.5 / 97.5 = 202.0512… → 202.05
        assert_eq!(
            conditioned_weight(dec!(200), Some(dec!(1.5)), dec!(8.5), z0, r0),
            dec!(202.05)
        );
        // Exact midpoint: 1.005 × 1 → 1.01
        assert_eq!(
            conditioned_weight(dec!(1.005), None, dec!(8.5), z0, r0),
            dec!(1.01)
        );
        // Rounded once: 100 × 108.5 / 108.6 = 99.90791… → 99.91 (not via an intermediate).
        assert_eq!(
            conditioned_weight(dec!(100), None, dec!(8.6), z0, r0),
            dec!(99.91)
        );
    }

    #[test]
    fn try_conditioned() {
        let (z0, r0) = (dec!(2.5), dec!(8.5));
        assert_eq!(
            try_conditioned_weight(dec!(230), None, dec!(7.0), z0, r0),
            Ok(dec!(233.22))
        );
        assert!(try_conditioned_weight(dec!(-1), None, dec!(7), z0, r0).is_err());
        assert!(try_conditioned_weight(dec!(1), Some(dec!(100)), dec!(7), z0, r0).is_err());
        assert!(try_conditioned_weight(dec!(1), None, dec!(100), z0, r0).is_err());
        assert!(
            try_conditioned_weight(dec!(1), None, dec!(7), dec!(100), r0)
                .unwrap_err()
                .to_string()
                .contains("标准含杂率")
        );
        assert!(try_conditioned_weight(Decimal::MAX, None, dec!(7), z0, r0).is_err());
    }

    #[test]
    fn percentages() {
        assert!(validate_lint_yield_pct(dec!(100)).is_ok());
        assert!(validate_lint_yield_pct(dec!(0.01)).is_ok());
        assert_eq!(
            validate_lint_yield_pct(dec!(0)).unwrap_err().to_string(),
            "衣分率必须大于0且不超过100（单位%），当前为0"
        );
        assert!(validate_lint_yield_pct(dec!(100.01)).is_err());
        assert!(validate_moisture_pct(dec!(0)).is_ok());
        assert_eq!(
            validate_moisture_pct(dec!(100)).unwrap_err().to_string(),
            "回潮率必须不小于0且小于100（单位%），当前为100"
        );
        assert!(validate_moisture_pct(dec!(-0.1)).is_err());
        assert!(validate_trash_pct(dec!(99.99)).is_ok());
        assert!(validate_trash_pct(dec!(100)).is_err());
        assert!(validate_pct(dec!(100), "x", true, true).is_ok());
        assert!(validate_pct(dec!(0), "x", true, true).is_ok());
    }

    #[test]
    fn weights_kg() {
        assert_eq!(
            validate_weight_kg(dec!(12500.50), "毛重"),
            Ok(dec!(12500.50))
        );
        assert_eq!(
            validate_weight_kg(dec!(-1), "毛重")
                .unwrap_err()
                .to_string(),
            "毛重不能为负数，当前为-1千克"
        );
        assert_eq!(
            validate_weight_kg(dec!(1.005), "皮重")
                .unwrap_err()
                .to_string(),
            "皮重最多保留2位小数，当前为1.005千克"
        );
    }

    #[test]
    fn bales() {
        assert_eq!(processable_bales(dec!(454), dec!(227)), 2);
        assert_eq!(processable_bales(dec!(454.00), dec!(227.00)), 2);
        assert_eq!(processable_bales(dec!(454.01), dec!(227)), 3);
        assert_eq!(processable_bales(dec!(3907.56), dec!(227)), 18); // 17.21…
        assert_eq!(processable_bales(dec!(0.01), dec!(227)), 1);
        assert_eq!(processable_bales(dec!(0), dec!(227)), 0);
        assert_eq!(processable_bales(dec!(-5), dec!(227)), 0);
        assert_eq!(processable_bales(dec!(100), dec!(0)), 0);
        // 1 / 3 kg bales: 1 = 3 × (1/3) would need 3 bales; the rounded quotient must not mislead.
        assert_eq!(processable_bales(dec!(1), dec!(0.33)), 4);
        assert_eq!(processable_bales(dec!(0.99), dec!(0.33)), 3);
        assert_eq!(processable_bales(Decimal::MAX, dec!(0.01)), u32::MAX);
    }

    #[test]
    fn late_uploads() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
        let m = chrono::Duration::minutes;
        assert!(!is_late_upload(t0, t0, 30));
        assert!(!is_late_upload(t0, t0 + m(30), 30));
        assert!(is_late_upload(
            t0,
            t0 + m(30) + chrono::Duration::seconds(1),
            30
        ));
        assert!(!is_late_upload(t0, t0 - m(5), 30));
        assert!(is_late_upload(t0, t0 + m(61), 60) && !is_late_upload(t0, t0 + m(60), 60));
    }

    proptest! {
        #[test]
        fn net_plus_tare_is_gross(g in 0i64..100_000_000, t in 0i64..100_000_000) {
            let (g, t) = (Decimal::new(g, 2), Decimal::new(t, 2));
            match net_kg(g, t) {
                Ok(n) => { prop_assert!(t <= g); prop_assert_eq!(n + t, g); }
                Err(_) => prop_assert!(t > g),
            }
        }

        #[test]
        fn bales_are_the_exact_ceiling(target in 1i64..10_000_000, bale in 1i64..100_000) {
            let (t, b) = (Decimal::new(target, 2), Decimal::new(bale, 2));
            let n = processable_bales(t, b);
            prop_assert_eq!(i64::from(n), (target + bale - 1) / bale);
        }

        #[test]
        fn conditioned_weight_is_exactly_rounded(
            net in 0i64..10_000_000, z in 0i64..300, r in 0i64..200,
        ) {
            // Compare against exact rational arithmetic in integers:
            // net/100 × (1000 − z)(1000 + 85) / ((1000 − 25)(1000 + r)), z,r in ‰ of 100.
            let netd = Decimal::new(net, 2);
            let w = conditioned_weight(netd, Some(Decimal::new(z, 1)), Decimal::new(r, 1), dec!(2.5), dec!(8.5));
            let num = i128::from(net) * i128::from(1000 - z) * 1085; // in 0.01 kg × 10^6
            let den = 975 * i128::from(1000 + r);
            // cents = round_half_up(num / den)
            let cents = (2 * num + den) / (2 * den);
            prop_assert_eq!(w, Decimal::from_i128_with_scale(cents, 2));
        }
    }
}

/// Values stored to 0.01 (weights, percentages): a third decimal is refused, not
/// rounded, so no backend rounds it its own way.
pub fn validate_two_places(value: Decimal, what: &str) -> Result<Decimal, RuleError> {
    if crate::decimal_places(value) > 2 {
        return Err(RuleError::invalid(format!("{what}最多保留2位小数，当前为{value}")));
    }
    Ok(value)
}
