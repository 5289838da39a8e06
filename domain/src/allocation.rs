//! Premium-cotton allocation among a unit's growers (rules §9, manual §1.7).
//!
//! Grower g gets `Q × S_g / S`, where S_g is g's net seed cotton on the unit's
//! carded tickets and S the unit's total. Shares are rounded to 0.01 kg by the
//! largest-remainder (Hamilton) method so that they add up to Q exactly.

use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// Splits the premium total `premium_kg` (Q) among growers in proportion to their
/// seed cotton `seeds` (key, S_g).
///
/// - Q is first rounded to 0.01 kg (half away from zero).
/// - Each grower gets ⌊Q × S_g / S⌋ in 0.01 kg; the cents left over go one each
///   to the growers with the largest remainders. Equal remainders are broken by
///   key order (smaller key first), so the result does not depend on the order of
///   `seeds`. The shares add up to Q exactly and each is within 0.01 kg of its
///   exact proportion. The arithmetic is exact integer arithmetic.
/// - A key listed more than once is one grower: its seeds are added.
/// - Negative seeds count as 0.
/// - One grower (one distinct key) gets all of Q, whatever its seed figure.
/// - With several growers and S = 0 there is no basis for a split: every share is
///   0 (and the shares then do not add up to Q; the caller should not allocate a
///   unit without seed cotton).
/// - No growers → empty result.
///
/// The result has one entry per distinct key, sorted by key; every share has
/// scale 2.
pub fn allocate<K: Clone + Ord>(premium_kg: Decimal, seeds: &[(K, Decimal)]) -> Vec<(K, Decimal)> {
    let q = premium_kg.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // Q in cents; |Q| < 2^96 so this fits easily in i128.
    let mut q_cents = q.mantissa();
    for _ in q.scale()..2 {
        q_cents *= 10;
    }
    let negative = q_cents < 0;
    let q_abs = q_cents.unsigned_abs();

    // Merge duplicate keys; clamp negatives.
    let mut merged: BTreeMap<K, Decimal> = BTreeMap::new();
    for (k, s) in seeds {
        let s = (*s).max(Decimal::ZERO);
        let e = merged.entry(k.clone()).or_insert(Decimal::ZERO);
        *e = e.checked_add(s).unwrap_or(Decimal::MAX);
    }
    let keys: Vec<K> = merged.keys().cloned().collect();
    let to_decimal = |cents: u128| {
        let c = i128::try_from(cents).expect("share ≤ |Q| < 2^96");
        Decimal::from_i128_with_scale(if negative { -c } else { c }, 2)
    };

    if keys.len() == 1 {
        return vec![(keys[0].clone(), to_decimal(q_abs))];
    }
    let weights = integer_weights(merged.values().copied().collect());
    let total: u128 = weights.iter().sum();
    if total == 0 {
        return keys.into_iter().map(|k| (k, to_decimal(0))).collect();
    }

    // floor and remainder of q_abs × w / total, exactly.
    let mut shares: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<u128> = Vec::with_capacity(weights.len());
    for &w in &weights {
        let (quot, rem) = mul_div_rem(q_abs, w, total);
        shares.push(quot);
        remainders.push(rem);
    }
    let assigned: u128 = shares.iter().sum();
    let leftover = usize::try_from(q_abs - assigned).expect("fewer leftover cents than growers");
    // Largest remainder first; ties by key order (indices follow key order).
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    for &i in order.iter().take(leftover) {
        shares[i] += 1;
    }
    keys.into_iter()
        .zip(shares)
        .map(|(k, c)| (k, to_decimal(c)))
        .collect()
}

/// Turns non-negative decimals into integers on one common scale (same ratios).
/// If the common scale would overflow, the values are rounded to fewer decimals
/// until the total fits in a u128 — only for absurd inputs (beyond ~10^38 at the
/// common scale).
fn integer_weights(values: Vec<Decimal>) -> Vec<u128> {
    let values: Vec<Decimal> = values.into_iter().map(|v| v.normalize()).collect();
    let mut scale = values.iter().map(|v| v.scale()).max().unwrap_or(0);
    loop {
        if let Some(ws) = try_scale(&values, scale) {
            return ws;
        }
        if scale == 0 {
            // Cannot happen: Decimal < 2^96 and a few of them sum below 2^128.
            // Fall back to saturating integers.
            return values.iter().map(|v| v.mantissa().unsigned_abs()).collect();
        }
        scale -= 1;
    }
}

fn try_scale(values: &[Decimal], scale: u32) -> Option<Vec<u128>> {
    let mut total: u128 = 0;
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let r = v.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
        let mut m = r.mantissa().unsigned_abs();
        for _ in r.scale()..scale {
            m = m.checked_mul(10)?;
        }
        total = total.checked_add(m)?;
        out.push(m);
    }
    Some(out)
}

