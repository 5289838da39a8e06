//! Trace units (追溯单元, rules §4): kinds, review statuses, the lifecycle table,
//! plot and unit areas.

use crate::{RuleError, decimal_places};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a unit was grouped. Serialised as `"FREE"`, `"COMPANY"`, `"COOPERATIVE"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitKind {
    Free,
    Company,
    Cooperative,
}

impl UnitKind {
    pub const ALL: [UnitKind; 3] = [UnitKind::Free, UnitKind::Company, UnitKind::Cooperative];

    /// `"FREE"`, `"COMPANY"`, `"COOPERATIVE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Free => "FREE",
            UnitKind::Company => "COMPANY",
            UnitKind::Cooperative => "COOPERATIVE",
        }
    }

    /// Inverse of [`UnitKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 自由组团, 连队组团, 合作社组团.
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::Free => "自由组团",
            UnitKind::Company => "连队组团",
            UnitKind::Cooperative => "合作社组团",
        }
    }

    /// Only cooperative units carry a legal person (name, ID, credit code, mobile).
    pub fn requires_legal_person(self) -> bool {
        self == UnitKind::Cooperative
    }
}

/// Review status of a unit. Serialised as `"PENDING"`, `"APPROVED"`, `"REJECTED"`,
/// `"DISSOLVED"`. "Processing" is not a status: it is a fact about the unit's cards
/// (some card has a bale) and is passed to [`next_status`] separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitStatus {
    Pending,
    Approved,
    Rejected,
    Dissolved,
}

impl UnitStatus {
    pub const ALL: [UnitStatus; 4] = [
        UnitStatus::Pending,
        UnitStatus::Approved,
        UnitStatus::Rejected,
        UnitStatus::Dissolved,
    ];

    /// `"PENDING"`, `"APPROVED"`, `"REJECTED"`, `"DISSOLVED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Pending => "PENDING",
            UnitStatus::Approved => "APPROVED",
            UnitStatus::Rejected => "REJECTED",
            UnitStatus::Dissolved => "DISSOLVED",
        }
    }

    /// Inverse of [`UnitStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 待审核, 审核通过, 已驳回, 已解散.
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitStatus::Pending => "待审核",
            UnitStatus::Approved => "审核通过",
            UnitStatus::Rejected => "已驳回",
            UnitStatus::Dissolved => "已解散",
        }
    }
}

/// Something done to a unit (who may do it is the server's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitAction {
    /// Modify info, add/remove members or plots (creator).
    Modify,
    /// Dissolve (解散) (creator).
    Dissolve,
    /// Approve (regiment).
    Approve,
    /// Reject with a reason (regiment).
    Reject,
    /// Revoke the review (撤销审核) (regiment).
    Revoke,
}

impl UnitAction {
    /// 修改, 解散, 审核通过, 驳回, 撤销审核.
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitAction::Modify => "修改",
            UnitAction::Dissolve => "解散",
            UnitAction::Approve => "审核通过",
            UnitAction::Reject => "驳回",
            UnitAction::Revoke => "撤销审核",
        }
    }
}

/// Message when an approved unit is modified.
pub const APPROVED_MODIFY_MSG: &str = "已审核，如需修改请联系团级单位撤销审核";

/// The lifecycle table of rules §4: the status after `action` on a unit in
/// `status`, where `processing` says whether any of its cards has a bale.
///
/// | action | allowed when | new status |
/// |---|---|---|
/// | Modify | PENDING or REJECTED, not processing | PENDING (a modified REJECTED unit is resubmitted) |
/// | Dissolve | PENDING or REJECTED, not processing | DISSOLVED |
/// | Approve | PENDING | APPROVED |
/// | Reject | PENDING | REJECTED |
/// | Revoke | APPROVED, not processing | PENDING |
pub fn next_status(
    status: UnitStatus,
    action: UnitAction,
    processing: bool,
) -> Result<UnitStatus, RuleError> {
    use UnitAction as A;
    use UnitStatus as S;
    let dissolved = || RuleError::UnitLocked(format!("追溯单元已解散，不能{}", action.label_zh()));
    if status == S::Dissolved {
        return Err(dissolved());
    }
    let busy = matches!(action, A::Modify | A::Dissolve | A::Revoke) && processing;
    if busy {
        return Err(RuleError::UnitLocked(format!(
            "追溯单元已开始加工，不能{}",
            action.label_zh()
        )));
    }
    match (action, status) {
        (A::Modify, S::Pending | S::Rejected) => Ok(S::Pending),
        (A::Modify, S::Approved) => Err(RuleError::UnitLocked(APPROVED_MODIFY_MSG.into())),
        (A::Dissolve, S::Pending | S::Rejected) => Ok(S::Dissolved),
        (A::Dissolve, S::Approved) => {
            Err(RuleError::UnitLocked("已审核，如需解散请联系团级单位撤销审核".into()))
        }
        (A::Approve, S::Pending) => Ok(S::Approved),
        (A::Reject, S::Pending) => Ok(S::Rejected),
        (A::Approve | A::Reject, s) => Err(RuleError::invalid(format!(
            "只有待审核的追溯单元才能{}，当前状态为{}",
            action.label_zh(),
            s.label_zh()
        ))),
        (A::Revoke, S::Approved) => Ok(S::Pending),
        (A::Revoke, s) => Err(RuleError::invalid(format!(
            "只有审核通过的追溯单元才能撤销审核，当前状态为{}",
            s.label_zh()
        ))),
        (A::Modify | A::Dissolve, S::Dissolved) => Err(dissolved()),
    }
}

