//! `tickets`: row types and queries.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;
use cotton_domain::weights;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub ticket_no: String,
    pub season: i32,
    pub grower_id: i64,
    pub gross_kg: Dec,
    pub tare_kg: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub lint_yield_pct: Option<Dec>,
    pub module_count: Option<i32>,
    pub weighed_at: NaiveDateTime,
    pub uploaded_at: NaiveDateTime,
    pub late: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct NewTicket {
    pub enterprise_id: i64,
    pub ticket_no: String,
    pub season: i32,
    pub grower_id: i64,
    pub gross_kg: Dec,
    pub tare_kg: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub lint_yield_pct: Option<Dec>,
    pub module_count: Option<i32>,
    pub weighed_at: NaiveDateTime,
    pub uploaded_at: NaiveDateTime,
    pub late: bool,
    pub updated_at: NaiveDateTime,
}

impl TicketRow {
    pub fn net_kg(&self) -> Option<Decimal> {
        self.tare_kg.map(|t| self.gross_kg.0 - t.0)
    }

    /// 折皮棉公定重量 = net × 公定衣分率 / 100, once both are known.
    pub fn lint_target_kg(&self) -> Option<Decimal> {
        Some(weights::lint_target_kg(self.net_kg()?, self.lint_yield_pct?.0))
    }
}
