//! Who sees personal data unmasked (rules §3; issue 16 item 4).
//!
//! Mobiles are personal data like ID numbers. Each rule is a pure function of the
//! caller (computed once per request from the token) and the record's owners, so
//! every resolver that shows a mobile asks the same question.

use cotton_domain::identity::mask_mobile;

use crate::auth::{Principal, Scope};

/// A roster entry's mobile: the grower themself (their sign-in mobile), their
/// company, the regiment whose area holds that company, and the admin.
pub fn sees_grower_mobile(me: Option<&Principal>, grower_phone: &str, company_id: i64, company_regiment: Option<i64>) -> bool {
    let Some(me) = me else { return false };
    match &me.scope {
        Scope::Admin => true,
        Scope::Grower { phone } => phone == grower_phone,
        Scope::Company { company_id: own, .. } => *own == company_id,
        Scope::Regiment { regiment_id } => company_regiment == Some(*regiment_id),
        Scope::Initiator { .. } | Scope::Enterprise { .. } | Scope::Nothing => false,
    }
}

/// An account's mobile: the account itself, the admin, and the regiment whose
/// area holds the account's org (it reviews registrations there).
pub fn sees_account_mobile(me: Option<&Principal>, account_id: i64, org_regiment: Option<i64>) -> bool {
    let Some(me) = me else { return false };
    me.account_id == account_id || me.scope.is_admin() || org_regiment.is_some_and(|r| me.scope.regiment() == Some(r))
}

/// The mobile as the caller may see it.
pub fn shown_mobile(mobile: &str, unmasked: bool) -> String {
    if unmasked { mobile.to_owned() } else { mask_mobile(mobile) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cotton_domain::orgs::Role;

    fn p(role: Role, org: Option<i64>, regiment: Option<i64>, phone: Option<&str>) -> Principal {
        Principal::new(7, role, org, regiment, phone.map(str::to_owned))
    }

    #[test]
    fn grower_mobile_is_seen_by_its_owners_only() {
        let m = "13800138000";
        assert!(sees_grower_mobile(Some(&p(Role::PlatformAdmin, None, None, None)), m, 5, Some(2)));
        assert!(sees_grower_mobile(Some(&p(Role::Grower, None, None, Some(m))), m, 5, Some(2)));
        assert!(!sees_grower_mobile(Some(&p(Role::Grower, None, None, Some("13900139000"))), m, 5, Some(2)));
        assert!(sees_grower_mobile(Some(&p(Role::Company, Some(5), Some(2), None)), m, 5, Some(2)));
        assert!(!sees_grower_mobile(Some(&p(Role::Company, Some(6), Some(2), None)), m, 5, Some(2)));
        assert!(sees_grower_mobile(Some(&p(Role::Regiment, Some(2), Some(2), None)), m, 5, Some(2)));
        assert!(!sees_grower_mobile(Some(&p(Role::Regiment, Some(3), Some(3), None)), m, 5, Some(2)));
        assert!(!sees_grower_mobile(Some(&p(Role::Regiment, None, None, None)), m, 5, None));
        assert!(!sees_grower_mobile(Some(&p(Role::Enterprise, Some(9), Some(2), None)), m, 5, Some(2)));
        assert!(!sees_grower_mobile(Some(&p(Role::Initiator, Some(5), Some(2), None)), m, 5, Some(2)));
        assert!(!sees_grower_mobile(None, m, 5, Some(2)));
    }

    #[test]
    fn account_mobile() {
        assert!(sees_account_mobile(Some(&p(Role::Enterprise, None, None, None)), 7, None));
        assert!(!sees_account_mobile(Some(&p(Role::Grower, None, None, None)), 8, Some(2)));
        assert!(sees_account_mobile(Some(&p(Role::Regiment, Some(2), Some(2), None)), 8, Some(2)));
        assert_eq!(shown_mobile("13800138000", false), "138****8000");
    }
}