/// Validates a reject reason (or any review remark): trimmed, 1..=200
/// characters.
pub fn validate_reason(reason: &str) -> Result<String, RuleError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(RuleError::invalid("驳回原因不能为空"));
    }
    if r.chars().count() > 200 {
        return Err(RuleError::invalid("驳回原因不能超过200个字符"));
    }
    Ok(r.to_string())
}

/// Validates a plot area: greater than 0 mu with at most 2 decimals. Returns it
/// without trailing zeros ("120.50" → 120.5): the roster import and the
/// one-record edits store the same value for the same area.
pub fn validate_plot_area_mu(area: Decimal) -> Result<Decimal, RuleError> {
    let area = area.normalize();
    if area <= Decimal::ZERO {
        return Err(RuleError::invalid(format!(
            "地块面积必须大于0亩，当前为{area}"
        )));
    }
    if decimal_places(area) > 2 {
        return Err(RuleError::invalid(format!(
            "地块面积最多保留2位小数，当前为{area}"
        )));
    }
    Ok(area)
}

/// Longest plot code (地块编号), characters.
pub const PLOT_CODE_MAX_CHARS: usize = 32;

/// Longest location (位置) or variety (品种) of a plot, characters.
pub const PLOT_TEXT_MAX_CHARS: usize = 64;

/// Validates a plot code (地块编号): trimmed, 1..=32 characters, no control
/// characters. Returns it trimmed (case preserved).
pub fn validate_plot_code(code: &str) -> Result<String, RuleError> {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > PLOT_CODE_MAX_CHARS {
        return Err(RuleError::invalid(format!(
            "地块编号不能为空且不超过{PLOT_CODE_MAX_CHARS}个字符"
        )));
    }
    if code.chars().any(char::is_control) {
        return Err(RuleError::invalid("地块编号不能包含换行、制表符等控制字符"));
    }
    Ok(code.to_string())
}

