//! Relay connection paging over a unique id column: the page window a request
//! asks for ([`Window`]), what a window query fetched ([`Fetched`]) and
//! [`page_query!`](crate::page_query), which loads a window of a filtered query.
//! The API builds windows from the Relay arguments and cursors from the ids.

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

/// What [`page_query!`](crate::page_query) fetched: the page's rows in the
/// list's order and whether rows of the filtered list lie before and after them.
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

/// What [`page_query!`](crate::page_query) expands to, so that callers need not name diesel.
#[doc(hidden)]
pub use ::diesel as __diesel;

/// Loads a window of a filtered query inside `db_run!`:
/// `page_query!(conn, filtered, trace_units::id, asc, window, UnitRow::as_select())`
/// where `filtered!()` builds the boxed, filtered query (no order, no limit) and
/// `asc`/`desc` is the list's order of the id column. Evaluates to
/// `Fetched<row>`; cursors are ids of that column.
#[macro_export]
macro_rules! page_query {
    ($conn:ident, $filtered:ident, $id:expr, asc, $w:expr, $select:expr) => {
        $crate::page_query!(@go $conn, $filtered, $id, $w, $select, gt, lt, le, ge, asc, desc)
    };
    ($conn:ident, $filtered:ident, $id:expr, desc, $w:expr, $select:expr) => {
        $crate::page_query!(@go $conn, $filtered, $id, $w, $select, lt, gt, ge, le, desc, asc)
    };
    // `past_after`/`short_of_before` keep rows inside the window; `upto_after` /
    // `from_before` find rows outside it; `fwd`/`bwd` are the list's order and its reverse.
    (@go $conn:ident, $filtered:ident, $id:expr, $w:expr, $select:expr,
     $past_after:ident, $short_of_before:ident, $upto_after:ident, $from_before:ident, $fwd:ident, $bwd:ident) => {{
        #[allow(unused_imports)]
        use $crate::page::__diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _};
        let w: $crate::page::Window = $w;
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
        let mut fetched = $crate::page::Fetched::new(rows, &w, beyond_start);
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
