//! Self-registration: SMS codes, group initiators, ginning enterprises.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

both_backends!(
    sms_code_is_sent_and_rate_limited,
    sms_code_refuses_invalid_mobile,
    dev_sms_codes_forbidden_without_dev_mode,
    register_initiator_in_company_or_regiment,
    register_initiator_refuses_wrong_org_kind,
    register_initiator_refuses_wrong_code,
    register_initiator_code_is_single_use,
    register_initiator_phone_registered_twice_conflicts,
    register_enterprise_creates_org_and_account,
    register_enterprise_refuses_non_regiment,
    register_enterprise_refuses_duplicate_code,
);

async fn register_initiator(srv: &TestServer, phone: &str, code: &str, org: &str) -> Value {
    srv.gql(
        None,
        REGISTER_INITIATOR,
        json!({ "ph": phone, "c": code, "p": PW, "n": "张三", "o": org }),
    )
    .await
}

async fn register_enterprise(srv: &TestServer, code: &str, regiment: &str, password: &str) -> Value {
    srv.gql(
        None,
        REGISTER_ENTERPRISE,
        json!({ "c": code, "n": "某某棉业有限公司", "r": regiment, "p": password, "ph": "13900139000" }),
    )
    .await
}

async fn dev_codes(srv: &TestServer, phone: &str) -> Vec<Value> {
    srv.ok(None, DEV_SMS, json!({ "p": phone })).await["devSmsCodes"].as_array().unwrap().clone()
}

async fn sms_code_is_sent_and_rate_limited(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    assert_eq!(dev_codes(&srv, "13800138000").await.len(), 0, "no code sent yet");
    let d = srv.ok(None, SEND_SMS, json!({ "p": "13800138000" })).await;
    assert_eq!(d["sendSmsCode"], true);
    let codes = dev_codes(&srv, "13800138000").await;
    assert_eq!(codes.len(), 1, "one code sent: {codes:?}");
    assert!(codes[0].as_str().is_some_and(|c| !c.is_empty()), "a non-empty code: {codes:?}");

    assert_eq!(
        srv.code(None, SEND_SMS, json!({ "p": "13800138000" })).await,
        "RATE_LIMITED",
        "a second send to the same number within 60 s"
    );
    assert_eq!(dev_codes(&srv, "13800138000").await, codes, "the refused send sent nothing");
    // Another number is not limited.
    srv.ok(None, SEND_SMS, json!({ "p": "13900139001" })).await;
    assert_eq!(dev_codes(&srv, "13900139001").await.len(), 1);
}

async fn sms_code_refuses_invalid_mobile(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    for phone in ["12345", "1380013800", "138001380001", "23800138000", "1380013800a", ""] {
        assert_eq!(
            srv.code(None, SEND_SMS, json!({ "p": phone })).await,
            "VALIDATION",
            "sendSmsCode({phone:?})"
        );
    }
}

async fn dev_sms_codes_forbidden_without_dev_mode(backend: Backend) {
    let srv = TestServer::start(backend, Opts::production()).await;
    let d = srv.ok(None, SEND_SMS, json!({ "p": "13800138000" })).await;
    assert_eq!(d["sendSmsCode"], true, "sendSmsCode works without --dev");
    assert_eq!(
        srv.code(None, DEV_SMS, json!({ "p": "13800138000" })).await,
        "FORBIDDEN",
        "devSmsCodes without --dev/--demo"
    );
    let admin = srv.admin_token().await;
    assert_eq!(
        srv.code(Some(&admin), DEV_SMS, json!({ "p": "13800138000" })).await,
        "FORBIDDEN",
        "devSmsCodes without --dev/--demo, even for the admin"
    );
}

async fn register_initiator_in_company_or_regiment(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (phone, org, kind) in [("13800138001", &t.company_a1, "COMPANY"), ("13800138002", &t.regiment_b, "REGIMENT")] {
        let code = srv.sms_code(phone).await;
        let resp = register_initiator(&srv, phone, &code, org).await;
        let p = data(&resp)["registerInitiator"].clone();
        assert!(!s(&p["accessToken"]).is_empty() && !s(&p["refreshToken"]).is_empty(), "{p}");
        let acc = &p["account"];
        assert_eq!(acc["role"], "INITIATOR", "{acc}");
        assert_eq!(acc["username"], phone, "username = phone: {acc}");
        assert_eq!(acc["org"]["id"], org.as_str(), "org = the chosen org: {acc}");
        assert_eq!(acc["org"]["kind"], kind);
        let me = srv.me(&s(&p["accessToken"])).await;
        assert_eq!(me["role"], "INITIATOR");
        assert_eq!(me["username"], phone);
        let token = srv.login(phone, PW).await;
        assert_eq!(srv.me(&token).await["org"]["id"], org.as_str(), "sign-in with phone + password");
    }
}

async fn register_initiator_refuses_wrong_org_kind(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let phone = "13800138003";
    let code = srv.sms_code(phone).await;
    for (what, org) in [("corps", &t.corps), ("division", &t.division), ("enterprise", &t.enterprise_a)] {
        let resp = register_initiator(&srv, phone, &code, org).await;
        assert_eq!(err_code(&resp), "VALIDATION", "registerInitiator in a {what}");
    }
    assert_eq!(srv.login_err(phone, PW).await, "UNAUTHENTICATED", "refused registration creates no account");
    // Nothing was consumed: the same code still registers in a company.
    let resp = register_initiator(&srv, phone, &code, &t.company_a1).await;
    assert_eq!(data(&resp)["registerInitiator"]["account"]["role"], "INITIATOR");
}

