//! Typed ids at the service boundary: a resolver turns the API's `ID` into the
//! id of the object it names (`UnitId`, `LineId`, …) once, and a service function
//! says in its signature which object it wants — a plot id can no longer reach a
//! unit's function. Ids are the row ids (decimal strings in the API); the store
//! keeps `i64`.

use crate::error::{AppError, AppResult};

/// `what` names the object in the message (无效的团场编号：x).
pub fn parse_id(id: &str, what: &str) -> AppResult<i64> {
    id.parse::<i64>().map_err(|_| AppError::Validation(format!("无效的{what}编号：{id}")))
}

/// An id of one kind of object.
pub trait TypedId: Copy + From<i64> {
    /// The object's name in messages (无效的{WHAT}编号).
    const WHAT: &'static str;
    fn get(self) -> i64;

    /// Parses the API's form, naming the object by its kind.
    fn parse(id: &str) -> AppResult<Self> {
        parse_id(id, Self::WHAT).map(Self::from)
    }

    /// Parses the API's form, naming the object by the argument's role (上级机构, 所属团场).
    fn parse_as(id: &str, what: &str) -> AppResult<Self> {
        parse_id(id, what).map(Self::from)
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl TypedId for $name {
            const WHAT: &'static str = $what;
            fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// An organisation: division, regiment, company, cooperative or enterprise.
    OrgId,
    "机构"
);
typed_id!(
    /// A grower on a company's roster.
    GrowerId,
    "种植者"
);
typed_id!(
    /// A grower's plot in one season.
    PlotId,
    "地块"
);
typed_id!(
    /// A trace unit.
    UnitId,
    "追溯单元"
);
typed_id!(
    /// A weigh ticket.
    TicketId,
    "磅单"
);
typed_id!(
    /// A production line.
    LineId,
    "生产线"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_their_names() {
        assert_eq!(UnitId::parse("42").unwrap().get(), 42);
        let AppError::Validation(m) = LineId::parse("x").unwrap_err() else { panic!("VALIDATION") };
        assert_eq!(m, "无效的生产线编号：x");
        let AppError::Validation(m) = OrgId::parse_as("y", "上级机构").unwrap_err() else { panic!("VALIDATION") };
        assert_eq!(m, "无效的上级机构编号：y");
    }
}
