//! The contract's `Decimal`: a base-10 number carried as a string ("512.50").
//! Floats are refused on input so no binary rounding ever reaches a weight.
//!
//! Outputs carry their quantity's scale (contract conventions): kg, mu, % and
//! yuan always with 2 decimals ("400.00", whatever the client typed), through
//! [`From<Decimal>`]; fibre measurements (length, strength, micronaire) with the
//! precision the inspection gave, through [`GqlDecimal::measured`].

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GqlDecimal(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for GqlDecimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let t = s.trim();
                let ok = !t.is_empty()
                    && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
                if !ok {
                    return Err(InputValueError::custom(format!("“{s}”不是有效的十进制数")));
                }
                Decimal::from_str(t)
                    .map(GqlDecimal)
                    .map_err(|_| InputValueError::custom(format!("“{s}”不是有效的十进制数")))
            }
            Value::Number(n) if n.is_i64() || n.is_u64() => Decimal::from_str(&n.to_string())
                .map(GqlDecimal)
                .map_err(|_| InputValueError::custom("数值超出范围")),
            _ => Err(InputValueError::custom("十进制数请以字符串传递，例如 \"512.50\"")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Decimal places of every kg, mu, % and yuan output.
pub const QUANTITY_SCALE: u32 = 2;

impl GqlDecimal {
    /// A quantity (kg, mu, %, yuan): rounded half away from zero to 2 decimals,
    /// and always written with both ("38.00").
    pub fn quantity(d: Decimal) -> Self {
        GqlDecimal(with_scale(d, QUANTITY_SCALE))
    }

    /// A fibre measurement: written as the inspection gave it ("29.1", "4.25").
    pub fn measured(d: Decimal) -> Self {
        GqlDecimal(d)
    }
}

/// `d` rounded (half away from zero) and padded to exactly `scale` decimals.
pub fn with_scale(d: Decimal, scale: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(scale);
    r
}

/// Every output built with `.into()` is a quantity: see [`GqlDecimal::quantity`].
impl From<Decimal> for GqlDecimal {
    fn from(d: Decimal) -> Self {
        GqlDecimal::quantity(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn quantities_carry_two_decimals_measurements_their_own() {
        let out = |g: GqlDecimal| g.to_value().into_json().unwrap();
        assert_eq!(out(dec!(400).into()), "400.00");
        assert_eq!(out(dec!(261.2).into()), "261.20");
        assert_eq!(out(dec!(100.000).into()), "100.00");
        assert_eq!(out(dec!(0.005).into()), "0.01");
        assert_eq!(out(dec!(-1.005).into()), "-1.01");
        assert_eq!(out(GqlDecimal::measured(dec!(29.1))), "29.1");
        assert_eq!(out(GqlDecimal::measured(dec!(4.25))), "4.25");
    }
}
