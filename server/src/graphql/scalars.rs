//! The contract's `Decimal`: a base-10 number carried as a string ("512.50").
//! Floats are refused on input so no binary rounding ever reaches a weight.

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
        Value::String(self.0.normalize().to_string())
    }
}

impl From<Decimal> for GqlDecimal {
    fn from(d: Decimal) -> Self {
        GqlDecimal(d)
    }
}
