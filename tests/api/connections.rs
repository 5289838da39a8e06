//! Relay connections (issue 17 item 3): `growers`, `traceUnits`, `printRecords`
//! and `lintAssociation` paged forward (`first`/`after`) and backward
//! (`last`/`before`) at several page sizes, every walk compared with the whole
//! list; `hasPreviousPage`/`hasNextPage`, `startCursor`/`endCursor` on every
//! page; windows between two cursors, empty pages at either end, cursors that
//! stay valid when rows are added, the page-size cap, and the refusals.

use serde_json::{Value, json};

use crate::ginning::SEASON;
use crate::harness::*;
use crate::processing_fixture::*;
use crate::unit_fixtures;

both_backends!(every_connection_pages_both_ways, cursors_survive_new_rows, pages_are_capped_both_ways);

const PAGE_INFO: &str = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/// One connection as a test reads it: the query (with `$f $a $l $b` for
/// first/after/last/before), its fixed variables, who asks, and the node field
/// that names a row.
struct Conn {
    field: &'static str,
    query: String,
    vars: Value,
    token: String,
    key: &'static str,
}

fn conn(field: &'static str, params: &str, args: &str, key: &'static str, token: &str, vars: Value) -> Conn {
    let query = format!(
        "query($f: Int, $a: String, $l: Int, $b: String{params}) {{ {field}({args}first: $f, after: $a, last: $l, before: $b) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ {key} }} }} }} }}"
    );
    Conn { field, query, vars, token: token.to_string(), key }
}

#[derive(Default, Clone, Copy)]
struct Args<'a> {
    first: Option<i64>,
    after: Option<&'a str>,
    last: Option<i64>,
    before: Option<&'a str>,
}

impl Conn {
    fn vars(&self, a: Args<'_>) -> Value {
        let mut v = self.vars.clone();
        v["f"] = json!(a.first);
        v["a"] = json!(a.after);
        v["l"] = json!(a.last);
        v["b"] = json!(a.before);
        v
    }
    async fn resp(&self, srv: &TestServer, a: Args<'_>) -> Value {
        srv.gql(Some(&self.token), &self.query, self.vars(a)).await
    }
    async fn page(&self, srv: &TestServer, a: Args<'_>) -> Page {
        let resp = self.resp(srv, a).await;
        let c = data(&resp)[self.field].clone();
        let edges: Vec<(String, String)> = c["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: edges in {c}", self.field))
            .iter()
            .map(|e| (s(&e["cursor"]), s(&e["node"][self.key])))
            .collect();
        let pi = &c["pageInfo"];
        let page = Page {
            has_next: pi["hasNextPage"].as_bool().unwrap(),
            has_previous: pi["hasPreviousPage"].as_bool().unwrap(),
            start: pi["startCursor"].as_str().map(str::to_string),
            end: pi["endCursor"].as_str().map(str::to_string),
            total: c["totalCount"].as_i64().unwrap(),
            edges,
        };
        assert_eq!(page.start, page.edges.first().map(|e| e.0.clone()), "{}: startCursor = first edge's cursor: {c}", self.field);
        assert_eq!(page.end, page.edges.last().map(|e| e.0.clone()), "{}: endCursor = last edge's cursor: {c}", self.field);
        page
    }
    async fn code(&self, srv: &TestServer, a: Args<'_>) -> String {
        let resp = self.resp(srv, a).await;
        let msg = resp["errors"][0]["message"].as_str().unwrap_or_default().to_string();
        assert!(has_cjk(&msg), "{}: a Chinese message: {resp}", self.field);
        err_code(&resp)
    }
}

#[derive(Debug)]
struct Page {
    /// (cursor, key) in the list's order.
    edges: Vec<(String, String)>,
    has_next: bool,
    has_previous: bool,
    start: Option<String>,
    end: Option<String>,
    total: i64,
}

fn keys(edges: &[(String, String)]) -> Vec<String> {
    edges.iter().map(|e| e.1.clone()).collect()
}

