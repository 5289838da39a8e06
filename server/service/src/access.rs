//! What a caller may reach, computed once per request from the token's claims
//! (`Principal::scope`) and asked by the services: "whose area is this?",
//! "which enterprise acts?", instead of matching roles and ids at every site.

use cotton_domain::orgs::Role;

use crate::error::{AppError, AppResult};

/// The caller's reach. An account whose org is missing from its token (never
/// issued so; a tampered or stale token) gets `Nothing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The platform admin: everything.
    Admin,
    /// A regiment's account: the regiment's area (its companies, their units,
    /// the enterprises registered under it).
    Regiment { regiment_id: i64 },
    /// A company's account: its own roster and the COMPANY units it created.
    Company { company_id: i64, regiment_id: Option<i64> },
    /// A group initiator: the units they created.
    Initiator { account_id: i64, regiment_id: Option<i64> },
    /// A ginning enterprise's account: its own tickets, cards and lines.
    Enterprise { enterprise_id: i64, regiment_id: Option<i64> },
    /// A grower: the records of the roster entries with their mobile.
    Grower { phone: String },
    Nothing,
}

impl Scope {
    pub fn of(role: Role, account_id: i64, org_id: Option<i64>, regiment_id: Option<i64>, phone: Option<&str>) -> Scope {
        match (role, org_id) {
            (Role::PlatformAdmin, _) => Scope::Admin,
            (Role::Regiment, _) => regiment_id.map_or(Scope::Nothing, |regiment_id| Scope::Regiment { regiment_id }),
            (Role::Company, Some(company_id)) => Scope::Company { company_id, regiment_id },
            (Role::Initiator, _) => Scope::Initiator { account_id, regiment_id },
            (Role::Enterprise, Some(enterprise_id)) => Scope::Enterprise { enterprise_id, regiment_id },
            (Role::Grower, _) => phone.map_or(Scope::Nothing, |p| Scope::Grower { phone: p.to_string() }),
            _ => Scope::Nothing,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Scope::Admin)
    }

    /// The regiment whose area this regiment account oversees.
    pub fn regiment(&self) -> Option<i64> {
        match self {
            Scope::Regiment { regiment_id } => Some(*regiment_id),
            _ => None,
        }
    }

    /// Does this caller oversee the area of `regiment_id` (the admin, or that regiment)?
    pub fn oversees(&self, regiment_id: i64) -> bool {
        self.is_admin() || self.regiment() == Some(regiment_id)
    }

    /// The enterprise acting, for the operations only an enterprise performs.
    pub fn enterprise(&self) -> AppResult<i64> {
        match self {
            Scope::Enterprise { enterprise_id, .. } => Ok(*enterprise_id),
            _ => Err(AppError::Forbidden("只有加工企业可以执行此操作".into())),
        }
    }

    /// Is this the account of enterprise `enterprise_id`?
    pub fn is_enterprise(&self, enterprise_id: i64) -> bool {
        matches!(self, Scope::Enterprise { enterprise_id: e, .. } if *e == enterprise_id)
    }

    /// A grower's mobile, by which their roster entries are found.
    pub fn grower_phone(&self) -> Option<&str> {
        match self {
            Scope::Grower { phone } => Some(phone),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_follows_the_claims() {
        assert_eq!(Scope::of(Role::PlatformAdmin, 1, None, None, None), Scope::Admin);
        assert_eq!(Scope::of(Role::Regiment, 2, Some(10), Some(10), None), Scope::Regiment { regiment_id: 10 });
        assert_eq!(Scope::of(Role::Regiment, 2, Some(10), None, None), Scope::Nothing);
        assert_eq!(Scope::of(Role::Enterprise, 3, Some(30), Some(10), None).enterprise().unwrap(), 30);
        assert!(Scope::of(Role::Company, 4, Some(40), Some(10), None).enterprise().is_err());
        assert_eq!(Scope::of(Role::Grower, 5, None, None, Some("13800000000")).grower_phone(), Some("13800000000"));
        assert_eq!(Scope::of(Role::Grower, 5, None, None, None), Scope::Nothing);
        let regiment = Scope::Regiment { regiment_id: 10 };
        assert!(regiment.oversees(10) && !regiment.oversees(11) && Scope::Admin.oversees(11));
        assert!(Scope::of(Role::Enterprise, 3, Some(30), None, None).is_enterprise(30));
    }
}
