//! `units`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use cotton_domain::units::{UnitKind, UnitStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trace_units)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub season: i32,
    pub status: String,
    pub region_id: i64,
    pub regiment_id: i64,
    pub creator_account_id: i64,
    pub creator_org_id: i64,
    pub legal_name: Option<String>,
    pub legal_id_number: Option<String>,
    pub legal_credit_code: Option<String>,
    pub legal_phone: Option<String>,
    pub processing: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped with every change of the unit's bale aggregate (bales, inspections,
    /// season rules): the key of the quality aggregate cache (`quality::aggregate`).
    pub quality_rev: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unit_reviews)]
pub struct ReviewRow {
    pub id: i64,
    pub unit_id: i64,
    pub action: String,
    pub reason: Option<String>,
    pub by_account: i64,
    pub at: NaiveDateTime,
}

impl UnitRow {
    pub fn kind(&self) -> UnitKind {
        UnitKind::parse(&self.kind).expect("database CHECK keeps unit kinds valid")
    }
    pub fn status(&self) -> UnitStatus {
        UnitStatus::parse(&self.status).expect("database CHECK keeps unit statuses valid")
    }
}

#[derive(Insertable)]
#[diesel(table_name = unit_reviews)]
pub struct NewReview {
    pub unit_id: i64,
    pub action: String,
    pub reason: Option<String>,
    pub by_account: i64,
    pub at: NaiveDateTime,
}