/// Walks `c` forward and backward at several page sizes and checks every page
/// against the whole list (fetched in one page of the maximum size).
async fn check_connection(srv: &TestServer, c: &Conn, want_len: usize) {
    let f = c.field;
    let all = c.page(srv, Args { first: Some(200), ..Default::default() }).await;
    let full = all.edges.clone();
    let n = full.len();
    assert_eq!(n, want_len, "{f}: the whole list: {all:?}");
    assert_eq!(all.total, n as i64, "{f}: totalCount");
    assert!(!all.has_next && !all.has_previous, "{f}: the whole list has no page either side: {all:?}");
    let mut distinct = keys(&full);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), n, "{f}: every row once: {full:?}");
    // The default page (20) holds these short lists whole, in the same order.
    let default = c.page(srv, Args::default()).await;
    assert_eq!(default.edges, full, "{f}: no first/last");

    for size in [1, 2, 3, n - 1, n, n + 1] {
        // Forward from the start.
        let mut got: Vec<(String, String)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = c.page(srv, Args { first: Some(size as i64), after: after.as_deref(), ..Default::default() }).await;
            let at = got.len();
            assert_eq!(p.edges, full[at..(at + size).min(n)], "{f}: forward page at {at}, size {size}");
            assert_eq!(p.has_previous, at > 0, "{f}: forward hasPreviousPage at {at}, size {size}: {p:?}");
            assert_eq!(p.has_next, at + size < n, "{f}: forward hasNextPage at {at}, size {size}: {p:?}");
            assert_eq!(p.total, n as i64, "{f}: totalCount on every page");
            got.extend(p.edges);
            if !p.has_next {
                break;
            }
            after = p.end;
            assert!(got.len() <= n, "{f}: forward paging does not end");
        }
        assert_eq!(got, full, "{f}: forward pages of {size} make the whole list");

        // Backward from the end.
        let mut got: Vec<(String, String)> = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let p = c.page(srv, Args { last: Some(size as i64), before: before.as_deref(), ..Default::default() }).await;
            let end = n - got.len();
            let start = end.saturating_sub(size);
            assert_eq!(p.edges, full[start..end], "{f}: backward page ending at {end}, size {size}");
            assert_eq!(p.has_next, end < n, "{f}: backward hasNextPage ending at {end}, size {size}: {p:?}");
            assert_eq!(p.has_previous, start > 0, "{f}: backward hasPreviousPage ending at {end}, size {size}: {p:?}");
            assert_eq!(p.total, n as i64, "{f}: totalCount on every page");
            let mut page = p.edges;
            page.extend(got);
            got = page;
            if !p.has_previous {
                break;
            }
            before = p.start;
            assert!(got.len() <= n, "{f}: backward paging does not end");
        }
        assert_eq!(got, full, "{f}: backward pages of {size} make the whole list");
    }

    // Turning round: the page before a forward page, the page after a backward one.
    let p2 = c.page(srv, Args { first: Some(2), after: Some(&full[1].0), ..Default::default() }).await;
    assert_eq!(p2.edges, full[2..4], "{f}: rows 3-4");
    let back = c.page(srv, Args { last: Some(2), before: p2.start.as_deref(), ..Default::default() }).await;
    assert_eq!(back.edges, full[..2], "{f}: the page before rows 3-4");
    assert!(!back.has_previous && back.has_next, "{f}: {back:?}");
    let fwd = c.page(srv, Args { first: Some(2), after: back.end.as_deref(), ..Default::default() }).await;
    assert_eq!(fwd.edges, p2.edges, "{f}: and forward again");

    // Between two cursors, both ways.
    let (head, tail) = (&full[0].0, &full[n - 1].0);
    let mid = c.page(srv, Args { first: Some(200), after: Some(head), before: Some(tail), ..Default::default() }).await;
    assert_eq!(mid.edges, full[1..n - 1], "{f}: strictly between the first and the last row");
    assert!(mid.has_previous && mid.has_next, "{f}: rows lie beyond both cursors: {mid:?}");
    let mid = c.page(srv, Args { last: Some(200), after: Some(head), before: Some(tail), ..Default::default() }).await;
    assert_eq!(mid.edges, full[1..n - 1], "{f}: the same, backward");
    assert!(mid.has_previous && mid.has_next, "{f}: {mid:?}");
    let one = c.page(srv, Args { first: Some(1), after: Some(head), before: Some(tail), ..Default::default() }).await;
    assert_eq!(one.edges, full[1..2], "{f}: first of the window");
    assert!(one.has_previous && one.has_next, "{f}: {one:?}");
    let one = c.page(srv, Args { last: Some(1), after: Some(head), before: Some(tail), ..Default::default() }).await;
    assert_eq!(one.edges, full[n - 2..n - 1], "{f}: last of the window");
    assert!(one.has_previous && one.has_next, "{f}: {one:?}");
    // `before` alone is the page before it.
    let before_tail = c.page(srv, Args { before: Some(tail), ..Default::default() }).await;
    assert_eq!(before_tail.edges, full[..n - 1], "{f}: before the last row");
    assert!(!before_tail.has_previous && before_tail.has_next, "{f}: {before_tail:?}");

    // Empty pages at either end keep their bearings.
    let past = c.page(srv, Args { first: Some(2), after: Some(tail), ..Default::default() }).await;
    assert!(past.edges.is_empty() && past.start.is_none() && past.end.is_none(), "{f}: after the last row: {past:?}");
    assert!(past.has_previous && !past.has_next, "{f}: after the last row: {past:?}");
    let ahead = c.page(srv, Args { last: Some(2), before: Some(head), ..Default::default() }).await;
    assert!(ahead.edges.is_empty(), "{f}: before the first row: {ahead:?}");
    assert!(!ahead.has_previous && ahead.has_next, "{f}: before the first row: {ahead:?}");
    let zero = c.page(srv, Args { first: Some(0), ..Default::default() }).await;
    assert!(zero.edges.is_empty() && zero.has_next && !zero.has_previous, "{f}: first: 0: {zero:?}");
    let zero = c.page(srv, Args { last: Some(0), ..Default::default() }).await;
    assert!(zero.edges.is_empty() && zero.has_previous && !zero.has_next, "{f}: last: 0: {zero:?}");

    // Refusals.
    for (why, a) in [
        ("first and last together", Args { first: Some(2), last: Some(2), ..Default::default() }),
        ("negative last", Args { last: Some(-1), ..Default::default() }),
        ("negative first", Args { first: Some(-1), ..Default::default() }),
        ("a forged before", Args { last: Some(2), before: Some("bm90LWEtY3Vyc29y"), ..Default::default() }),
        ("a garbage before", Args { before: Some("不是游标"), ..Default::default() }),
        ("a garbage after", Args { after: Some("%%%"), ..Default::default() }),
    ] {
        assert_eq!(c.code(srv, a).await, "VALIDATION", "{f}: {why}");
    }
}

