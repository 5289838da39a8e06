//! Sign-in: login, me, refresh rotation, password change, rate limit, expiry.

use std::time::Duration;

use serde_json::json;

use crate::harness::*;

const CHANGE_PW: &str =
    "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }";

both_backends!(
    me_requires_a_valid_token,
    orgs_is_public,
    login_returns_tokens_and_me,
    login_refuses_wrong_password_and_unknown_user,
    login_locks_after_five_failures,
    login_success_resets_failure_count,
    access_token_expires,
    refresh_rotates_tokens,
    refresh_reuse_revokes_family,
    change_password_rules,
    change_password_success_revokes_old_credentials,
);

async fn me_requires_a_valid_token(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    assert_eq!(srv.code(None, ME, json!({})).await, "UNAUTHENTICATED", "me without token");
    assert_eq!(
        srv.code(Some("not-a-jwt"), ME, json!({})).await,
        "UNAUTHENTICATED",
        "me with a garbage token"
    );
    let admin = srv.admin_token().await;
    // Change the first character of the signature.
    let dot = admin.rfind('.').expect("a JWT has three parts") + 1;
    let first = &admin[dot..dot + 1];
    let forged = format!("{}{}{}", &admin[..dot], if first == "A" { "B" } else { "A" }, &admin[dot + 1..]);
    assert_eq!(
        srv.code(Some(&forged), ME, json!({})).await,
        "UNAUTHENTICATED",
        "me with a token whose signature was tampered with"
    );
    assert_eq!(
        srv.code(None, CREATE_ORG, json!({ "k": "CORPS", "c": "X1", "n": "兵团" })).await,
        "UNAUTHENTICATED",
        "createOrg without token"
    );
    assert!(srv.org_by_code("X1").await.is_none(), "refused createOrg must not create the org");
}

async fn orgs_is_public(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let admin = srv.admin_token().await;
    let corps = srv.create_org(&admin, "CORPS", "BT", "兵团", None).await;
    let orgs = srv.all_orgs().await;
    assert!(
        orgs.iter().any(|o| o["id"] == corps.as_str() && o["kind"] == "CORPS"),
        "orgs without a token should list the corps: {orgs:?}"
    );
}

async fn login_returns_tokens_and_me(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let p = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    assert!(!s(&p["accessToken"]).is_empty(), "accessToken empty: {p}");
    assert!(!s(&p["refreshToken"]).is_empty(), "refreshToken empty: {p}");
    assert_ne!(p["accessToken"], p["refreshToken"]);
    let exp = chrono::DateTime::parse_from_rfc3339(&s(&p["expiresAt"]))
        .unwrap_or_else(|e| panic!("expiresAt not RFC 3339: {p}: {e}"));
    let now = chrono::Utc::now();
    assert!(exp > now, "expiresAt {exp} should be in the future");
    assert!(exp < now + chrono::Duration::seconds(900 + 60), "default access TTL is 900 s, got expiresAt {exp}");
    assert_eq!(p["account"]["username"], "admin");
    assert_eq!(p["account"]["role"], "PLATFORM_ADMIN");

    let me = srv.me(&s(&p["accessToken"])).await;
    assert_eq!(me["username"], "admin", "me: {me}");
    assert_eq!(me["role"], "PLATFORM_ADMIN", "me: {me}");
    assert_eq!(me["id"], p["account"]["id"], "me.id should be the signed-in account");
}

async fn login_refuses_wrong_password_and_unknown_user(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    assert_eq!(srv.login_err(ADMIN_USER, "Wrong12345").await, "UNAUTHENTICATED", "wrong password");
    assert_eq!(srv.login_err("nobody", ADMIN_PW).await, "UNAUTHENTICATED", "unknown user");
    assert_eq!(srv.login_err(ADMIN_USER, "").await, "UNAUTHENTICATED", "empty password");
    // Nothing changed: the right password still works.
    srv.login(ADMIN_USER, ADMIN_PW).await;
}

async fn login_locks_after_five_failures(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let admin = srv.admin_token().await;
    let tree_org = srv.create_org(&admin, "CORPS", "BT", "兵团", None).await;
    let div = srv.create_org(&admin, "DIVISION", "D8", "第八师", Some(&tree_org)).await;
    let reg = srv.create_org(&admin, "REGIMENT", "R121", "一二一团", Some(&div)).await;
    srv.create_account(&admin, "tuan_a", PW, "REGIMENT", &reg).await;

    for i in 1..=5 {
        assert_eq!(
            srv.login_err("tuan_a", "Wrong12345").await,
            "UNAUTHENTICATED",
            "failure #{i} should be UNAUTHENTICATED"
        );
    }
    assert_eq!(
        srv.login_err("tuan_a", "Wrong12345").await,
        "RATE_LIMITED",
        "6th attempt (wrong password) after 5 failures"
    );
    assert_eq!(
        srv.login_err("tuan_a", PW).await,
        "RATE_LIMITED",
        "right password while locked must still be RATE_LIMITED"
    );
    // The lock is per username: admin still signs in.
    srv.login(ADMIN_USER, ADMIN_PW).await;
}

