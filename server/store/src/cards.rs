//! `cards`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trace_cards)]
pub struct CardRow {
    pub id: i64,
    pub card_no: String,
    pub season: i32,
    pub ticket_id: i64,
    pub unit_id: i64,
    pub enterprise_id: i64,
    pub module_type: String,
    pub module_count: i32,
    pub target_lint_kg: Dec,
    pub processed_lint_kg: Dec,
    pub processable_bales: i32,
    pub status: String,
    pub printed_by: i64,
    pub printed_at: NaiveDateTime,
    /// `AUTO` or `MANUAL` once FINISHED (a CHECK ties it to the status).
    pub finished_by: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = print_records)]
pub struct PrintRecordRow {
    pub id: i64,
    pub card_id: i64,
    pub copies: i32,
    pub reprint: bool,
    pub printer: String,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

impl CardRow {
    pub fn finish_kind(&self) -> Option<cotton_domain::line::FinishKind> {
        self.finished_by.as_deref().and_then(cotton_domain::line::FinishKind::parse)
    }
}
