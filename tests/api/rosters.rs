//! Company rosters (rules §3): importRoster (per-row report, idempotent, header
//! check, who may import), the `growers` connection (search, paging, readers) and
//! ID-number masking.

use serde_json::Value;

use crate::harness::*;
use crate::unit_fixtures::*;

both_backends!(
    roster_import_reports_each_row,
    roster_reimport_skips_and_updates,
    roster_failed_row_creates_nothing,
    roster_failed_row_changes_nothing,
    roster_area_of_plot_in_live_unit_is_locked,
    roster_import_reads_numeric_cells,
    roster_import_refuses_wrong_header,
    roster_import_who_may,
    growers_search_and_paging,
    growers_readers_and_masking,
);

/// The growers of a company's season roster as (name, [(plot code, area)]) sorted.
async fn roster_summary(srv: &TestServer, token: &str, company: &str, season: i64) -> Vec<(String, Vec<(String, rust_decimal::Decimal)>)> {
    let mut out: Vec<_> = nodes(&growers(srv, token, company, season, None).await)
        .iter()
        .map(|g| {
            let mut ps: Vec<_> = g["plots"].as_array().unwrap().iter().map(|p| (s(&p["code"]), dec(&p["areaMu"]))).collect();
            ps.sort();
            (s(&g["name"]), ps)
        })
        .collect();
    out.sort();
    out
}

async fn total(srv: &TestServer, token: &str, company: &str, season: i64) -> i64 {
    growers(srv, token, company, season, None).await["totalCount"].as_i64().unwrap()
}

async fn roster_import_reports_each_row(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    // Grower 50 is on company B1's roster.
    let rep = import_roster(&srv, &t.admin, &t.company_b1, SEASON, &[row("吴十", &id_number(50), &phone(50), "B-01", "30")]).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "{rep}");

    let rows = vec![
        row("张三", &id_number(1), &phone(1), "P-01", "120.5"),          // 2 created
        row("张三", &id_number(1), &phone(1), "P-02", "80"),             // 3 created: 2nd plot, same grower
        row("李四", &id_number(2), &phone(2), "P-03", "200.25"),         // 4 created
        row("王五", &bad_check(&id_number(3)), &phone(3), "P-04", "50"), // 5 failed: ID check digit
        row("赵六", &id_number(4), "12345", "P-05", "50"),               // 6 failed: mobile
        row("钱七", &id_number(5), &phone(5), "P-06", "0"),              // 7 failed: area 0
        row("孙八", &id_number(6), &phone(6), "P-07", "-3"),             // 8 failed: negative area
        row("周九", &id_number(7), &phone(7), "P-08", "10.125"),         // 9 failed: 3 decimals
        row("吴十", &id_number(50), &phone(50), "P-09", "30"),           // 10 failed: on B1's roster
        row("郑十一", &id_number(8), &phone(8), "P-01", "30"),           // 11 failed: P-01 is 张三's
        row("冯十二", &id_number(9), &phone(9), "P-10", "abc"),          // 12 failed: not a number
        row("陈十三", "65010219900101123", &phone(10), "P-11", "30"),     // 13 failed: 17 characters
    ];
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    let want: Vec<(i64, String)> = (2..=13)
        .map(|r| (r, if r <= 4 { "CREATED" } else { "FAILED" }.to_string()))
        .collect();
    assert_eq!(row_statuses(&rep), want, "per-row statuses; report: {rep}");
    assert_eq!(counts(&rep), [3, 0, 0, 9], "created/updated/skipped/failed: {rep}");
    for r in rep["rows"].as_array().unwrap() {
        if r["status"] == "FAILED" {
            let m = r["message"].as_str().unwrap_or("");
            assert!(has_cjk(m), "a failed row gives a Chinese reason: {r}");
        }
    }
    // The plot-code conflict names the plot.
    let r11 = &rep["rows"][9];
    assert!(s(&r11["message"]).contains("P-01"), "message names the plot owned by another grower: {r11}");

    // What was created, exactly.
    let roster = growers(&srv, &t.admin, &t.company_a1, SEASON, None).await;
    assert_eq!(roster["totalCount"], 2, "two growers on A1's roster: {roster}");
    assert_eq!(
        roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await,
        vec![
            ("张三".to_string(), vec![("P-01".to_string(), d("120.5")), ("P-02".to_string(), d("80"))]),
            ("李四".to_string(), vec![("P-03".to_string(), d("200.25"))]),
        ]
    );
    for g in nodes(&roster) {
        let id = if g["name"] == "张三" { id_number(1) } else { id_number(2) };
        assert_eq!(g["idNumberMasked"], masked(&id), "masked ID number: {g}");
        assert_eq!(g["company"]["id"], t.company_a1.as_str());
        for p in g["plots"].as_array().unwrap() {
            assert_eq!(p["season"], SEASON);
            assert_eq!(p["grower"]["id"], g["id"]);
            assert!(p["traceUnit"].is_null(), "not in a unit yet: {p}");
        }
    }
    assert_eq!(total(&srv, &t.admin, &t.company_b1, SEASON).await, 1, "B1's roster unchanged");
    assert_eq!(
        roster_summary(&srv, &t.admin, &t.company_b1, SEASON).await,
        vec![("吴十".to_string(), vec![("B-01".to_string(), d("30"))])],
        "the grower of B1 stays on B1 with its plot"
    );
}

