//! The org tree (createOrg / orgs) and account creation (createAccount), with
//! every refusal of the role × scope matrix.

use serde_json::{Value, json};

use crate::harness::*;

both_backends!(
    admin_builds_org_tree,
    orgs_filters_by_kind_and_parent,
    create_org_refuses_wrong_parent_kind,
    create_org_refuses_duplicate_code,
    regiment_creates_companies_in_own_regiment_only,
    company_enterprise_initiator_cannot_create_orgs,
    admin_creates_accounts,
    create_account_requires_matching_org_kind,
    create_account_refuses_non_creatable_roles,
    regiment_creates_company_accounts_in_own_regiment_only,
    company_enterprise_initiator_cannot_create_accounts,
    create_account_refuses_duplicate_username,
    create_account_refuses_weak_password,
);

/// `createOrg` as `token`, returning the whole response.
async fn try_create_org(srv: &TestServer, token: &str, kind: &str, code: &str, parent: Option<&str>) -> Value {
    srv.gql(Some(token), CREATE_ORG, json!({ "k": kind, "c": code, "n": "测试单位", "p": parent }))
        .await
}

/// Asserts `createOrg` is refused with `code` and that no org with `org_code` exists afterwards.
async fn assert_org_refused(
    srv: &TestServer,
    token: &str,
    kind: &str,
    org_code: &str,
    parent: Option<&str>,
    code: &str,
    why: &str,
) {
    let resp = try_create_org(srv, token, kind, org_code, parent).await;
    assert_eq!(err_code(&resp), code, "{why}: createOrg({kind}, {org_code}, parent {parent:?})");
    assert!(
        srv.org_by_code(org_code).await.is_none(),
        "{why}: refused createOrg must not create org {org_code}"
    );
}

async fn try_create_account(srv: &TestServer, token: &str, username: &str, password: &str, role: &str, org: &str) -> Value {
    srv.gql(Some(token), CREATE_ACCOUNT, json!({ "u": username, "p": password, "r": role, "o": org }))
        .await
}

/// Asserts `createAccount` is refused with `code` and that `username` cannot sign in afterwards.
async fn assert_account_refused(
    srv: &TestServer,
    token: &str,
    username: &str,
    password: &str,
    role: &str,
    org: &str,
    code: &str,
    why: &str,
) {
    let resp = try_create_account(srv, token, username, password, role, org).await;
    assert_eq!(err_code(&resp), code, "{why}: createAccount({username}, {role})");
    assert_eq!(
        srv.login_err(username, password).await,
        "UNAUTHENTICATED",
        "{why}: refused createAccount must not create account {username}"
    );
}

async fn admin_builds_org_tree(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let admin = srv.admin_token().await;
    let d = srv
        .ok(Some(&admin), CREATE_ORG, json!({ "k": "CORPS", "c": "BT", "n": "兵团", "p": null }))
        .await;
    let corps = &d["createOrg"];
    assert_eq!(corps["kind"], "CORPS");
    assert_eq!(corps["code"], "BT");
    assert_eq!(corps["name"], "兵团");
    assert!(corps["parent"].is_null(), "a corps has no parent: {corps}");
    let corps_id = s(&corps["id"]);

    let mut parent = corps_id.clone();
    for (kind, code) in [("DIVISION", "D8"), ("REGIMENT", "R121")] {
        let d = srv
            .ok(Some(&admin), CREATE_ORG, json!({ "k": kind, "c": code, "n": "单位", "p": parent }))
            .await;
        let org = &d["createOrg"];
        assert_eq!(org["kind"], kind, "{org}");
        assert_eq!(org["parent"]["id"], parent.as_str(), "{kind} parent: {org}");
        parent = s(&org["id"]);
    }
    let regiment = parent;
    for (kind, code) in [("COMPANY", "R121-01"), ("COOPERATIVE", "HZS01"), ("ENTERPRISE", "65121")] {
        let d = srv
            .ok(Some(&admin), CREATE_ORG, json!({ "k": kind, "c": code, "n": "单位", "p": regiment }))
            .await;
        let org = &d["createOrg"];
        assert_eq!(org["kind"], kind, "{org}");
        assert_eq!(org["code"], code, "{org}");
        assert_eq!(org["parent"]["id"], regiment.as_str(), "{kind} hangs off the regiment: {org}");
        assert_eq!(org["parent"]["kind"], "REGIMENT");
    }
    let codes: Vec<String> = srv.all_orgs().await.iter().map(|o| s(&o["code"])).collect();
    for code in ["BT", "D8", "R121", "R121-01", "HZS01", "65121"] {
        assert!(codes.contains(&code.to_string()), "orgs should list {code}: {codes:?}");
    }
}

