//! `lines`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use cotton_domain::processing::CollectorModel;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = production_lines)]
pub struct LineRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub collector_model: String,
    pub device_key: String,
    pub created_at: NaiveDateTime,
}

impl LineRow {
    pub fn model(&self) -> CollectorModel {
        match self.collector_model.as_str() {
            "IV" => CollectorModel::Iv,
            "V" => CollectorModel::V,
            _ => CollectorModel::Vi,
        }
    }

    /// The line id carried in files and signatures.
    pub fn line_ref(&self) -> String {
        format!("L{}", self.id)
    }
}