async fn register_initiator_refuses_wrong_code(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let phone = "13800138004";
    let code = srv.sms_code(phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let resp = register_initiator(&srv, phone, wrong, &t.company_a1).await;
    assert_eq!(err_code(&resp), "VALIDATION", "registerInitiator with a wrong code");
    let resp = register_initiator(&srv, "13800138005", &code, &t.company_a1).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a code sent to another number");
    assert_eq!(srv.login_err(phone, PW).await, "UNAUTHENTICATED", "no account after a wrong code");
    assert_eq!(srv.login_err("13800138005", PW).await, "UNAUTHENTICATED");
    let resp = register_initiator(&srv, phone, &code, &t.company_a1).await;
    assert_eq!(data(&resp)["registerInitiator"]["account"]["username"], phone, "the right code works");
}

async fn register_initiator_code_is_single_use(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let phone = "13800138006";
    let code = srv.sms_code(phone).await;
    let resp = register_initiator(&srv, phone, &code, &t.company_a1).await;
    let first_id = data(&resp)["registerInitiator"]["account"]["id"].clone();
    let resp = register_initiator(&srv, phone, &code, &t.regiment_a).await;
    assert_eq!(err_code(&resp), "VALIDATION", "a code used once cannot be used again: {resp}");
    let me = srv.me(&srv.login(phone, PW).await).await;
    assert_eq!(me["id"], first_id, "the first account is unchanged");
    assert_eq!(me["org"]["id"], t.company_a1.as_str(), "the first account keeps its org");
}

async fn register_initiator_phone_registered_twice_conflicts(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let phone = "13800138007";
    let code = srv.sms_code(phone).await;
    let resp = register_initiator(&srv, phone, &code, &t.company_a1).await;
    let first_id = data(&resp)["registerInitiator"]["account"]["id"].clone();

    // A new code (after the 60 s rate limit): the phone is taken.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let code2 = srv.sms_code(phone).await;
    let resp = register_initiator(&srv, phone, &code2, &t.regiment_a).await;
    assert_eq!(err_code(&resp), "CONFLICT", "registering a phone again (with a new code): {resp}");
    let me = srv.me(&srv.login(phone, PW).await).await;
    assert_eq!(me["id"], first_id, "the first account is unchanged");
    assert_eq!(me["org"]["id"], t.company_a1.as_str(), "the first account keeps its org");
}

async fn register_enterprise_creates_org_and_account(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let resp = register_enterprise(&srv, "66001", &t.regiment_a, "Cotton2026").await;
    let p = data(&resp)["registerEnterprise"].clone();
    let acc = &p["account"];
    assert_eq!(acc["username"], "qts66001", "account name = qts + code: {acc}");
    assert_eq!(acc["role"], "ENTERPRISE");
    assert_eq!(acc["org"]["kind"], "ENTERPRISE");
    assert_eq!(acc["org"]["code"], "66001");
    assert_eq!(acc["org"]["name"], "某某棉业有限公司");
    assert_eq!(acc["org"]["parent"]["id"], t.regiment_a.as_str(), "the enterprise hangs off the regiment");
    srv.me(&s(&p["accessToken"])).await;

    let token = srv.login("qts66001", "Cotton2026").await;
    assert_eq!(srv.me(&token).await["org"]["code"], "66001");
    let ents = srv.orgs_of_kind("ENTERPRISE").await;
    assert!(ents.iter().any(|o| o["code"] == "66001"), "orgs(kind: ENTERPRISE) lists it: {ents:?}");
}

async fn register_enterprise_refuses_non_regiment(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (i, (what, org)) in [("company", &t.company_a1), ("division", &t.division), ("corps", &t.corps)]
        .into_iter()
        .enumerate()
    {
        let code = format!("6600{i}");
        let resp = register_enterprise(&srv, &code, org, "Cotton2026").await;
        assert_eq!(err_code(&resp), "VALIDATION", "registerEnterprise under a {what}");
        assert!(srv.org_by_code(&code).await.is_none(), "no org {code} after refusal");
        assert_eq!(srv.login_err(&format!("qts{code}"), "Cotton2026").await, "UNAUTHENTICATED", "no account qts{code}");
    }
}

async fn register_enterprise_refuses_duplicate_code(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    data(&register_enterprise(&srv, "66001", &t.regiment_a, "Cotton2026").await);
    let resp = register_enterprise(&srv, "66001", &t.regiment_b, "Other2026x").await;
    assert_eq!(err_code(&resp), "CONFLICT", "registerEnterprise with the same code again");
    assert_eq!(srv.login_err("qts66001", "Other2026x").await, "UNAUTHENTICATED", "password unchanged");
    srv.login("qts66001", "Cotton2026").await;
    let same: Vec<Value> = srv.all_orgs().await.into_iter().filter(|o| o["code"] == "66001").collect();
    assert_eq!(same.len(), 1, "one org with code 66001");
    assert_eq!(same[0]["parent"]["id"], t.regiment_a.as_str(), "still under regiment A");
}
