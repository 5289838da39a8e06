//! Organisations, roles and account names (rules §2).

use crate::RuleError;
use serde::{Deserialize, Serialize};

/// Kind of organisation in the XPCC tree. Serialised as `"CORPS"`, `"DIVISION"`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgKind {
    Corps,
    Division,
    Regiment,
    Company,
    Cooperative,
    Enterprise,
}

impl OrgKind {
    /// Every kind, top of the tree first.
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Corps,
        OrgKind::Division,
        OrgKind::Regiment,
        OrgKind::Company,
        OrgKind::Cooperative,
        OrgKind::Enterprise,
    ];

    /// `"CORPS"`, `"DIVISION"`, `"REGIMENT"`, `"COMPANY"`, `"COOPERATIVE"`, `"ENTERPRISE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Corps => "CORPS",
            OrgKind::Division => "DIVISION",
            OrgKind::Regiment => "REGIMENT",
            OrgKind::Company => "COMPANY",
            OrgKind::Cooperative => "COOPERATIVE",
            OrgKind::Enterprise => "ENTERPRISE",
        }
    }

    /// Inverse of [`OrgKind::as_str`] (exact, upper case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 兵团, 师, 团场, 连队, 合作社, 加工企业.
    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::Corps => "兵团",
            OrgKind::Division => "师",
            OrgKind::Regiment => "团场",
            OrgKind::Company => "连队",
            OrgKind::Cooperative => "合作社",
            OrgKind::Enterprise => "加工企业",
        }
    }

    /// The kind an org of this kind must hang under; `None` for the corps.
    pub fn parent_kind(self) -> Option<OrgKind> {
        match self {
            OrgKind::Corps => None,
            OrgKind::Division => Some(OrgKind::Corps),
            OrgKind::Regiment => Some(OrgKind::Division),
            OrgKind::Company | OrgKind::Cooperative | OrgKind::Enterprise => {
                Some(OrgKind::Regiment)
            }
        }
    }
}

impl std::fmt::Display for OrgKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks where an org may hang: the corps has no parent; a division is under the
/// corps; a regiment under a division; companies, cooperatives and ginning
/// enterprises under a regiment.
pub fn check_parent(kind: OrgKind, parent: Option<OrgKind>) -> Result<(), RuleError> {
    match (kind.parent_kind(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(RuleError::invalid("兵团是最高一级组织，不能有上级组织")),
        (Some(want), None) => Err(RuleError::invalid(format!(
            "{}必须指定上级组织（{}）",
            kind.label_zh(),
            want.label_zh()
        ))),
        (Some(want), Some(got)) if want == got => Ok(()),
        (Some(want), Some(got)) => Err(RuleError::invalid(format!(
            "{}的上级组织必须是{}，不能是{}",
            kind.label_zh(),
            want.label_zh(),
            got.label_zh()
        ))),
    }
}

/// Validates an org code: trimmed, 1..=32 ASCII letters, digits, `-` or `_`.
/// Returns the trimmed code (case preserved).
pub fn validate_org_code(code: &str) -> Result<String, RuleError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(RuleError::invalid("组织代码不能为空"));
    }
    if code.chars().count() > 32 {
        return Err(RuleError::invalid("组织代码不能超过32个字符"));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(RuleError::invalid(
            "组织代码只能包含英文字母、数字、“-”和“_”",
        ));
    }
    Ok(code.to_string())
}

/// Validates a display name (org, grower, plot, …): trimmed, 1..=64 characters,
/// no control characters. `what` names the field in the message, e.g. `"连队名称"`.
pub fn validate_name(name: &str, what: &str) -> Result<String, RuleError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RuleError::invalid(format!("{what}不能为空")));
    }
    if name.chars().count() > 64 {
        return Err(RuleError::invalid(format!("{what}不能超过64个字符")));
    }
    if name.chars().any(char::is_control) {
        return Err(RuleError::invalid(format!(
            "{what}不能包含换行、制表符等控制字符"
        )));
    }
    Ok(name.to_string())
}

