//! The one error type of the domain rules.

use rust_decimal::Decimal;

/// A broken business rule. Every message is Chinese and written for an operator:
/// it says what is wrong and, where it helps, what would be right.
///
/// Messages never echo personal data (ID numbers, mobiles) back in full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Input that breaks a rule; maps to extensions.code VALIDATION. Chinese message.
    #[error("{0}")]
    Invalid(String),
    /// Card number typed wrong (check digit mismatch); maps to CARD_CHECKSUM.
    #[error("追溯卡号校验位错误：{0}")]
    CardChecksum(String),
    /// Unit area below the season minimum; maps to AREA_TOO_SMALL.
    #[error("追溯单元面积不足：当前 {current} 亩，至少需要 {required} 亩")]
    AreaTooSmall { current: Decimal, required: Decimal },
    /// A trace unit that may not change now (approved, processing, dissolved);
    /// maps to UNIT_LOCKED.
    #[error("{0}")]
    UnitLocked(String),
}

impl RuleError {
    /// Shorthand for [`RuleError::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        RuleError::Invalid(msg.into())
    }

    /// The machine-readable code the API puts in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::Invalid(_) => "VALIDATION",
            RuleError::CardChecksum(_) => "CARD_CHECKSUM",
            RuleError::AreaTooSmall { .. } => "AREA_TOO_SMALL",
            RuleError::UnitLocked(_) => "UNIT_LOCKED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn messages_and_codes() {
        let e = RuleError::invalid("名称不能为空");
        assert_eq!(e.to_string(), "名称不能为空");
        assert_eq!(e.code(), "VALIDATION");

        let e = RuleError::CardChecksum("TC260000000018".into());
        assert_eq!(e.to_string(), "追溯卡号校验位错误：TC260000000018");
        assert_eq!(e.code(), "CARD_CHECKSUM");

        let e = RuleError::AreaTooSmall {
            current: dec!(499.5),
            required: dec!(500),
        };
        assert_eq!(
            e.to_string(),
            "追溯单元面积不足：当前 499.5 亩，至少需要 500 亩"
        );
        assert_eq!(e.code(), "AREA_TOO_SMALL");
    }
}