async fn login_success_resets_failure_count(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    for round in 0..2 {
        for i in 1..=4 {
            assert_eq!(
                srv.login_err(ADMIN_USER, "Wrong12345").await,
                "UNAUTHENTICATED",
                "round {round}, failure #{i}"
            );
        }
        // 4 failures then a success: the count starts again from 0.
        srv.login(ADMIN_USER, ADMIN_PW).await;
    }
}

async fn access_token_expires(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default().env("COTTON_ACCESS_TTL_SECS", "1")).await;
    let p = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    let access = s(&p["accessToken"]);
    srv.me(&access).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        srv.code(Some(&access), ME, json!({})).await,
        "UNAUTHENTICATED",
        "me with an access token older than COTTON_ACCESS_TTL_SECS=1"
    );
    // The refresh token outlives the access token.
    let r = srv.ok(None, REFRESH, json!({ "r": p["refreshToken"] })).await;
    assert_ne!(r["refresh"]["accessToken"], p["accessToken"], "refresh must issue a new access token");
}

async fn refresh_rotates_tokens(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let p1 = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    let r1 = s(&p1["refreshToken"]);
    let p2 = srv.ok(None, REFRESH, json!({ "r": r1 })).await["refresh"].clone();
    let r2 = s(&p2["refreshToken"]);
    assert_ne!(r1, r2, "refresh must rotate the refresh token");
    assert_eq!(p2["account"]["username"], "admin");
    let me = srv.me(&s(&p2["accessToken"])).await;
    assert_eq!(me["username"], "admin", "the refreshed access token works");
    let p3 = srv.ok(None, REFRESH, json!({ "r": r2 })).await["refresh"].clone();
    assert_ne!(p3["refreshToken"], p2["refreshToken"]);
    assert_eq!(
        srv.code(None, REFRESH, json!({ "r": "garbage" })).await,
        "UNAUTHENTICATED",
        "refresh with a garbage token"
    );
    assert_eq!(
        srv.code(None, REFRESH, json!({ "r": p3["accessToken"] })).await,
        "UNAUTHENTICATED",
        "an access token is not a refresh token"
    );
}

async fn refresh_reuse_revokes_family(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let p1 = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    let r1 = s(&p1["refreshToken"]);
    let p2 = srv.ok(None, REFRESH, json!({ "r": r1 })).await["refresh"].clone();
    let r2 = s(&p2["refreshToken"]);
    // Present r1 again: reuse is detected.
    assert_eq!(
        srv.code(None, REFRESH, json!({ "r": r1 })).await,
        "UNAUTHENTICATED",
        "an already-used refresh token"
    );
    // ... and the newest token of the family is revoked as well.
    assert_eq!(
        srv.code(None, REFRESH, json!({ "r": r2 })).await,
        "UNAUTHENTICATED",
        "after reuse detection the newest refresh token of the family must be revoked"
    );
    // A new login starts a new family.
    let p3 = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    srv.ok(None, REFRESH, json!({ "r": p3["refreshToken"] })).await;
}

async fn change_password_rules(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    assert_eq!(
        srv.code(None, CHANGE_PW, json!({ "o": ADMIN_PW, "n": "NewPass123" })).await,
        "UNAUTHENTICATED",
        "changePassword without token"
    );
    let admin = srv.admin_token().await;
    assert_eq!(
        srv.code(Some(&admin), CHANGE_PW, json!({ "o": "Wrong12345", "n": "NewPass123" })).await,
        "UNAUTHENTICATED",
        "changePassword with a wrong old password"
    );
    for weak in ["Ab1", "Abc1234", "abcdefghij", "1234567890"] {
        assert_eq!(
            srv.code(Some(&admin), CHANGE_PW, json!({ "o": ADMIN_PW, "n": weak })).await,
            "VALIDATION",
            "weak new password {weak:?}"
        );
    }
    // Nothing changed.
    srv.login(ADMIN_USER, ADMIN_PW).await;
    assert_eq!(srv.login_err(ADMIN_USER, "NewPass123").await, "UNAUTHENTICATED");
}

async fn change_password_success_revokes_old_credentials(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let p = srv.login_payload(ADMIN_USER, ADMIN_PW).await;
    let access = s(&p["accessToken"]);
    let d = srv.ok(Some(&access), CHANGE_PW, json!({ "o": ADMIN_PW, "n": "NewPass123" })).await;
    assert_eq!(d["changePassword"], true);
    assert_eq!(
        srv.login_err(ADMIN_USER, ADMIN_PW).await,
        "UNAUTHENTICATED",
        "the old password must no longer sign in"
    );
    srv.login(ADMIN_USER, "NewPass123").await;
    assert_eq!(
        srv.code(None, REFRESH, json!({ "r": p["refreshToken"] })).await,
        "UNAUTHENTICATED",
        "refresh tokens issued before the password change must be refused"
    );
}
