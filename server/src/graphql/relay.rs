//! Relay connections (https://relay.dev/graphql/connections.htm): opaque cursors
//! over row ids, `first`/`after` paging forward and `last`/`before` backward.
//!
//! Every connection lists its rows in one fixed order of a unique id column
//! (ascending, or descending for newest-first lists); a cursor names a row's id,
//! so it stays valid and means the same place whatever is inserted or deleted
//! around it. The store's `page_query!` loads a window of a filtered query and
//! tells whether rows lie before and after it in the whole filtered list.

use async_graphql::SimpleObject;
use base64::Engine;

use cotton_service::error::{AppError, AppResult};

/// The page window and what a window query fetched live with the queries.
pub use cotton_service::db::page::{Fetched, Window};

pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 200;

#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    /// Rows follow the last edge in the list's order (also when paging backward).
    pub has_next_page: bool,
    /// Rows precede the first edge in the list's order (also when paging forward).
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
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

fn count(name: &str, n: Option<i32>) -> AppResult<Option<i64>> {
    match n {
        Some(n) if n < 0 => Err(AppError::Validation(format!("{name} 不能为负数"))),
        Some(n) => Ok(Some((n as i64).min(MAX_PAGE))),
        None => Ok(None),
    }
}

/// The window from the Relay arguments. `first` and `last` together are refused
/// (VALIDATION); either is capped at [`MAX_PAGE`]; neither means the first
/// [`DEFAULT_PAGE`] rows, or the last ones before `before` when only it is given.
pub fn window(first: Option<i32>, after: Option<&str>, last: Option<i32>, before: Option<&str>) -> AppResult<Window> {
    let (first, last) = (count("first", first)?, count("last", last)?);
    if first.is_some() && last.is_some() {
        return Err(AppError::Validation("first 与 last 不能同时指定：向后翻页用 first/after，向前翻页用 last/before".into()));
    }
    let after = after.map(decode_cursor).transpose()?;
    let before = before.map(decode_cursor).transpose()?;
    let (limit, backward) = match (first, last) {
        (Some(n), _) => (n, false),
        (_, Some(n)) => (n, true),
        // `before` alone reads as "the page before this one".
        (None, None) => (DEFAULT_PAGE, before.is_some() && after.is_none()),
    };
    Ok(Window { after, before, limit, backward })
}

/// The edges (cursor, row) and page info of fetched rows.
pub fn page<T>(fetched: Fetched<T>, id: impl Fn(&T) -> i64) -> (Vec<(String, T)>, PageInfo) {
    let Fetched { rows, has_previous_page, has_next_page } = fetched;
    let start_cursor = rows.first().map(|r| encode_cursor(id(r)));
    let end_cursor = rows.last().map(|r| encode_cursor(id(r)));
    let edges = rows.into_iter().map(|r| (encode_cursor(id(&r)), r)).collect();
    (edges, PageInfo { has_next_page, has_previous_page, start_cursor, end_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_arguments() {
        let c = encode_cursor(7);
        assert_eq!(decode_cursor(&c).unwrap(), 7);
        assert!(window(Some(1), None, Some(1), None).is_err(), "first and last together");
        assert!(window(Some(-1), None, None, None).is_err());
        assert!(window(None, None, Some(-1), None).is_err());
        assert!(window(None, Some("nonsense"), None, None).is_err());
        assert_eq!(window(None, None, Some(5000), None).unwrap().limit, MAX_PAGE);
        let w = window(None, None, Some(3), Some(&c)).unwrap();
        assert_eq!(w, Window { after: None, before: Some(7), limit: 3, backward: true });
        let w = window(None, None, None, Some(&c)).unwrap();
        assert!(w.backward && w.limit == DEFAULT_PAGE);
        let w = window(None, Some(&c), None, None).unwrap();
        assert!(!w.backward && w.after == Some(7));
    }

    #[test]
    fn fetched_directions() {
        let w = Window { after: None, before: Some(9), limit: 2, backward: true };
        // Fetched backward: 8, 7, 6 (one extra) -> page 7, 8 with rows before it.
        let f = Fetched::new(vec![8, 7, 6], &w, true);
        assert_eq!(f.rows, vec![7, 8]);
        assert!(f.has_previous_page && f.has_next_page);
        let w = Window { after: Some(1), before: None, limit: 2, backward: false };
        let f = Fetched::new(vec![2, 3], &w, false);
        assert_eq!(f.rows, vec![2, 3]);
        assert!(!f.has_previous_page && !f.has_next_page);
    }
}
