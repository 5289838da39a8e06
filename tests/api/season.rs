//! Season rules (rules §5): defaults, partial updates, validation, admin only.

use serde_json::{Value, json};

use crate::harness::*;

const FIELDS: &str = "season minUnitAreaMu realtimeWindowMinutes premiumMinLengthMm premiumMinStrength premiumMicMin premiumMicMax standardMoisturePct standardTrashPct nominalBaleKg";

both_backends!(
    season_rules_defaults,
    set_season_rules_partial_update,
    set_season_rules_is_admin_only,
    set_season_rules_validation,
);

fn get_query() -> String {
    format!("query($s: Int!) {{ seasonRules(season: $s) {{ {FIELDS} }} }}")
}

fn set_query() -> String {
    format!("mutation($s: Int!, $i: SeasonRulesInput!) {{ setSeasonRules(season: $s, input: $i) {{ {FIELDS} }} }}")
}

async fn rules(srv: &TestServer, token: &str, season: i64) -> Value {
    srv.ok(Some(token), &get_query(), json!({ "s": season })).await["seasonRules"].clone()
}

/// The rules as (field, Decimal) pairs, for numeric comparison.
fn numbers(r: &Value) -> Vec<(&'static str, rust_decimal::Decimal)> {
    [
        "minUnitAreaMu",
        "realtimeWindowMinutes",
        "premiumMinLengthMm",
        "premiumMinStrength",
        "premiumMicMin",
        "premiumMicMax",
        "standardMoisturePct",
        "standardTrashPct",
        "nominalBaleKg",
    ]
    .into_iter()
    .map(|k| (k, dec(&r[k])))
    .collect()
}

fn defaults() -> Vec<(&'static str, rust_decimal::Decimal)> {
    vec![
        ("minUnitAreaMu", d("500")),
        ("realtimeWindowMinutes", d("30")),
        ("premiumMinLengthMm", d("29")),
        ("premiumMinStrength", d("29")),
        ("premiumMicMin", d("3.7")),
        ("premiumMicMax", d("4.9")),
        ("standardMoisturePct", d("8.5")),
        ("standardTrashPct", d("2.5")),
        ("nominalBaleKg", d("227")),
    ]
}

fn with(mut v: Vec<(&'static str, rust_decimal::Decimal)>, changes: &[(&str, &str)]) -> Vec<(&'static str, rust_decimal::Decimal)> {
    for (k, val) in changes {
        v.iter_mut().find(|(f, _)| f == k).unwrap().1 = d(val);
    }
    v
}

async fn season_rules_defaults(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for (who, token) in [("admin", &t.admin), ("regiment", &t.tuan_a), ("company", &t.lian_a1), ("enterprise", &t.qy_a)] {
        let r = rules(&srv, token, 2031).await;
        assert_eq!(r["season"], 2031);
        assert_eq!(numbers(&r), defaults(), "rules §5 defaults seen by {who}: {r}");
    }
    assert!(r_is_int(&rules(&srv, &t.admin, 2031).await["realtimeWindowMinutes"]));
    assert_eq!(
        srv.code(None, &get_query(), json!({ "s": 2031 })).await,
        "UNAUTHENTICATED",
        "seasonRules without token"
    );
}

fn r_is_int(v: &Value) -> bool {
    v.is_i64()
}

async fn set_season_rules_partial_update(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let d1 = srv
        .ok(Some(&t.admin), &set_query(), json!({ "s": 2025, "i": { "minUnitAreaMu": "600" } }))
        .await;
    let r = &d1["setSeasonRules"];
    assert_eq!(r["season"], 2025);
    assert_eq!(numbers(r), with(defaults(), &[("minUnitAreaMu", "600")]), "only minUnitAreaMu changed: {r}");

    let d2 = srv
        .ok(
            Some(&t.admin),
            &set_query(),
            json!({ "s": 2025, "i": { "premiumMicMin": "3.5", "realtimeWindowMinutes": 45, "nominalBaleKg": "226.5" } }),
        )
        .await;
    let want = with(
        defaults(),
        &[("minUnitAreaMu", "600"), ("premiumMicMin", "3.5"), ("realtimeWindowMinutes", "45"), ("nominalBaleKg", "226.5")],
    );
    assert_eq!(numbers(&d2["setSeasonRules"]), want, "second partial update keeps the first: {d2}");
    assert_eq!(numbers(&rules(&srv, &t.tuan_a, 2025).await), want, "persisted, seen by a regiment");
    assert_eq!(numbers(&rules(&srv, &t.admin, 2026).await), defaults(), "another season is unaffected");
}

async fn set_season_rules_is_admin_only(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let input = json!({ "s": 2025, "i": { "minUnitAreaMu": "100" } });
    for (who, token) in [("regiment", &t.tuan_a), ("company", &t.lian_a1), ("enterprise", &t.qy_a)] {
        assert_eq!(srv.code(Some(token), &set_query(), input.clone()).await, "FORBIDDEN", "setSeasonRules by {who}");
    }
    assert_eq!(srv.code(None, &set_query(), input).await, "UNAUTHENTICATED", "setSeasonRules without token");
    assert_eq!(numbers(&rules(&srv, &t.admin, 2025).await), defaults(), "refused setSeasonRules changed nothing");
}

async fn set_season_rules_validation(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    srv.ok(Some(&t.admin), &set_query(), json!({ "s": 2025, "i": { "minUnitAreaMu": "600" } })).await;
    let before = with(defaults(), &[("minUnitAreaMu", "600")]);
    for (why, input) in [
        ("premiumMicMin > premiumMicMax (default 4.9)", json!({ "premiumMicMin": "5.0" })),
        ("premiumMicMin = premiumMicMax", json!({ "premiumMicMin": "4.2", "premiumMicMax": "4.2" })),
        ("premiumMicMax below premiumMicMin (default 3.7)", json!({ "premiumMicMax": "3.0" })),
        ("negative area", json!({ "minUnitAreaMu": "-1" })),
        ("negative area with a valid field", json!({ "minUnitAreaMu": "-0.5", "nominalBaleKg": "230" })),
    ] {
        let resp = srv.gql(Some(&t.admin), &set_query(), json!({ "s": 2025, "i": input })).await;
        assert_eq!(err_code(&resp), "VALIDATION", "{why}: {resp}");
        assert_eq!(numbers(&rules(&srv, &t.admin, 2025).await), before, "{why}: nothing changed");
    }
    // A Decimal that is not a number: VALIDATION or a GraphQL input error (any errors).
    for bad in ["abc", "12,5", ""] {
        let resp = srv
            .gql(Some(&t.admin), &set_query(), json!({ "s": 2025, "i": { "nominalBaleKg": bad } }))
            .await;
        let errs = resp["errors"].as_array();
        assert!(errs.is_some_and(|e| !e.is_empty()), "Decimal {bad:?} must be refused: {resp}");
        assert_eq!(numbers(&rules(&srv, &t.admin, 2025).await), before, "Decimal {bad:?}: nothing changed");
    }
    // A new season is not created by refused calls either.
    let resp = srv.gql(Some(&t.admin), &set_query(), json!({ "s": 2030, "i": { "minUnitAreaMu": "-5" } })).await;
    assert_eq!(err_code(&resp), "VALIDATION");
    assert_eq!(numbers(&rules(&srv, &t.admin, 2030).await), defaults());
}