async fn roster_reimport_skips_and_updates(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows = vec![
        row("张三", &id_number(1), &phone(1), "P-01", "120.5"),
        row("张三", &id_number(1), &phone(1), "P-02", "80"),
        row("李四", &id_number(2), &phone(2), "P-03", "200.25"),
    ];
    assert_eq!(counts(&import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await), [3, 0, 0, 0]);
    let before = roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await;

    // The same sheet again: all skipped, no duplicates.
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    assert_eq!(counts(&rep), [0, 0, 3, 0], "re-import: {rep}");
    assert_eq!(row_statuses(&rep), st(&[(2, "SKIPPED"), (3, "SKIPPED"), (4, "SKIPPED")]));
    assert_eq!(total(&srv, &t.admin, &t.company_a1, SEASON).await, 2, "no duplicate growers");
    assert_eq!(roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await, before, "no duplicate plots");

    // "120.50" is the same area as "120.5": skipped.
    let mut same = rows.clone();
    same[0].area = "120.50".into();
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &same).await;
    assert_eq!(counts(&rep), [0, 0, 3, 0], "120.50 == 120.5: {rep}");

    // Grower data and plot data changes are `updated`; a new plot `created`.
    let changed = vec![
        row("张三", &id_number(1), &phone(100), "P-01", "120.5"), // updated: mobile
        row("张三", &id_number(1), &phone(100), "P-02", "90"),    // updated: area
        row("李四", &id_number(2), &phone(2), "P-03", "200.25"),  // skipped
        row("李四", &id_number(2), &phone(2), "P-10", "40"),      // created
        row("李四改", &id_number(2), &phone(2), "P-10", "40"),    // updated: name
    ];
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &changed).await;
    assert_eq!(
        row_statuses(&rep),
        st(&[(2, "UPDATED"), (3, "UPDATED"), (4, "SKIPPED"), (5, "CREATED"), (6, "UPDATED")]),
        "{rep}"
    );
    assert_eq!(counts(&rep), [1, 3, 1, 0], "{rep}");
    assert_eq!(total(&srv, &t.admin, &t.company_a1, SEASON).await, 2, "still two growers");
    assert_eq!(
        roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await,
        vec![
            ("张三".to_string(), vec![("P-01".to_string(), d("120.5")), ("P-02".to_string(), d("90"))]),
            ("李四改".to_string(), vec![("P-03".to_string(), d("200.25")), ("P-10".to_string(), d("40"))]),
        ]
    );
    let zhang = nodes(&growers(&srv, &t.admin, &t.company_a1, SEASON, Some("张三")).await);
    assert_eq!(zhang.len(), 1);
    assert_eq!(zhang[0]["phone"], phone(100).as_str(), "mobile updated");

    // Another season of the same company is a separate roster: the same plot code is a new plot.
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, 2025, &rows[..1]).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "season 2025: {rep}");
    assert_eq!(total(&srv, &t.admin, &t.company_a1, 2025).await, 1);
    let plots_2026 = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    let plots_2025 = plots(&srv, &t.admin, &t.company_a1, 2025).await;
    assert_eq!(plots_2026.len(), 4);
    assert_eq!(plots_2025.keys().collect::<Vec<_>>(), vec!["P-01"]);
    assert_ne!(plots_2025["P-01"]["id"], plots_2026["P-01"]["id"], "a plot per season");
    assert_eq!(plots_2025["P-01"]["season"], 2025);
}