/// Cards (ZPL) for G1..G6 by qy_a and one card with a large target whose `bales`
/// bales go through a VI line; returns the big card's number.
async fn cards_and_bales(srv: &TestServer, m: &Mill, bales: usize) -> String {
    for (no, g, plot) in [("K-1", 1, "A1-01-1"), ("K-2", 2, "A1-02-1"), ("K-3", 3, "A1-03-1"), ("K-5", 5, "A1-05-1"), ("K-6", 6, "A1-06-1")] {
        card_of(srv, m.qy_a(), &ticket(m, no, g, plot, "1200", "200")).await;
    }
    // Net 10,000 kg at 38.5 %: a target of 3,850 kg lint, far beyond the bales.
    let big = card_of(srv, m.qy_a(), &ticket(m, "K-BIG", 4, "A1-04-1", "10200", "200")).await;
    let line = create_line(srv, m.qy_a(), "一号线", "VI").await;
    scan(srv, m.qy_a(), &line.id, &[&big]).await;
    delay(srv, m.qy_a(), &line.id, &big, 0).await;
    for i in 0..bales {
        let r = bale(srv, m.qy_a(), &line.id, &format!("CB{i:03}"), "227", None).await;
        assert!(r["finishedCard"].is_null(), "bale {i} finishes nothing: {r}");
    }
    end(srv, m.qy_a(), &line.id).await;
    big
}

fn growers_conn(m: &Mill) -> Conn {
    conn(
        "growers",
        ", $c: ID!, $s: Int!",
        "companyId: $c, season: $s, ",
        "id",
        &m.t.lian_a1,
        json!({ "c": m.t.company_a1, "s": SEASON }),
    )
}

fn units_conn(m: &Mill) -> Conn {
    conn("traceUnits", ", $s: Int", "season: $s, ", "id", &m.t.admin, json!({ "s": SEASON }))
}

fn records_conn(m: &Mill) -> Conn {
    conn("printRecords", ", $s: Int", "season: $s, ", "id", m.qy_a(), json!({ "s": SEASON }))
}

