//! `processing`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bales)]
pub struct BaleRow {
    pub id: i64,
    pub barcode: String,
    pub enterprise_id: i64,
    pub line_id: i64,
    pub card_id: Option<i64>,
    pub net_kg: Dec,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Dec,
    pub traced: bool,
    pub delay: bool,
    pub pressed_at: NaiveDateTime,
    pub seq: i64,
}

#[derive(Insertable)]
#[diesel(table_name = bales, treat_none_as_default_value = false)]
pub struct NewBale {
    pub barcode: String,
    pub enterprise_id: i64,
    pub line_id: i64,
    pub card_id: Option<i64>,
    pub net_kg: Dec,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Dec,
    pub traced: bool,
    pub delay: bool,
    pub pressed_at: NaiveDateTime,
    pub seq: i64,
}

#[derive(Insertable)]
#[diesel(table_name = line_records, treat_none_as_default_value = false)]
pub struct NewLineRecord {
    pub line_id: i64,
    pub seq: i64,
    pub kind: String,
    pub payload: String,
    pub at: NaiveDateTime,
    pub source: String,
}