/// Validates a plot's optional text, its location (位置) or variety (品种),
/// named by `what`: trimmed, empty means none, at most 64 characters, no control
/// characters.
pub fn validate_plot_text(text: Option<&str>, what: &str) -> Result<Option<String>, RuleError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > PLOT_TEXT_MAX_CHARS {
        return Err(RuleError::invalid(format!(
            "{what}不能超过{PLOT_TEXT_MAX_CHARS}个字符"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(RuleError::invalid(format!(
            "{what}不能包含换行、制表符等控制字符"
        )));
    }
    Ok(Some(text.to_string()))
}

/// A unit may be saved (or keep its members) only when its total plot area is at
/// least the season minimum; otherwise [`RuleError::AreaTooSmall`] with both
/// figures (trailing zeros removed for display).
pub fn check_unit_area(total_area_mu: Decimal, min_area_mu: Decimal) -> Result<(), RuleError> {
    if total_area_mu >= min_area_mu {
        Ok(())
    } else {
        Err(RuleError::AreaTooSmall {
            current: total_area_mu.normalize(),
            required: min_area_mu.normalize(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use UnitAction as A;
    use UnitStatus as S;
    use rust_decimal_macros::dec;

    #[test]
    fn strings() {
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        for s in UnitStatus::ALL {
            assert_eq!(UnitStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!(UnitKind::Cooperative.requires_legal_person());
        assert!(!UnitKind::Free.requires_legal_person());
        assert_eq!(UnitKind::Company.label_zh(), "连队组团");
    }

    #[test]
    fn lifecycle_allowed() {
        assert_eq!(next_status(S::Pending, A::Modify, false), Ok(S::Pending));
        assert_eq!(next_status(S::Rejected, A::Modify, false), Ok(S::Pending));
        assert_eq!(
            next_status(S::Pending, A::Dissolve, false),
            Ok(S::Dissolved)
        );
        assert_eq!(
            next_status(S::Rejected, A::Dissolve, false),
            Ok(S::Dissolved)
        );
        assert_eq!(next_status(S::Pending, A::Approve, false), Ok(S::Approved));
        assert_eq!(next_status(S::Pending, A::Reject, false), Ok(S::Rejected));
        assert_eq!(next_status(S::Approved, A::Revoke, false), Ok(S::Pending));
    }

    #[test]
    fn lifecycle_refused() {
        let e = |s, a, p| next_status(s, a, p).unwrap_err().to_string();
        assert_eq!(
            e(S::Approved, A::Modify, false),
            "已审核，如需修改请联系团级单位撤销审核"
        );
        assert_eq!(
            e(S::Approved, A::Modify, true),
            "追溯单元已开始加工，不能修改"
        );
        assert_eq!(
            e(S::Approved, A::Revoke, true),
            "追溯单元已开始加工，不能撤销审核"
        );
        assert_eq!(
            e(S::Approved, A::Dissolve, true),
            "追溯单元已开始加工，不能解散"
        );
        assert!(e(S::Approved, A::Dissolve, false).contains("撤销审核"));
        assert_eq!(
            e(S::Approved, A::Approve, false),
            "只有待审核的追溯单元才能审核通过，当前状态为审核通过"
        );
        assert_eq!(
            e(S::Rejected, A::Reject, false),
            "只有待审核的追溯单元才能驳回，当前状态为已驳回"
        );
        assert_eq!(
            e(S::Pending, A::Revoke, false),
            "只有审核通过的追溯单元才能撤销审核，当前状态为待审核"
        );
        assert_eq!(
            e(S::Dissolved, A::Modify, false),
            "追溯单元已解散，不能修改"
        );
        // Nothing is allowed on a dissolved unit.
        for a in [A::Modify, A::Dissolve, A::Approve, A::Reject, A::Revoke] {
            for p in [false, true] {
                assert!(next_status(S::Dissolved, a, p).is_err());
            }
        }
        // Processing blocks every creator action and revoke.
        for s in UnitStatus::ALL {
            for a in [A::Modify, A::Dissolve, A::Revoke] {
                assert!(next_status(s, a, true).is_err(), "{s:?} {a:?}");
            }
        }
    }

    #[test]
    fn reasons() {
        assert_eq!(validate_reason("  面积有误 ").unwrap(), "面积有误");
        assert_eq!(
            validate_reason(" ").unwrap_err().to_string(),
            "驳回原因不能为空"
        );
        assert!(validate_reason(&"错".repeat(201)).is_err());
        assert!(validate_reason(&"错".repeat(200)).is_ok());
    }

    #[test]
    fn plot_areas() {
        assert_eq!(validate_plot_area_mu(dec!(12.50)), Ok(dec!(12.50)));
        assert_eq!(validate_plot_area_mu(dec!(0.01)), Ok(dec!(0.01)));
        assert_eq!(
            validate_plot_area_mu(dec!(0)).unwrap_err().to_string(),
            "地块面积必须大于0亩，当前为0"
        );
        assert!(validate_plot_area_mu(dec!(-3)).is_err());
        assert_eq!(
            validate_plot_area_mu(dec!(1.005)).unwrap_err().to_string(),
            "地块面积最多保留2位小数，当前为1.005"
        );
        assert!(validate_plot_area_mu(dec!(1.0100)).is_ok());
        // Trailing zeros do not count as decimals, and are not kept.
        assert_eq!(validate_plot_area_mu(dec!(120.500)).unwrap().to_string(), "120.5");
        assert_eq!(validate_plot_area_mu(dec!(80.00)).unwrap().to_string(), "80");
    }

    #[test]
    fn plot_codes_and_texts() {
        assert_eq!(validate_plot_code("  A1-01-1 ").unwrap(), "A1-01-1");
        assert_eq!(validate_plot_code(&"地".repeat(32)).unwrap(), "地".repeat(32));
        for bad in ["", "   ", &"地".repeat(33)] {
            assert_eq!(
                validate_plot_code(bad).unwrap_err().to_string(),
                "地块编号不能为空且不超过32个字符"
            );
        }
        assert!(validate_plot_code("A1\n01").is_err());
        assert_eq!(validate_plot_text(None, "位置"), Ok(None));
        assert_eq!(validate_plot_text(Some("  "), "位置"), Ok(None));
        assert_eq!(
            validate_plot_text(Some(" 第3条田 "), "位置"),
            Ok(Some("第3条田".to_string()))
        );
        assert!(validate_plot_text(Some(&"田".repeat(64)), "位置").is_ok());
        assert_eq!(
            validate_plot_text(Some(&"田".repeat(65)), "品种")
                .unwrap_err()
                .to_string(),
            "品种不能超过64个字符"
        );
        assert!(validate_plot_text(Some("新陆\u{7}早"), "品种").is_err());
    }

    #[test]
    fn unit_area() {
        assert!(check_unit_area(dec!(500), dec!(500)).is_ok());
        assert!(check_unit_area(dec!(500.00), dec!(500)).is_ok());
        assert!(check_unit_area(dec!(1200.5), dec!(500)).is_ok());
        let e = check_unit_area(dec!(480.50), dec!(500.00)).unwrap_err();
        assert_eq!(
            e,
            RuleError::AreaTooSmall {
                current: dec!(480.5),
                required: dec!(500)
            }
        );
        assert_eq!(
            e.to_string(),
            "追溯单元面积不足：当前 480.5 亩，至少需要 500 亩"
        );
        assert_eq!(
            check_unit_area(dec!(0), dec!(500)).unwrap_err().to_string(),
            "追溯单元面积不足：当前 0 亩，至少需要 500 亩"
        );
    }
}
