//! `quality`: row types and queries.

use chrono::NaiveDateTime;

use crate::prelude::*;
use crate::schema::*;
use crate::Dec;
use cotton_domain::season::SeasonRules;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: i64,
    pub barcode: String,
    pub color_grade: Option<String>,
    pub length_mm: Option<Dec>,
    pub strength: Option<Dec>,
    pub micronaire: Option<Dec>,
    pub uniformity_pct: Option<Dec>,
    pub trash_pct: Option<Dec>,
    pub moisture_pct: Option<Dec>,
    pub conditioned_kg: Option<Dec>,
    pub imported_at: NaiveDateTime,
}

impl InspectionRow {
    /// Premium when length, strength and micronaire meet the season's criteria
    /// (default 双29B2: length ≥ 29 mm, strength ≥ 29 cN/tex, micronaire 3.7–4.9).
    pub fn premium(&self, rules: &SeasonRules) -> bool {
        match (self.length_mm, self.strength, self.micronaire) {
            (Some(l), Some(s), Some(m)) => rules.is_premium(l.0, s.0, m.0),
            _ => false,
        }
    }
}
