//! Relay connections: opaque cursors over row ids, `first`/`after` paging.

use async_graphql::SimpleObject;
use base64::Engine;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 200;

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

pub fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c:{id}"))
}

pub fn decode_cursor(cursor: &str) -> AppResult<i64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("c:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::Validation("无效的分页游标".into()))
}

/// The page window: (after id, limit) from `first`/`after`.
pub fn window(first: Option<i32>, after: Option<&str>) -> AppResult<(Option<i64>, i64)> {
    let limit = match first {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(AppError::Validation("first 不能为负数".into())),
        Some(n) => (n as i64).min(MAX_PAGE),
    };
    Ok((after.map(decode_cursor).transpose()?, limit))
}

/// Splits `limit + 1` fetched rows into the page and whether more follow.
pub fn page<T>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> (Vec<(String, T)>, PageInfo) {
    let has_next_page = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let end_cursor = rows.last().map(|r| encode_cursor(id(r)));
    (rows.into_iter().map(|r| (encode_cursor(id(&r)), r)).collect(), PageInfo { has_next_page, end_cursor })
}