/// A failed row creates nothing: the grower of a row refused for its plot is not
/// left behind (it can then be put on another company's roster).
async fn roster_failed_row_creates_nothing(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows = vec![
        row("张三", &id_number(1), &phone(1), "P-01", "100"),
        row("郑十一", &id_number(8), &phone(8), "P-01", "30"), // failed: P-01 is 张三's
    ];
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    assert_eq!(counts(&rep), [1, 0, 0, 1], "{rep}");
    assert_eq!(total(&srv, &t.admin, &t.company_a1, SEASON).await, 1);

    // 郑十一 is on no roster, so company B1 may list them.
    let rep = import_roster(&srv, &t.lian_b1, &t.company_b1, SEASON, &[row("郑十一", &id_number(8), &phone(8), "B-01", "30")]).await;
    assert_eq!(
        counts(&rep),
        [1, 0, 0, 0],
        "the grower of a failed A1 row must not have been created on A1's roster: {rep}"
    );
}

/// A row that fails changes nothing, not even the grower's name or mobile.
async fn roster_failed_row_changes_nothing(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows = vec![
        row("张三", &id_number(1), &phone(1), "P-01", "100"),
        row("李四", &id_number(2), &phone(2), "P-02", "100"),
    ];
    import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    // 张三 with a new mobile claims 李四's plot: refused, and the mobile stays.
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &[row("张三", &id_number(1), &phone(101), "P-02", "100")]).await;
    assert_eq!(counts(&rep), [0, 0, 0, 1], "{rep}");
    let zhang = nodes(&growers(&srv, &t.admin, &t.company_a1, SEASON, Some("张三")).await);
    assert_eq!(zhang[0]["phone"], phone(1).as_str(), "a failed row must not change the grower's mobile: {zhang:?}");
}

/// Changing the area of a plot that is in a live unit is refused (row failed);
/// once the unit is dissolved the area can change.
async fn roster_area_of_plot_in_live_unit_is_locked(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    set_min_area(&srv, &t.admin, SEASON, "100").await;
    let rows = vec![
        row("张三", &id_number(1), &phone(1), "P-01", "120.5"),
        row("张三", &id_number(1), &phone(1), "P-02", "80"),
        row("李四", &id_number(2), &phone(2), "P-03", "50"),
    ];
    import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    let p = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    let unit = create_unit(&srv, &t.lian_a1, "COMPANY", "一号单元", &[s(&p["P-01"]["id"]), s(&p["P-02"]["id"])]).await;

    let mut change = rows.clone();
    change[0].area = "130".into(); // P-01 in the unit: refused
    change[2].area = "55".into(); // P-03 not in a unit: updated
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &change).await;
    assert_eq!(row_statuses(&rep), st(&[(2, "FAILED"), (3, "SKIPPED"), (4, "UPDATED")]), "{rep}");
    assert!(s(&rep["rows"][0]["message"]).contains("P-01"), "the reason names the plot: {rep}");
    let after = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(dec(&after["P-01"]["areaMu"]), d("120.5"), "area of a plot in a live unit unchanged");
    assert_eq!(dec(&after["P-03"]["areaMu"]), d("55"));
    assert_eq!(after["P-01"]["traceUnit"]["id"], unit["id"]);
    let u = unit_state(&srv, &t.admin, &s(&unit["id"])).await;
    assert_eq!(dec(&u["totalAreaMu"]), d("200.5"), "unit area unchanged: {u}");

    // Dissolved: the plot is free and its area may change.
    data(&dissolve_resp(&srv, &t.lian_a1, &s(&unit["id"])).await);
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &change).await;
    assert_eq!(row_statuses(&rep), st(&[(2, "UPDATED"), (3, "SKIPPED"), (4, "SKIPPED")]), "{rep}");
    assert_eq!(dec(&plots(&srv, &t.admin, &t.company_a1, SEASON).await["P-01"]["areaMu"]), d("130"));
}