fn links_conn(m: &Mill) -> Conn {
    conn("lintAssociation", ", $s: Int!", "season: $s, ", "baleBarcode", m.qy_a(), json!({ "s": SEASON }))
}

async fn every_connection_pages_both_ways(backend: Backend) {
    let (srv, m) = start(backend).await;
    cards_and_bales(&srv, &m, 7).await;

    // Company A1's roster of the season: G1..G7.
    let growers = growers_conn(&m);
    check_connection(&srv, &growers, 7).await;
    // The whole list is the roster in id order, and a search pages too.
    let all = growers.page(&srv, Args { first: Some(200), ..Default::default() }).await;
    let ids: Vec<i64> = keys(&all.edges).iter().map(|k| k.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "growers in id order: {ids:?}");
    let mut search = conn(
        "growers",
        ", $c: ID!, $s: Int!, $q: String",
        "companyId: $c, season: $s, search: $q, ",
        "id",
        &m.t.lian_a1,
        json!({ "c": m.t.company_a1, "s": SEASON, "q": "A1-0" }),
    );
    check_connection(&srv, &search, 7).await;
    search.vars["q"] = json!("A1-07");
    let only = search.page(&srv, Args { last: Some(5), ..Default::default() }).await;
    assert_eq!(only.edges.len(), 1, "{only:?}");
    assert!(!only.has_next && !only.has_previous, "{only:?}");

    // The admin's units of the season: U1, U3, UW, UP, UB, UC.
    check_connection(&srv, &units_conn(&m), 6).await;
    // A filter pages within itself: the approved ones.
    let approved = conn("traceUnits", ", $s: Int, $st: UnitStatus", "season: $s, status: $st, ", "id", &m.t.admin, json!({ "s": SEASON, "st": "APPROVED" }));
    check_connection(&srv, &approved, 5).await;

    // The enterprise's print records, newest first: six cards.
    let records = records_conn(&m);
    check_connection(&srv, &records, 6).await;
    let all = records.page(&srv, Args { first: Some(200), ..Default::default() }).await;
    let ids: Vec<i64> = keys(&all.edges).iter().map(|k| k.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "print records newest first: {ids:?}");

    // The lint association: the seven bales, in the order recorded.
    let links = links_conn(&m);
    check_connection(&srv, &links, 7).await;
    let all = links.page(&srv, Args { first: Some(200), ..Default::default() }).await;
    assert_eq!(keys(&all.edges), (0..7).map(|i| format!("CB{i:03}")).collect::<Vec<_>>(), "bales in the order recorded");
    // The other enterprise has none.
    let theirs = conn("lintAssociation", ", $s: Int!", "season: $s, ", "baleBarcode", &m.qy_b, json!({ "s": SEASON }));
    let none = theirs.page(&srv, Args { last: Some(3), ..Default::default() }).await;
    assert!(none.edges.is_empty() && !none.has_next && !none.has_previous && none.total == 0, "{none:?}");
}