/// Account role. Serialised as `"PLATFORM_ADMIN"`, `"REGIMENT"`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    PlatformAdmin,
    Regiment,
    Company,
    Initiator,
    Enterprise,
    Grower,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::PlatformAdmin,
        Role::Regiment,
        Role::Company,
        Role::Initiator,
        Role::Enterprise,
        Role::Grower,
    ];

    /// `"PLATFORM_ADMIN"`, `"REGIMENT"`, `"COMPANY"`, `"INITIATOR"`, `"ENTERPRISE"`, `"GROWER"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "PLATFORM_ADMIN",
            Role::Regiment => "REGIMENT",
            Role::Company => "COMPANY",
            Role::Initiator => "INITIATOR",
            Role::Enterprise => "ENTERPRISE",
            Role::Grower => "GROWER",
        }
    }

    /// Inverse of [`Role::as_str`] (exact, upper case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// 平台后台, 团级单位, 连级单位, 组团发起人, 加工企业, 棉花实际种植者.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "平台后台",
            Role::Regiment => "团级单位",
            Role::Company => "连级单位",
            Role::Initiator => "组团发起人",
            Role::Enterprise => "加工企业",
            Role::Grower => "棉花实际种植者",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The org kinds an account of this role may belong to. Empty means the account
/// has no org (platform admin, grower).
pub fn org_kinds_for_role(role: Role) -> &'static [OrgKind] {
    match role {
        Role::PlatformAdmin | Role::Grower => &[],
        Role::Regiment => &[OrgKind::Regiment],
        Role::Company => &[OrgKind::Company],
        Role::Initiator => &[OrgKind::Regiment, OrgKind::Company],
        Role::Enterprise => &[OrgKind::Enterprise],
    }
}

/// Checks that an account of `role` may belong to an org of kind `org`
/// (`None` = no org).
pub fn check_role_org(role: Role, org: Option<OrgKind>) -> Result<(), RuleError> {
    let kinds = org_kinds_for_role(role);
    match org {
        None if kinds.is_empty() => Ok(()),
        Some(k) if kinds.contains(&k) => Ok(()),
        None => {
            let names: Vec<&str> = kinds.iter().map(|k| k.label_zh()).collect();
            Err(RuleError::invalid(format!(
                "{}账号必须属于{}",
                role.label_zh(),
                names.join("或")
            )))
        }
        Some(k) if kinds.is_empty() => Err(RuleError::invalid(format!(
            "{}账号不属于任何组织，不能关联到{}",
            role.label_zh(),
            k.label_zh()
        ))),
        Some(k) => {
            let names: Vec<&str> = kinds.iter().map(|k| k.label_zh()).collect();
            Err(RuleError::invalid(format!(
                "{}账号必须属于{}，不能属于{}",
                role.label_zh(),
                names.join("或"),
                k.label_zh()
            )))
        }
    }
}

/// The account name of a ginning enterprise: `qts` + enterprise code
/// (e.g. `qts65001`). The code is trimmed.
pub fn enterprise_username(enterprise_code: &str) -> String {
    format!("qts{}", enterprise_code.trim())
}

/// Validates an account name: trimmed, 3..=32 ASCII letters, digits, `_`, `.` or
/// `-`, starting with a letter or digit. Returns it trimmed (case preserved).
pub fn validate_username(s: &str) -> Result<String, RuleError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RuleError::invalid("账号名不能为空"));
    }
    let n = s.chars().count();
    if !(3..=32).contains(&n) {
        return Err(RuleError::invalid(format!(
            "账号名长度应为3至32个字符，当前为{n}个"
        )));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(RuleError::invalid(
            "账号名只能包含英文字母、数字、“_”、“.”和“-”",
        ));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(RuleError::invalid("账号名必须以英文字母或数字开头"));
    }
    Ok(s.to_string())
}

/// Message for a password that is too short or lacks a letter or a digit.
pub const PASSWORD_RULE_MSG: &str = "密码至少8位，且须同时包含字母和数字";