async fn orgs_filters_by_kind_and_parent(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let regiments = srv.orgs_of_kind("REGIMENT").await;
    let mut ids: Vec<String> = regiments.iter().map(|o| s(&o["id"])).collect();
    ids.sort();
    let mut want = vec![t.regiment_a.clone(), t.regiment_b.clone()];
    want.sort();
    assert_eq!(ids, want, "orgs(kind: REGIMENT)");

    let d = srv
        .ok(None, "query($p: ID) { orgs(parentId: $p) { id kind } }", json!({ "p": t.regiment_a }))
        .await;
    let mut ids: Vec<String> = d["orgs"].as_array().unwrap().iter().map(|o| s(&o["id"])).collect();
    ids.sort();
    let mut want = vec![t.company_a1.clone(), t.enterprise_a.clone()];
    want.sort();
    assert_eq!(ids, want, "orgs(parentId: regiment A) = its company and enterprise");

    let d = srv
        .ok(
            None,
            "query($p: ID) { orgs(kind: COMPANY, parentId: $p) { id } }",
            json!({ "p": t.regiment_b }),
        )
        .await;
    assert_eq!(d["orgs"], json!([{ "id": t.company_b1 }]), "orgs(kind: COMPANY, parentId: regiment B)");
}

async fn create_org_refuses_wrong_parent_kind(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let a = t.admin.as_str();
    let cases: [(&str, Option<&str>, &str); 11] = [
        ("CORPS", Some(&t.corps), "a corps has no parent"),
        ("DIVISION", None, "a division needs a corps"),
        ("DIVISION", Some(&t.regiment_a), "a division hangs off a corps"),
        ("REGIMENT", Some(&t.corps), "a regiment hangs off a division"),
        ("REGIMENT", None, "a regiment needs a division"),
        ("COMPANY", Some(&t.division), "a company hangs off a regiment"),
        ("COMPANY", Some(&t.company_a1), "a company cannot hang off a company"),
        ("COMPANY", None, "a company needs a regiment"),
        ("COOPERATIVE", Some(&t.company_a1), "a cooperative hangs off a regiment"),
        ("ENTERPRISE", Some(&t.division), "an enterprise hangs off a regiment"),
        ("ENTERPRISE", None, "an enterprise needs a regiment"),
    ];
    for (i, (kind, parent, why)) in cases.into_iter().enumerate() {
        assert_org_refused(&srv, a, kind, &format!("BAD{i}"), parent, "VALIDATION", why).await;
    }
}

async fn create_org_refuses_duplicate_code(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let before = srv.all_orgs().await.len();
    let resp = try_create_org(&srv, &t.admin, "COMPANY", COMPANY_A1_CODE, Some(&t.regiment_b)).await;
    assert_eq!(err_code(&resp), "CONFLICT", "createOrg with an existing code");
    let resp = try_create_org(&srv, &t.admin, "CORPS", "BT", None).await;
    assert_eq!(err_code(&resp), "CONFLICT", "createOrg with an existing corps code");
    let orgs = srv.all_orgs().await;
    assert_eq!(orgs.len(), before, "nothing created by refused createOrg");
    let same: Vec<&Value> = orgs.iter().filter(|o| o["code"] == COMPANY_A1_CODE).collect();
    assert_eq!(same.len(), 1, "exactly one org with code {COMPANY_A1_CODE}");
    assert_eq!(same[0]["parent"]["id"], t.regiment_a.as_str(), "the original org is unchanged");
}

async fn regiment_creates_companies_in_own_regiment_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    // parentId omitted: the regiment's own.
    let d = srv
        .ok(Some(&t.tuan_a), CREATE_ORG, json!({ "k": "COMPANY", "c": "R121-02", "n": "二连", "p": null }))
        .await;
    assert_eq!(d["createOrg"]["kind"], "COMPANY");
    assert_eq!(d["createOrg"]["parent"]["id"], t.regiment_a.as_str(), "parentId omitted = own regiment");
    // parentId = own regiment.
    let d = srv
        .ok(
            Some(&t.tuan_a),
            CREATE_ORG,
            json!({ "k": "COMPANY", "c": "R121-03", "n": "三连", "p": t.regiment_a }),
        )
        .await;
    assert_eq!(d["createOrg"]["parent"]["id"], t.regiment_a.as_str());

    assert_org_refused(&srv, &t.tuan_a, "COMPANY", "R122-09", Some(&t.regiment_b), "FORBIDDEN", "company under another regiment").await;
    for kind in ["REGIMENT", "ENTERPRISE", "COOPERATIVE"] {
        let parent = if kind == "REGIMENT" { Some(t.division.as_str()) } else { Some(t.regiment_a.as_str()) };
        assert_org_refused(&srv, &t.tuan_a, kind, &format!("X-{kind}"), parent, "FORBIDDEN", "a regiment creates companies only").await;
    }
}

async fn company_enterprise_initiator_cannot_create_orgs(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let initiator = srv.register_initiator("13800138001", &t.company_a1).await;
    for (who, token) in [("company", &t.lian_a1), ("enterprise", &t.qy_a), ("initiator", &initiator)] {
        assert_org_refused(&srv, token, "COMPANY", &format!("X-{who}"), Some(&t.regiment_a), "FORBIDDEN", who).await;
        assert_org_refused(&srv, token, "COMPANY", &format!("Y-{who}"), None, "FORBIDDEN", who).await;
    }
}