async fn cursors_survive_new_rows(backend: Backend) {
    let (srv, m) = start(backend).await;
    cards_and_bales(&srv, &m, 5).await;
    let records = records_conn(&m);
    let p1 = records.page(&srv, Args { first: Some(2), ..Default::default() }).await;
    let p2 = records.page(&srv, Args { first: Some(2), after: p1.end.as_deref(), ..Default::default() }).await;
    // A new card: the newest record, at the head of the list.
    card_of(&srv, m.qy_a(), &ticket(&m, "K-7", 7, "A1-07-1", "1200", "200")).await;
    let again = records.page(&srv, Args { first: Some(2), after: p1.end.as_deref(), ..Default::default() }).await;
    assert_eq!(again.edges, p2.edges, "the same cursor, the same next page");
    let back = records.page(&srv, Args { last: Some(2), before: p2.start.as_deref(), ..Default::default() }).await;
    assert_eq!(back.edges, p1.edges, "and the same page before it");
    assert!(back.has_previous, "the new record precedes it: {back:?}");
    let head = records.page(&srv, Args { last: Some(2), before: back.start.as_deref(), ..Default::default() }).await;
    assert_eq!(head.edges.len(), 1, "only the new record: {head:?}");
    assert!(!head.has_previous && head.has_next, "{head:?}");
    assert_eq!(head.total, 7);

    // New bales join the lint association at its end: a backward cursor still
    // means the same rows, and the tail now has a next page.
    let links = links_conn(&m);
    let old_full = links.page(&srv, Args { first: Some(200), ..Default::default() }).await.edges;
    let tail = links.page(&srv, Args { last: Some(2), ..Default::default() }).await;
    assert!(!tail.has_next, "{tail:?}");
    assert_eq!(tail.edges, old_full[old_full.len() - 2..]);
    let line = create_line(&srv, m.qy_a(), "二号线", "VI").await;
    let card = card_of(&srv, m.qy_a(), &ticket(&m, "K-8", 3, "A1-03-1", "10200", "200")).await;
    scan(&srv, m.qy_a(), &line.id, &[&card]).await;
    delay(&srv, m.qy_a(), &line.id, &card, 0).await;
    bale(&srv, m.qy_a(), &line.id, "NEW1", "227", None).await;
    end(&srv, m.qy_a(), &line.id).await;
    let same = links.page(&srv, Args { last: Some(2), before: Some(&tail.edges[1].0), ..Default::default() }).await;
    assert_eq!(same.edges, old_full[old_full.len() - 3..old_full.len() - 1], "a backward cursor keeps its place");
    assert!(same.has_next && same.has_previous, "{same:?}");
    let after_tail = links.page(&srv, Args { first: Some(5), after: tail.end.as_deref(), ..Default::default() }).await;
    assert_eq!(keys(&after_tail.edges), ["NEW1"], "{after_tail:?}");
    assert!(after_tail.has_previous && !after_tail.has_next, "{after_tail:?}");
    let old_tail = links.page(&srv, Args { last: Some(2), before: after_tail.start.as_deref(), ..Default::default() }).await;
    assert_eq!(old_tail.edges, tail.edges, "the old tail is the page before the new bale");
    assert!(old_tail.has_next && old_tail.has_previous, "{old_tail:?}");
}

async fn pages_are_capped_both_ways(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows: Vec<unit_fixtures::Row> = (0..205u32)
        .map(|i| {
            unit_fixtures::row(&format!("种植者{i}"), &unit_fixtures::id_number(4000 + i), &unit_fixtures::phone(4000 + i), &format!("CAP-{i:03}"), "10")
        })
        .collect();
    let rep = unit_fixtures::import_roster(&srv, &t.lian_a1, &t.company_a1, i64::from(SEASON), &rows).await;
    assert_eq!(unit_fixtures::counts(&rep), [205, 0, 0, 0], "{rep}");
    let growers = conn("growers", ", $c: ID!, $s: Int!", "companyId: $c, season: $s, ", "id", &t.lian_a1, json!({ "c": t.company_a1, "s": SEASON }));

    let head = growers.page(&srv, Args { first: Some(100_000), ..Default::default() }).await;
    assert_eq!(head.edges.len(), 200, "first is capped at 200");
    assert!(head.has_next && !head.has_previous && head.total == 205, "{:?}", (head.has_next, head.has_previous, head.total));
    let rest = growers.page(&srv, Args { first: Some(200), after: head.end.as_deref(), ..Default::default() }).await;
    assert_eq!(rest.edges.len(), 5);
    assert!(!rest.has_next && rest.has_previous);

    let tail = growers.page(&srv, Args { last: Some(100_000), ..Default::default() }).await;
    assert_eq!(tail.edges.len(), 200, "last is capped at 200");
    assert!(!tail.has_next && tail.has_previous, "{:?}", (tail.has_next, tail.has_previous));
    let mut whole = head.edges.clone();
    whole.extend(rest.edges.clone());
    assert_eq!(tail.edges, whole[5..], "the last 200 are the tail of the forward walk");
    let front = growers.page(&srv, Args { last: Some(200), before: tail.start.as_deref(), ..Default::default() }).await;
    assert_eq!(front.edges, whole[..5]);
    assert!(!front.has_previous && front.has_next);
    // Neither given: the default page of 20, forward, or backward before a cursor.
    let default = growers.page(&srv, Args::default()).await;
    assert_eq!(default.edges, whole[..20]);
    let default = growers.page(&srv, Args { before: Some(&whole[100].0), ..Default::default() }).await;
    assert_eq!(default.edges, whole[80..100]);
    assert!(default.has_previous && default.has_next);
}
