//! Decimal columns: `NUMERIC` on PostgreSQL, `TEXT` on SQLite (a SQLite NUMERIC
//! column would turn "512.50" into the float 512.5). One Rust type, [`Dec`], reads
//! and writes both exactly.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sqlite::Sqlite;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The SQL type of decimal columns: `numeric` on PostgreSQL, `TEXT` on SQLite
/// (diesel's own `Numeric` binds as a float on SQLite).
#[derive(Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Text"))]
pub struct ExactDecimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, AsExpression, FromSqlRow)]
#[diesel(sql_type = ExactDecimal)]
pub struct Dec(pub Decimal);

impl From<Decimal> for Dec {
    fn from(d: Decimal) -> Self {
        Dec(d)
    }
}

impl From<Dec> for Decimal {
    fn from(d: Dec) -> Self {
        d.0
    }
}

impl ToSql<ExactDecimal, Pg> for Dec {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Decimal as ToSql<diesel::sql_types::Numeric, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<ExactDecimal, Pg> for Dec {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Dec(<Decimal as FromSql<diesel::sql_types::Numeric, Pg>>::from_sql(bytes)?))
    }
}

impl ToSql<ExactDecimal, Sqlite> for Dec {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<ExactDecimal, Sqlite> for Dec {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = value.read_text();
        Ok(Dec(Decimal::from_str(text).map_err(|e| format!("bad decimal {text:?}: {e}"))?))
    }
}
