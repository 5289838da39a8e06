//! `rosters`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = growers)]
pub struct GrowerRow {
    pub id: i64,
    pub company_id: i64,
    pub id_number: String,
    pub name: String,
    pub phone: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plots)]
pub struct PlotRow {
    pub id: i64,
    pub grower_id: i64,
    pub company_id: i64,
    pub season: i32,
    pub code: String,
    pub area_mu: Dec,
    pub location: Option<String>,
    pub variety: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