/// Excel stores typed numbers as numbers: ID-less numeric cells (mobile, area) are read as text.
async fn roster_import_reads_numeric_cells(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ROSTER_HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "张三").unwrap();
    ws.write_string(1, 1, id_number(1)).unwrap();
    ws.write_number(1, 2, 13700000001.0).unwrap();
    ws.write_string(1, 3, "P-01").unwrap();
    ws.write_number(1, 4, 120.5).unwrap();
    ws.write_string(2, 0, "李四").unwrap();
    ws.write_string(2, 1, id_number(2)).unwrap();
    ws.write_number(2, 2, 13700000002.0).unwrap();
    ws.write_string(2, 3, "P-02").unwrap();
    ws.write_number(2, 4, 300.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let rep = data(&import_roster_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, bytes).await)["importRoster"].clone();
    assert_eq!(counts(&rep), [2, 0, 0, 0], "{rep}");
    let p = plots(&srv, &t.admin, &t.company_a1, SEASON).await;
    assert_eq!(dec(&p["P-01"]["areaMu"]), d("120.5"));
    assert_eq!(dec(&p["P-02"]["areaMu"]), d("300"));
    let g = nodes(&growers(&srv, &t.admin, &t.company_a1, SEASON, Some("张三")).await);
    assert_eq!(g[0]["phone"], "13700000001");
}

async fn roster_import_refuses_wrong_header(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let data_row: Vec<String> = row("张三", &id_number(1), &phone(1), "P-01", "100").cells();
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let good: Vec<&str> = ROSTER_HEADER.to_vec();
    let mut renamed = good.clone();
    renamed[4] = "面积";
    let mut halfwidth = good.clone();
    halfwidth[4] = "面积(亩)";
    let mut swapped = good.clone();
    swapped.swap(0, 1);
    let missing = good[..6].to_vec();
    let mut extra = good.clone();
    extra.push("备注");
    let sheets: Vec<(&str, Vec<u8>)> = vec![
        ("renamed column", xlsx_text(&[header(&renamed), data_row.clone()])),
        ("half-width parentheses", xlsx_text(&[header(&halfwidth), data_row.clone()])),
        ("swapped columns", xlsx_text(&[header(&swapped), data_row.clone()])),
        ("missing column", xlsx_text(&[header(&missing), data_row.clone()])),
        ("extra column", xlsx_text(&[header(&extra), data_row.clone()])),
        ("no header row", xlsx_text(&[data_row.clone()])),
        ("the company-account header", xlsx_text(&[header(&["团场编码", "连队编码", "连队名称", "账号", "初始密码"]), data_row.clone()])),
        ("empty sheet", xlsx_text(&[])),
        ("not an xlsx file", b"this is not a spreadsheet".to_vec()),
    ];
    for (why, bytes) in sheets {
        let resp = import_roster_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, bytes).await;
        assert_eq!(err_code(&resp), "BAD_FILE", "{why}: {resp}");
    }
    assert_eq!(total(&srv, &t.admin, &t.company_a1, SEASON).await, 0, "a refused sheet creates nothing");
    // The same data row under the right header is accepted: the grower was not half-created.
    let rep = import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &[row("张三", &id_number(1), &phone(1), "P-01", "100")]).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "{rep}");
}

