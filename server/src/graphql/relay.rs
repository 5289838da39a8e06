//! Relay connections (https://relay.dev/graphql/connections.htm): opaque cursors
//! over row ids, `first`/`after` paging forward and `last`/`before` backward.
//!
//! Every connection lists its rows in one fixed order of a unique id column
//! (ascending, or descending for newest-first lists); a cursor names a row's id,
//! so it stays valid and means the same place whatever is inserted or deleted
//! around it. [`page_query!`] loads a window of a filtered query and tells
//! whether rows lie before and after it in the whole filtered list.

use async_graphql::SimpleObject;
use base64::Engine;

use crate::error::{AppError, AppResult};

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

/// One request's page window: the rows strictly between `after` and `before`
/// (in the list's order), the first `limit` of them, or the last `limit` when
/// `backward` (`last` given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    pub backward: bool,
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

/// What [`page_query!`] fetched: the page's rows in the list's order and whether
/// rows of the filtered list lie before and after them.
#[derive(Debug)]
pub struct Fetched<T> {
    pub rows: Vec<T>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

impl<T> Fetched<T> {
    /// From `limit + 1` rows fetched in the direction of travel (reversed when
    /// backward): the extra row says a further page exists that way; the other
    /// way, `beyond_start` says rows precede the window's start.
    pub fn new(mut rows: Vec<T>, w: &Window, beyond_start: bool) -> Self {
        let more = rows.len() as i64 > w.limit;
        rows.truncate(w.limit as usize);
        if w.backward {
            rows.reverse();
            Fetched { rows, has_previous_page: more, has_next_page: beyond_start }
        } else {
            Fetched { rows, has_previous_page: beyond_start, has_next_page: more }
        }
    }
}

/// Loads a window of a filtered query inside `db_run!`:
/// `page_query!(conn, filtered, trace_units::id, asc, window, UnitRow::as_select())`
/// where `filtered!()` builds the boxed, filtered query (no order, no limit) and
/// `asc`/`desc` is the list's order of the id column. Evaluates to
/// `Fetched<row>`; cursors are ids of that column.
macro_rules! page_query {
    ($conn:ident, $filtered:ident, $id:expr, asc, $w:expr, $select:expr) => {
        $crate::graphql::relay::page_query!(@go $conn, $filtered, $id, $w, $select, gt, lt, le, ge, asc, desc)
    };
    ($conn:ident, $filtered:ident, $id:expr, desc, $w:expr, $select:expr) => {
        $crate::graphql::relay::page_query!(@go $conn, $filtered, $id, $w, $select, lt, gt, ge, le, desc, asc)
    };
    // `past_after`/`short_of_before` keep rows inside the window; `upto_after` /
    // `from_before` find rows outside it; `fwd`/`bwd` are the list's order and its reverse.
    (@go $conn:ident, $filtered:ident, $id:expr, $w:expr, $select:expr,
     $past_after:ident, $short_of_before:ident, $upto_after:ident, $from_before:ident, $fwd:ident, $bwd:ident) => {{
        use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _};
        let w: $crate::graphql::relay::Window = $w;
        let mut q = $filtered!().limit(w.limit + 1).select($select);
        q = if w.backward { q.order($id.$bwd()) } else { q.order($id.$fwd()) };
        if let Some(a) = w.after {
            q = q.filter($id.$past_after(a));
        }
        if let Some(b) = w.before {
            q = q.filter($id.$short_of_before(b));
        }
        let rows = q.load($conn).await?;
        // Rows on the far side of the window's start in the direction of travel:
        // at or before `after` going forward, at or after `before` going backward.
        let beyond_start = match (w.backward, w.after, w.before) {
            (false, Some(a), _) => {
                $filtered!().filter($id.$upto_after(a)).select($id).first::<i64>($conn).await.optional()?.is_some()
            }
            (true, _, Some(b)) => {
                $filtered!().filter($id.$from_before(b)).select($id).first::<i64>($conn).await.optional()?.is_some()
            }
            _ => false,
        };
        let mut fetched = $crate::graphql::relay::Fetched::new(rows, &w, beyond_start);
        // The window's far end: a page that runs out stops at the other cursor,
        // beyond which rows may still lie (Relay: "elements exist following before").
        if !w.backward && !fetched.has_next_page {
            if let Some(b) = w.before {
                fetched.has_next_page =
                    $filtered!().filter($id.$from_before(b)).select($id).first::<i64>($conn).await.optional()?.is_some();
            }
        }
        if w.backward && !fetched.has_previous_page {
            if let Some(a) = w.after {
                fetched.has_previous_page =
                    $filtered!().filter($id.$upto_after(a)).select($id).first::<i64>($conn).await.optional()?.is_some();
            }
        }
        fetched
    }};
}
pub(crate) use page_query;

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