/// Checks a new password: 8..=64 characters with at least one ASCII letter and
/// one ASCII digit. Not trimmed: spaces are part of a password.
pub fn validate_password(s: &str) -> Result<(), RuleError> {
    let n = s.chars().count();
    if n > 64 {
        return Err(RuleError::invalid("密码不能超过64位"));
    }
    let letter = s.chars().any(|c| c.is_ascii_alphabetic());
    let digit = s.chars().any(|c| c.is_ascii_digit());
    if n < 8 || !letter || !digit {
        return Err(RuleError::invalid(PASSWORD_RULE_MSG));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn org_kind_strings_roundtrip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            let json = format!("\"{}\"", k.as_str());
            assert_eq!(serde_json_like(&k), json);
        }
        assert_eq!(OrgKind::parse("corps"), None);
        assert_eq!(OrgKind::parse(""), None);
        assert_eq!(OrgKind::Regiment.label_zh(), "团场");
        assert_eq!(OrgKind::Enterprise.label_zh(), "加工企业");
        assert_eq!(OrgKind::Cooperative.to_string(), "COOPERATIVE");
    }

    fn serde_json_like<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn serde_roundtrip() {
        for k in OrgKind::ALL {
            let back: OrgKind = serde_json::from_str(&format!("\"{}\"", k.as_str())).unwrap();
            assert_eq!(back, k);
        }
        for r in Role::ALL {
            let back: Role = serde_json::from_str(&format!("\"{}\"", r.as_str())).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn parents() {
        use OrgKind::*;
        assert!(check_parent(Corps, None).is_ok());
        assert!(check_parent(Division, Some(Corps)).is_ok());
        assert!(check_parent(Regiment, Some(Division)).is_ok());
        for k in [Company, Cooperative, Enterprise] {
            assert!(check_parent(k, Some(Regiment)).is_ok());
            assert!(check_parent(k, Some(Division)).is_err());
            assert!(check_parent(k, Some(Company)).is_err());
        }
        assert_eq!(
            check_parent(Corps, Some(Corps)).unwrap_err().to_string(),
            "兵团是最高一级组织，不能有上级组织"
        );
        assert_eq!(
            check_parent(Company, None).unwrap_err().to_string(),
            "连队必须指定上级组织（团场）"
        );
        assert_eq!(
            check_parent(Regiment, Some(Corps)).unwrap_err().to_string(),
            "团场的上级组织必须是师，不能是兵团"
        );
        // Exactly one allowed parent per kind.
        for k in OrgKind::ALL {
            let ok: Vec<Option<OrgKind>> = std::iter::once(None)
                .chain(OrgKind::ALL.into_iter().map(Some))
                .filter(|p| check_parent(k, *p).is_ok())
                .collect();
            assert_eq!(ok, vec![k.parent_kind()], "{k}");
        }
    }

    #[test]
    fn org_codes() {
        assert_eq!(validate_org_code(" 65-001_a ").unwrap(), "65-001_a");
        assert_eq!(validate_org_code(&"a".repeat(32)).unwrap().len(), 32);
        assert_eq!(
            validate_org_code(&"a".repeat(33)).unwrap_err().to_string(),
            "组织代码不能超过32个字符"
        );
        assert_eq!(
            validate_org_code("  ").unwrap_err().to_string(),
            "组织代码不能为空"
        );
        for bad in ["65 001", "六五", "a/b", "a.b"] {
            assert!(validate_org_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("  一连 ", "连队名称").unwrap(), "一连");
        assert_eq!(
            validate_name(&"棉".repeat(64), "名称")
                .unwrap()
                .chars()
                .count(),
            64
        );
        assert_eq!(
            validate_name(&"棉".repeat(65), "连队名称")
                .unwrap_err()
                .to_string(),
            "连队名称不能超过64个字符"
        );
        assert_eq!(
            validate_name("", "姓名").unwrap_err().to_string(),
            "姓名不能为空"
        );
        assert!(
            validate_name("一\n连", "名称")
                .unwrap_err()
                .to_string()
                .contains("控制字符")
        );
        assert!(validate_name("a\u{7f}b", "名称").is_err());
    }

    #[test]
    fn roles() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json_like(&r), format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Role::PlatformAdmin.as_str(), "PLATFORM_ADMIN");
        assert_eq!(Role::parse("platform_admin"), None);
        assert_eq!(org_kinds_for_role(Role::PlatformAdmin), &[] as &[OrgKind]);
        assert_eq!(org_kinds_for_role(Role::Grower), &[] as &[OrgKind]);
        assert_eq!(org_kinds_for_role(Role::Regiment), &[OrgKind::Regiment]);
        assert_eq!(org_kinds_for_role(Role::Company), &[OrgKind::Company]);
        assert_eq!(
            org_kinds_for_role(Role::Initiator),
            &[OrgKind::Regiment, OrgKind::Company]
        );
        assert_eq!(org_kinds_for_role(Role::Enterprise), &[OrgKind::Enterprise]);
    }

    #[test]
    fn role_orgs() {
        assert!(check_role_org(Role::PlatformAdmin, None).is_ok());
        assert!(check_role_org(Role::Initiator, Some(OrgKind::Company)).is_ok());
        assert_eq!(
            check_role_org(Role::Initiator, None)
                .unwrap_err()
                .to_string(),
            "组团发起人账号必须属于团场或连队"
        );
        assert_eq!(
            check_role_org(Role::Enterprise, Some(OrgKind::Company))
                .unwrap_err()
                .to_string(),
            "加工企业账号必须属于加工企业，不能属于连队"
        );
        assert!(check_role_org(Role::Grower, Some(OrgKind::Company)).is_err());
    }

    #[test]
    fn usernames() {
        assert_eq!(enterprise_username("65001"), "qts65001");
        assert_eq!(
            validate_username(&enterprise_username("65001")).unwrap(),
            "qts65001"
        );
        assert_eq!(validate_username(" a.b-c_1 ").unwrap(), "a.b-c_1");
        assert_eq!(validate_username("abc").unwrap(), "abc");
        assert!(
            validate_username("ab")
                .unwrap_err()
                .to_string()
                .contains("3至32")
        );
        assert!(validate_username(&"a".repeat(33)).is_err());
        assert!(validate_username(&"a".repeat(32)).is_ok());
        assert_eq!(
            validate_username("_abc").unwrap_err().to_string(),
            "账号名必须以英文字母或数字开头"
        );
        assert!(validate_username("张三丰").is_err());
        assert!(validate_username("a b c").is_err());
        assert!(validate_username("a@b.c").is_err());
        assert_eq!(
            validate_username("").unwrap_err().to_string(),
            "账号名不能为空"
        );
    }

    #[test]
    fn passwords() {
        assert!(validate_password("abcdefg1").is_ok());
        assert!(validate_password("12345678a").is_ok());
        assert!(validate_password("密码密码密码ab12").is_ok());
        for bad in ["abc1234", "abcdefgh", "12345678", "", "密码密码密码密码"] {
            assert_eq!(
                validate_password(bad).unwrap_err().to_string(),
                PASSWORD_RULE_MSG,
                "{bad}"
            );
        }
        assert_eq!(PASSWORD_RULE_MSG, "密码至少8位，且须同时包含字母和数字");
        let long = format!("a1{}", "x".repeat(63));
        assert_eq!(
            validate_password(&long).unwrap_err().to_string(),
            "密码不能超过64位"
        );
        assert!(validate_password(&long[..64]).is_ok());
    }

    proptest! {
        #[test]
        fn valid_usernames_accepted(s in "[A-Za-z0-9][A-Za-z0-9_.-]{2,31}") {
            prop_assert_eq!(validate_username(&s).unwrap(), s);
        }

        #[test]
        fn passwords_with_letter_and_digit_accepted(a in "[a-zA-Z]", d in "[0-9]", rest in "[ -~]{6,62}") {
            let p = format!("{a}{rest}{d}");
            prop_assert!(validate_password(&p).is_ok());
        }

        #[test]
        fn org_codes_roundtrip(s in "[A-Za-z0-9_-]{1,32}") {
            prop_assert_eq!(validate_org_code(&format!(" {s}\t")).unwrap(), s);
        }
    }
}