async fn admin_creates_accounts(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (user, role, org, kind) in [
        ("tuan_a2", "REGIMENT", &t.regiment_a, "REGIMENT"),
        ("lian_a1b", "COMPANY", &t.company_a1, "COMPANY"),
        ("qy_a2", "ENTERPRISE", &t.enterprise_a, "ENTERPRISE"),
    ] {
        let resp = try_create_account(&srv, &t.admin, user, PW, role, org).await;
        let acc = data(&resp)["createAccount"].clone();
        assert_eq!(acc["username"], user, "{acc}");
        assert_eq!(acc["role"], role, "{acc}");
        assert_eq!(acc["org"]["id"], org.as_str(), "{acc}");
        let token = srv.login(user, PW).await;
        let me = srv.me(&token).await;
        assert_eq!(me["role"], role, "me of {user}: {me}");
        assert_eq!(me["org"]["kind"], kind, "me of {user}: {me}");
        assert_eq!(me["org"]["id"], org.as_str(), "me of {user}: {me}");
    }
}

async fn create_account_requires_matching_org_kind(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let a = t.admin.as_str();
    for (user, role, org) in [
        ("m1", "REGIMENT", &t.company_a1),
        ("m2", "REGIMENT", &t.division),
        ("m3", "COMPANY", &t.regiment_a),
        ("m4", "COMPANY", &t.enterprise_a),
        ("m5", "ENTERPRISE", &t.company_a1),
        ("m6", "ENTERPRISE", &t.regiment_a),
    ] {
        assert_account_refused(&srv, a, user, PW, role, org, "VALIDATION", "role must match org kind").await;
    }
}

async fn create_account_refuses_non_creatable_roles(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (user, role, org) in [
        ("n1", "PLATFORM_ADMIN", &t.corps),
        ("n2", "GROWER", &t.company_a1),
        ("n3", "INITIATOR", &t.company_a1),
        ("n4", "INITIATOR", &t.regiment_a),
    ] {
        assert_account_refused(&srv, &t.admin, user, PW, role, org, "VALIDATION", "role not creatable by createAccount").await;
    }
}

async fn regiment_creates_company_accounts_in_own_regiment_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let resp = try_create_account(&srv, &t.tuan_a, "lian_a1x", PW, "COMPANY", &t.company_a1).await;
    assert_eq!(data(&resp)["createAccount"]["role"], "COMPANY");
    let me = srv.me(&srv.login("lian_a1x", PW).await).await;
    assert_eq!(me["org"]["id"], t.company_a1.as_str());

    assert_account_refused(&srv, &t.tuan_a, "lian_b1x", PW, "COMPANY", &t.company_b1, "FORBIDDEN", "another regiment's company").await;
    assert_account_refused(&srv, &t.tuan_a, "tuan_ax", PW, "REGIMENT", &t.regiment_a, "FORBIDDEN", "a regiment creates company accounts only").await;
    assert_account_refused(&srv, &t.tuan_a, "qy_ax", PW, "ENTERPRISE", &t.enterprise_a, "FORBIDDEN", "a regiment creates company accounts only").await;
}

async fn company_enterprise_initiator_cannot_create_accounts(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let initiator = srv.register_initiator("13800138002", &t.company_a1).await;
    for (who, token) in [("company", &t.lian_a1), ("enterprise", &t.qy_a), ("initiator", &initiator)] {
        assert_account_refused(&srv, token, &format!("x_{who}"), PW, "COMPANY", &t.company_a1, "FORBIDDEN", who).await;
    }
}

async fn create_account_refuses_duplicate_username(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let resp = try_create_account(&srv, &t.admin, "lian_a1", "Other12345", "COMPANY", &t.company_a1).await;
    assert_eq!(err_code(&resp), "CONFLICT", "createAccount with an existing username");
    let resp = try_create_account(&srv, &t.tuan_a, "lian_a1", "Other12345", "COMPANY", &t.company_a1).await;
    assert_eq!(err_code(&resp), "CONFLICT", "createAccount (by regiment) with an existing username");
    assert_eq!(srv.login_err("lian_a1", "Other12345").await, "UNAUTHENTICATED", "the password is unchanged");
    srv.login("lian_a1", PW).await;
    let resp = try_create_account(&srv, &t.admin, "admin", "Other12345", "REGIMENT", &t.regiment_a).await;
    assert_eq!(err_code(&resp), "CONFLICT", "createAccount with username admin");
    let me = srv.me(&srv.admin_token().await).await;
    assert_eq!(me["role"], "PLATFORM_ADMIN", "admin unchanged");
}

async fn create_account_refuses_weak_password(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (i, weak) in ["Ab1", "Abc1234", "abcdefghij", "1234567890"].into_iter().enumerate() {
        assert_account_refused(&srv, &t.admin, &format!("w{i}"), weak, "COMPANY", &t.company_a1, "VALIDATION", "weak password").await;
    }
}
