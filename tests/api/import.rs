//! Bulk company accounts from an xlsx sheet (importCompanyAccounts).

use serde_json::{Value, json};

use crate::harness::*;

const IMPORT: &str = "mutation($file: Upload!) { importCompanyAccounts(file: $file) { created updated skipped failed rows { row status message } } }";
const HEADER: [&str; 5] = ["团场编码", "连队编码", "连队名称", "账号", "初始密码"];

both_backends!(
    import_reports_each_row,
    import_twice_skips_everything,
    import_refuses_wrong_header,
    import_is_admin_only,
);

/// An xlsx whose first sheet holds `rows` (empty strings are left blank).
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn sheet(data: &[[&'static str; 5]]) -> Vec<u8> {
    let mut rows = vec![HEADER.to_vec()];
    rows.extend(data.iter().map(|r| r.to_vec()));
    xlsx(&rows)
}

async fn import(srv: &TestServer, token: Option<&str>, bytes: Vec<u8>) -> Value {
    srv.upload(token, IMPORT, json!({}), "companies.xlsx", bytes).await
}

/// The generated password in a row message `... 初始密码：<password> ...`.
fn generated_password(row: &Value) -> String {
    let msg = row["message"].as_str().unwrap_or_else(|| panic!("row without message: {row}"));
    let (_, rest) = msg
        .split_once("初始密码：")
        .unwrap_or_else(|| panic!("row message should contain 初始密码：<password>: {row}"));
    let pw: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !"，,；;。)）".contains(*c))
        .collect();
    assert!(!pw.is_empty(), "empty generated password in {row}");
    pw
}

fn counts(report: &Value) -> [i64; 4] {
    ["created", "updated", "skipped", "failed"].map(|k| report[k].as_i64().unwrap_or_else(|| panic!("{k} in {report}")))
}

async fn import_reports_each_row(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let bytes = sheet(&[
        ["R121", "R121-02", "一二一团二连", "lian_a2", "Passw0rd1"], // 2 created, new company
        ["R121", "R121-01", "一二一团一连", "lian_a1b", "自动生成"], // 3 created, existing company, generated
        ["R121", "R121-03", "一二一团三连", "lian_a3", ""],         // 4 created, generated
        ["R999", "R999-01", "不存在团一连", "lian_x5", "Passw0rd1"], // 5 failed: unknown regiment
        ["R121", "R122-01", "一二二团一连", "lian_x6", "Passw0rd1"], // 6 failed: company of regiment B
        ["R121", "R121-04", "一二一团四连", "lian_a1", "Passw0rd1"], // 7 skipped: username exists
        ["R121", "R121-05", "一二一团五连", "lian_x8", "weak"],      // 8 failed: weak password
        ["R121-01", "R121-06", "一二一团六连", "lian_x9", "Passw0rd1"], // 9 failed: not a regiment
    ]);
    let resp = import(&srv, Some(&t.admin), bytes).await;
    let report = data(&resp)["importCompanyAccounts"].clone();
    let rows = report["rows"].as_array().expect("rows").clone();
    let statuses: Vec<(i64, String)> = rows.iter().map(|r| (r["row"].as_i64().unwrap(), s(&r["status"]))).collect();
    let want: Vec<(i64, String)> = [
        (2, "CREATED"),
        (3, "CREATED"),
        (4, "CREATED"),
        (5, "FAILED"),
        (6, "FAILED"),
        (7, "SKIPPED"),
        (8, "FAILED"),
        (9, "FAILED"),
    ]
    .into_iter()
    .map(|(r, st)| (r, st.to_string()))
    .collect();
    assert_eq!(statuses, want, "per-row statuses (spreadsheet row numbers); report: {report}");
    assert_eq!(counts(&report), [3, 0, 1, 4], "created/updated/skipped/failed; report: {report}");
    for r in rows.iter().filter(|r| r["status"] == "FAILED") {
        assert!(
            r["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a failed row gives the reason: {r}"
        );
    }

    // Row 2: company created under regiment A, account works.
    let c2 = srv.org_by_code("R121-02").await.expect("company R121-02 created by the import");
    assert_eq!(c2["kind"], "COMPANY");
    assert_eq!(c2["parent"]["id"], t.regiment_a.as_str(), "R121-02 under regiment A");
    let me = srv.me(&srv.login("lian_a2", "Passw0rd1").await).await;
    assert_eq!(me["role"], "COMPANY");
    assert_eq!(me["org"]["id"], c2["id"], "lian_a2 belongs to R121-02");

    // Row 3: the existing company, generated password.
    let pw3 = generated_password(&rows[1]);
    let me = srv.me(&srv.login("lian_a1b", &pw3).await).await;
    assert_eq!(me["org"]["id"], t.company_a1.as_str(), "lian_a1b belongs to the existing R121-01");
    let companies_a1 = srv.all_orgs().await.into_iter().filter(|o| o["code"] == "R121-01").count();
    assert_eq!(companies_a1, 1, "the existing company is not duplicated");

    // Row 4: empty password cell = generated.
    let pw4 = generated_password(&rows[2]);
    let me = srv.me(&srv.login("lian_a3", &pw4).await).await;
    assert_eq!(me["org"]["code"], "R121-03");

    // Failed and skipped rows created nothing.
    for user in ["lian_x5", "lian_x6", "lian_x8", "lian_x9"] {
        assert_eq!(srv.login_err(user, "Passw0rd1").await, "UNAUTHENTICATED", "failed row must not create {user}");
    }
    assert!(srv.org_by_code("R999-01").await.is_none(), "no company under an unknown regiment");
    assert!(srv.org_by_code("R121-06").await.is_none(), "no company under a non-regiment");
    let b1 = srv.org_by_code("R122-01").await.unwrap();
    assert_eq!(b1["parent"]["id"], t.regiment_b.as_str(), "R122-01 stays under regiment B");
    srv.login("lian_a1", PW).await; // skipped: password unchanged
}

async fn import_twice_skips_everything(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let rows = [
        ["R121", "R121-02", "一二一团二连", "lian_a2", "Passw0rd1"],
        ["R122", "R122-02", "一二二团二连", "lian_b2", "自动生成"],
    ];
    let first = data(&import(&srv, Some(&t.admin), sheet(&rows)).await)["importCompanyAccounts"].clone();
    assert_eq!(counts(&first), [2, 0, 0, 0], "first import: {first}");
    let pw = generated_password(&first["rows"][1]);
    let orgs_before = srv.all_orgs().await.len();

    let second = data(&import(&srv, Some(&t.admin), sheet(&rows)).await)["importCompanyAccounts"].clone();
    assert_eq!(counts(&second), [0, 0, 2, 0], "re-import: all skipped: {second}");
    let statuses: Vec<String> = second["rows"].as_array().unwrap().iter().map(|r| s(&r["status"])).collect();
    assert_eq!(statuses, ["SKIPPED", "SKIPPED"], "{second}");
    assert_eq!(srv.all_orgs().await.len(), orgs_before, "re-import creates no org");
    srv.login("lian_a2", "Passw0rd1").await;
    srv.login("lian_b2", &pw).await; // the generated password was not replaced
}

async fn import_refuses_wrong_header(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let data_row = vec!["R121", "R121-02", "一二一团二连", "lian_a2", "Passw0rd1"];
    let bad_sheets: Vec<(&str, Vec<u8>)> = vec![
        ("renamed column", xlsx(&[vec!["团场编码", "连队编码", "连队名称", "账户", "初始密码"], data_row.clone()])),
        ("swapped columns", xlsx(&[vec!["连队编码", "团场编码", "连队名称", "账号", "初始密码"], data_row.clone()])),
        ("missing column", xlsx(&[vec!["团场编码", "连队编码", "连队名称", "账号"], data_row.clone()])),
        ("extra column", xlsx(&[vec!["团场编码", "连队编码", "连队名称", "账号", "初始密码", "备注"], data_row.clone()])),
        ("no header row", xlsx(&[data_row.clone()])),
        ("empty sheet", xlsx(&[])),
        ("not an xlsx file", b"this is not a spreadsheet".to_vec()),
    ];
    let orgs_before = srv.all_orgs().await.len();
    for (why, bytes) in bad_sheets {
        let resp = import(&srv, Some(&t.admin), bytes).await;
        assert_eq!(err_code(&resp), "BAD_FILE", "{why}: {resp}");
    }
    assert_eq!(srv.all_orgs().await.len(), orgs_before, "a refused sheet creates no org");
    assert!(srv.org_by_code("R121-02").await.is_none());
    assert_eq!(srv.login_err("lian_a2", "Passw0rd1").await, "UNAUTHENTICATED", "a refused sheet creates no account");
}

async fn import_is_admin_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let bytes = sheet(&[["R121", "R121-02", "一二一团二连", "lian_a2", "Passw0rd1"]]);
    for (who, token) in [("regiment", &t.tuan_a), ("company", &t.lian_a1), ("enterprise", &t.qy_a)] {
        let resp = import(&srv, Some(token), bytes.clone()).await;
        assert_eq!(err_code(&resp), "FORBIDDEN", "import by {who}");
    }
    let resp = import(&srv, None, bytes).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED", "import without token");
    assert!(srv.org_by_code("R121-02").await.is_none(), "refused import creates no org");
    assert_eq!(srv.login_err("lian_a2", "Passw0rd1").await, "UNAUTHENTICATED", "refused import creates no account");
}