async fn roster_import_who_may(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await; // rosters of A1, A2, B1
    let t = &w.t;
    let init_a = srv.register_initiator("13800000001", &t.regiment_a).await;
    let before = roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await;
    let sheet = roster_xlsx(&[row("新人", &id_number(500), &phone(500), "A1-99", "100")]);
    for (who, token) in [
        ("company A2 (same regiment)", w.lian_a2.as_str()),
        ("company B1", t.lian_b1.as_str()),
        ("regiment B", t.tuan_b.as_str()),
        ("enterprise", t.qy_a.as_str()),
        ("initiator of regiment A", init_a.as_str()),
    ] {
        let resp = import_roster_resp(&srv, Some(token), &t.company_a1, SEASON, sheet.clone()).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "importRoster into A1 by {who}: {resp}");
    }
    let resp = import_roster_resp(&srv, None, &t.company_a1, SEASON, sheet.clone()).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED", "importRoster without a token");
    // A grower cannot import either.
    let grower = grower_login(&srv, &phone(1)).await;
    let resp = import_roster_resp(&srv, Some(&grower), &t.company_a1, SEASON, sheet.clone()).await;
    assert_eq!(err_code(&resp), "FORBIDDEN", "importRoster by a grower: {resp}");
    assert_eq!(roster_summary(&srv, &t.admin, &t.company_a1, SEASON).await, before, "refused imports change nothing");

    // The company itself, its regiment and the admin may.
    for (n, (who, token)) in [("company A1", t.lian_a1.as_str()), ("regiment A", t.tuan_a.as_str()), ("admin", t.admin.as_str())]
        .into_iter()
        .enumerate()
    {
        let n = n as u32;
        let rep = import_roster(&srv, token, &t.company_a1, SEASON, &[row("新人", &id_number(600 + n), &phone(600 + n), &format!("A1-N{n}"), "10")]).await;
        assert_eq!(counts(&rep), [1, 0, 0, 0], "import by {who}: {rep}");
    }
    assert_eq!(total(&srv, &t.admin, &t.company_a1, SEASON).await, 6 + 3);
    // Regiment B may import into its own company.
    let rep = import_roster(&srv, &t.tuan_b, &t.company_b1, SEASON, &[row("新人", &id_number(700), &phone(700), "B1-N1", "10")]).await;
    assert_eq!(counts(&rep), [1, 0, 0, 0], "regiment B into B1: {rep}");
    // An org that is not a company has no roster.
    let resp = import_roster_resp(&srv, Some(&t.admin), &t.regiment_a, SEASON, sheet).await;
    let code = err_code(&resp);
    assert!(code == "VALIDATION" || code == "NOT_FOUND", "importRoster into a regiment: {resp}");
}

async fn growers_search_and_paging(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows = vec![
        row("阿凡提", &id_number(1), &phone(1), "XQ-101", "100"),
        row("阿依古丽", &id_number(2), &phone(2), "XQ-102", "100"),
        row("买买提", &id_number(3), &phone(3), "DQ-201", "100"),
        row("买买提", &id_number(3), &phone(3), "XQ-103", "100"),
        row("张建国", &id_number(4), &phone(4), "DQ-202", "100"),
        row("李建军", &id_number(5), &phone(5), "NQ-301", "100"),
    ];
    import_roster(&srv, &t.lian_a1, &t.company_a1, SEASON, &rows).await;
    // A grower with a plot only in 2025 is not on the 2026 roster.
    import_roster(&srv, &t.lian_a1, &t.company_a1, 2025, &[row("老王", &id_number(6), &phone(6), "DQ-999", "100")]).await;

    let names = |conn: &Value| -> Vec<String> {
        let mut v: Vec<String> = nodes(conn).iter().map(|g| s(&g["name"])).collect();
        v.sort();
        v
    };
    let all = growers(&srv, &t.lian_a1, &t.company_a1, SEASON, None).await;
    assert_eq!(all["totalCount"], 5, "{all}");
    assert_eq!(names(&all), ["买买提", "张建国", "李建军", "阿依古丽", "阿凡提"]);
    // Grower.plots(season) lists that season's plots only.
    let old = growers(&srv, &t.lian_a1, &t.company_a1, 2025, None).await;
    assert_eq!(names(&old), ["老王"]);
    assert_eq!(nodes(&old)[0]["plots"].as_array().unwrap().len(), 1);

    let tail3 = &id_number(3)[12..]; // the last 6 characters
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("阿", vec!["阿依古丽", "阿凡提"]),
        ("建", vec!["张建国", "李建军"]),
        ("凡", vec!["阿凡提"]),
        (tail3, vec!["买买提"]),
        ("DQ-2", vec!["买买提", "张建国"]),
        ("Q-10", vec!["买买提", "阿依古丽", "阿凡提"]),
        ("NQ-301", vec!["李建军"]),
        ("DQ-999", vec![]), // only in 2025
        ("老王", vec![]),
        ("不存在", vec![]),
    ];
    for (q, want) in cases {
        let conn = growers(&srv, &t.lian_a1, &t.company_a1, SEASON, Some(q)).await;
        assert_eq!(names(&conn), want, "search {q:?}: {conn}");
        assert_eq!(conn["totalCount"], want.len(), "totalCount of search {q:?}: {conn}");
    }
    // The ID tail is a suffix: the head of an ID number finds nobody (it would reveal masked digits).
    let head = &id_number(3)[..10];
    let conn = growers(&srv, &t.lian_a1, &t.company_a1, SEASON, Some(head)).await;
    assert_eq!(conn["totalCount"], 0, "searching by the start of the ID number: {conn}");
    // The whole ID number is a tail of itself.
    let conn = growers(&srv, &t.lian_a1, &t.company_a1, SEASON, Some(&id_number(4))).await;
    assert_eq!(names(&conn), ["张建国"]);

    // Paging: 2 + 2 + 1.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let resp = growers_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, None, Some(2), after.as_deref()).await;
        let conn = data(&resp)["growers"].clone();
        assert_eq!(conn["totalCount"], 5, "totalCount on every page: {conn}");
        let edges = conn["edges"].as_array().unwrap().clone();
        pages.push(edges.len());
        for e in &edges {
            assert!(e["cursor"].is_string(), "{e}");
            seen.push(s(&e["node"]["id"]));
        }
        let more = conn["pageInfo"]["hasNextPage"].as_bool().unwrap();
        if !edges.is_empty() {
            assert_eq!(conn["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"], "endCursor = last cursor");
        }
        if !more {
            break;
        }
        after = Some(s(&conn["pageInfo"]["endCursor"]));
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, [2, 2, 1], "page sizes");
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "every grower exactly once over the pages: {seen:?}");
    // Paging within a search.
    let resp = growers_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, Some("Q-10"), Some(2), None).await;
    let conn = data(&resp)["growers"].clone();
    assert_eq!(conn["edges"].as_array().unwrap().len(), 2);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["totalCount"], 3);
    let resp = growers_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, Some("Q-10"), Some(2), conn["pageInfo"]["endCursor"].as_str()).await;
    let conn = data(&resp)["growers"].clone();
    assert_eq!(conn["edges"].as_array().unwrap().len(), 1);
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
    // A garbage cursor is refused.
    let resp = growers_resp(&srv, Some(&t.lian_a1), &t.company_a1, SEASON, None, Some(2), Some("not-a-cursor")).await;
    assert_eq!(err_code(&resp), "VALIDATION", "{resp}");
}

