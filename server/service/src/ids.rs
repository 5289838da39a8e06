//! Ids as the API hands them out (decimal strings of the row id): one parser, so
//! a malformed id is always the same VALIDATION whatever the field.

use crate::error::{AppError, AppResult};

/// `what` names the object in the message (无效的团场编号：x).
pub fn parse_id(id: &str, what: &str) -> AppResult<i64> {
    id.parse::<i64>().map_err(|_| AppError::Validation(format!("无效的{what}编号：{id}")))
}