/// `(a × b) / c` and `(a × b) % c` with a 256-bit intermediate. Requires
/// `c > 0` and a quotient that fits in u128 (here b ≤ c, so quotient ≤ a).
fn mul_div_rem(a: u128, b: u128, c: u128) -> (u128, u128) {
    debug_assert!(c > 0);
    if let Some(p) = a.checked_mul(b) {
        return (p / c, p % c);
    }
    let (hi, lo) = mul_wide(a, b);
    // Restoring long division of (hi, lo) by c, one bit at a time.
    let mut rem: u128 = 0;
    let mut quot: u128 = 0;
    for i in (0..256).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        let carry = rem >> 127; // rem << 1 would overflow
        rem = (rem << 1) | bit;
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            if i < 128 {
                quot |= 1 << i;
            }
        }
    }
    (quot, rem)
}

/// Full 256-bit product of two u128 as (high, low).
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 64) + (lh & MASK) + (hl & MASK);
    let lo = (ll & MASK) | (mid << 64);
    let hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn sum(v: &[(impl Sized, Decimal)]) -> Decimal {
        v.iter().map(|(_, d)| *d).sum()
    }

    #[test]
    fn single_grower_gets_everything() {
        assert_eq!(
            allocate(dec!(1234.56), &[("a", dec!(5000))]),
            vec![("a", dec!(1234.56))]
        );
        // …even with no seed figure, and when listed twice.
        assert_eq!(
            allocate(dec!(10), &[("a", dec!(0))]),
            vec![("a", dec!(10.00))]
        );
        assert_eq!(
            allocate(dec!(10), &[("a", dec!(1)), ("a", dec!(2))]),
            vec![("a", dec!(10))]
        );
    }

    #[test]
    fn thirds_by_largest_remainder() {
        // 100 / 3 = 33.333…: one cent left over, equal remainders → smallest key.
        let r = allocate(dec!(100), &[("c", dec!(1)), ("a", dec!(1)), ("b", dec!(1))]);
        assert_eq!(
            r,
            vec![("a", dec!(33.34)), ("b", dec!(33.33)), ("c", dec!(33.33))]
        );
        assert_eq!(sum(&r), dec!(100));
    }

    #[test]
    fn hand_computed_split() {
        // Q = 1000 kg; seeds 5000, 3000, 1500 (S = 9500)
        //   a: 1000×5000/9500 = 526.3157… → 526.31 (rem .57)
        //   b: 1000×3000/9500 = 315.7894… → 315.78 (rem .94)
        //   c: 1000×1500/9500 = 157.8947… → 157.89 (rem .47)
        // floors sum 999.98: two cents to b (.94) and a (.57).
        let r = allocate(
            dec!(1000),
            &[("a", dec!(5000)), ("b", dec!(3000)), ("c", dec!(1500))],
        );
        assert_eq!(
            r,
            vec![
                ("a", dec!(526.32)),
                ("b", dec!(315.79)),
                ("c", dec!(157.89))
            ]
        );
    }

    #[test]
    fn remainder_beats_key_order() {
        // Q = 0.05; seeds 1, 2 → exact 0.01666… and 0.03333… → floors 1 and 3 cents,
        // remainders 2/3 and 1/3: the cent goes to "a".
        let r = allocate(dec!(0.05), &[(2u32, dec!(2)), (1u32, dec!(1))]);
        assert_eq!(r, vec![(1, dec!(0.02)), (2, dec!(0.03))]);
    }

    #[test]
    fn q_rounded_first_and_zero_seeds() {
        let r = allocate(dec!(10.005), &[("a", dec!(1)), ("b", dec!(1))]);
        assert_eq!(sum(&r), dec!(10.01));
        // Growers with no seed cotton get nothing.
        let r = allocate(dec!(10), &[("a", dec!(0)), ("b", dec!(3)), ("c", dec!(-2))]);
        assert_eq!(r, vec![("a", dec!(0)), ("b", dec!(10)), ("c", dec!(0))]);
        // S = 0 with several growers: documented all-zero result.
        let r = allocate(dec!(10), &[("a", dec!(0)), ("b", dec!(0))]);
        assert_eq!(r, vec![("a", dec!(0)), ("b", dec!(0))]);
        assert!(allocate::<&str>(dec!(10), &[]).is_empty());
        // Q = 0.
        assert_eq!(
            allocate(dec!(0), &[("a", dec!(1)), ("b", dec!(2))]),
            vec![("a", dec!(0)), ("b", dec!(0))]
        );
    }

    #[test]
    fn shares_have_scale_two() {
        for (_, s) in allocate(dec!(7), &[("a", dec!(1)), ("b", dec!(1))]) {
            assert_eq!(s.scale(), 2);
            assert_eq!(s.to_string(), "3.50");
        }
    }

    #[test]
    fn huge_values_are_exact() {
        // Seeds whose product with Q overflows u128: uses the 256-bit path.
        let big = Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950_335, 10);
        let r = allocate(
            dec!(79228162514264337593543950.33),
            &[("a", big), ("b", big), ("c", dec!(0.0000000001))],
        );
        assert_eq!(sum(&r), dec!(79228162514264337593543950.33));
        assert_eq!(r[0].1, r[1].1 + dec!(0.01));
    }

    #[test]
    fn wide_arithmetic() {
        let m = u128::MAX;
        assert_eq!(mul_wide(m, m), (m - 1, 1));
        assert_eq!(mul_div_rem(m, m, m), (m, 0));
        assert_eq!(mul_div_rem(m, 3, 4), (m / 4 * 3 + 2, 1));
        assert_eq!(mul_div_rem(1 << 100, 1 << 100, 1 << 90), (1 << 110, 0));
        assert_eq!(mul_div_rem(7, 5, 3), (11, 2));
    }

    fn growers() -> impl Strategy<Value = Vec<(u8, Decimal)>> {
        prop::collection::vec((0u8..40, (0i64..10_000_000, 0u32..4)), 1..12).prop_map(|v| {
            v.into_iter()
                .map(|(k, (m, s))| (k, Decimal::new(m, s)))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn sums_to_q_and_stays_close(q_cents in 0i64..1_000_000_000, seeds in growers()) {
            let q = Decimal::new(q_cents, 2);
            let r = allocate(q, &seeds);
            let mut merged: BTreeMap<u8, Decimal> = BTreeMap::new();
            for (k, s) in &seeds { *merged.entry(*k).or_default() += *s; }
            let total: Decimal = merged.values().copied().sum();
            prop_assert_eq!(r.len(), merged.len());
            prop_assert!(r.windows(2).all(|w| w[0].0 < w[1].0), "sorted by key");
            if merged.len() == 1 {
                prop_assert_eq!(r[0].1, q);
            } else if total.is_zero() {
                prop_assert!(r.iter().all(|(_, s)| s.is_zero()));
            } else {
                prop_assert_eq!(sum(&r), q);
                for (k, share) in &r {
                    let exact = q * merged[k] / total;
                    prop_assert!((*share - exact).abs() < dec!(0.01), "{} vs {}", share, exact);
                    prop_assert!(*share >= Decimal::ZERO);
                }
            }
        }

        #[test]
        fn input_order_does_not_matter(q_cents in 0i64..1_000_000_000, seeds in growers(), rot in 0usize..12) {
            let q = Decimal::new(q_cents, 2);
            let mut shuffled = seeds.clone();
            shuffled.reverse();
            let n = shuffled.len();
            shuffled.rotate_left(rot % n);
            prop_assert_eq!(allocate(q, &seeds), allocate(q, &shuffled));
        }

        #[test]
        fn equal_seeds_differ_by_at_most_a_cent(q_cents in 0i64..1_000_000, n in 2usize..10) {
            let seeds: Vec<(usize, Decimal)> = (0..n).map(|i| (i, dec!(100))).collect();
            let r = allocate(Decimal::new(q_cents, 2), &seeds);
            let max = r.iter().map(|x| x.1).max().unwrap();
            let min = r.iter().map(|x| x.1).min().unwrap();
            prop_assert!(max - min <= dec!(0.01));
            // Extra cents go to the smallest keys.
            prop_assert!(r.windows(2).all(|w| w[0].1 >= w[1].1));
        }

        #[test]
        fn mul_div_matches_small_arithmetic(a in any::<u64>(), b in any::<u64>(), c in 1u64..) {
            let (q, r) = mul_div_rem(u128::from(a), u128::from(b), u128::from(c));
            let p = u128::from(a) * u128::from(b);
            prop_assert_eq!((q, r), (p / u128::from(c), p % u128::from(c)));
        }

        #[test]
        fn wide_path_is_consistent(a in any::<u128>(), b in any::<u128>(), c in 1u128..) {
            // Skip cases whose quotient would not fit (not used by allocate).
            prop_assume!(b <= c);
            let (q, r) = mul_div_rem(a, b, c);
            prop_assert!(r < c);
            // q × c + r == a × b, checked in 256 bits.
            let (h1, l1) = mul_wide(q, c);
            let (l2, carry) = l1.overflowing_add(r);
            let h2 = h1 + u128::from(carry);
            prop_assert_eq!((h2, l2), mul_wide(a, b));
        }
    }
}