async fn growers_readers_and_masking(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let w = setup_world(&srv).await;
    let t = &w.t;
    let init_ra = srv.register_initiator("13800000001", &t.regiment_a).await;
    let init_ca2 = srv.register_initiator("13800000002", &w.company_a2).await;
    let init_rb = srv.register_initiator("13800000003", &t.regiment_b).await;
    let grower = grower_login(&srv, &phone(1)).await;

    for (who, token) in [
        ("company A1", t.lian_a1.as_str()),
        ("regiment A", t.tuan_a.as_str()),
        ("admin", t.admin.as_str()),
        ("initiator of regiment A", init_ra.as_str()),
        ("initiator of company A2 (regiment A)", init_ca2.as_str()),
    ] {
        let conn = growers(&srv, token, &t.company_a1, SEASON, None).await;
        assert_eq!(conn["totalCount"], 6, "A1's roster read by {who}: {conn}");
        for g in nodes(&conn) {
            let n: u32 = s(&g["name"]).trim_start_matches("种植者").parse().unwrap();
            let full = id_number(n);
            assert_eq!(g["idNumberMasked"], masked(&full), "{who} sees the ID number masked: {g}");
            assert!(!g.to_string().contains(&full), "the full ID number appears nowhere for {who}: {g}");
        }
    }
    for (who, token) in [
        ("company A2 (same regiment)", w.lian_a2.as_str()),
        ("company B1", t.lian_b1.as_str()),
        ("regiment B", t.tuan_b.as_str()),
        ("enterprise", t.qy_a.as_str()),
        ("initiator of regiment B", init_rb.as_str()),
        ("grower", grower.as_str()),
    ] {
        let resp = growers_resp(&srv, Some(token), &t.company_a1, SEASON, None, None, None).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "A1's roster read by {who}: {resp}");
        assert!(resp["data"].is_null() || resp["data"]["growers"].is_null(), "no data for {who}: {resp}");
    }
    let resp = growers_resp(&srv, None, &t.company_a1, SEASON, None, None, None).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED", "{resp}");
    // Regiment B reads its own company.
    let conn = growers(&srv, &t.tuan_b, &t.company_b1, SEASON, None).await;
    assert_eq!(conn["totalCount"], 4);
}
