//! Live events over `/graphql/ws`: both sub-protocols, regiment scoping,
//! authentication in connection_init, and delivery across server instances.

use std::time::Duration;

use serde_json::json;

use crate::harness::*;

const SUB: &str = "subscription { events(topics: [ORG_CREATED]) { topic regionId at } }";

both_backends!(
    admin_receives_org_created_transport_ws,
    admin_receives_org_created_legacy_ws,
    regiment_receives_only_its_region_transport_ws,
    regiment_receives_only_its_region_legacy_ws,
    subscription_without_valid_token_gets_nothing,
    events_cross_instance,
);

fn assert_org_created(ev: &serde_json::Value, region: &str, what: &str) {
    assert_eq!(ev["topic"], "ORG_CREATED", "{what}: {ev}");
    assert_eq!(ev["regionId"], region, "{what}: regionId: {ev}");
    chrono::DateTime::parse_from_rfc3339(ev["at"].as_str().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{what}: `at` is not RFC 3339: {ev}: {e}"));
}

async fn admin_receives(backend: Backend, proto: WsProto) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let mut sub = srv.subscribe(proto, &t.admin, SUB, json!({})).await;

    srv.create_org(&t.admin, "COMPANY", "R121-02", "二连", Some(&t.regiment_a)).await;
    assert_org_created(&sub.next_event().await, &t.regiment_a, "company under regiment A");

    srv.create_org(&t.admin, "COMPANY", "R122-02", "二连", Some(&t.regiment_b)).await;
    assert_org_created(&sub.next_event().await, &t.regiment_b, "company under regiment B");

    // A regiment's own region is itself.
    let r3 = srv.create_org(&t.admin, "REGIMENT", "R123", "一二三团", Some(&t.division)).await;
    assert_org_created(&sub.next_event().await, &r3, "a new regiment");

    // A company created by a regiment account is published too.
    srv.create_org(&t.tuan_a, "COMPANY", "R121-03", "三连", None).await;
    assert_org_created(&sub.next_event().await, &t.regiment_a, "company created by regiment A");
    sub.close().await;
}

async fn admin_receives_org_created_transport_ws(backend: Backend) {
    admin_receives(backend, WsProto::TransportWs).await
}

async fn admin_receives_org_created_legacy_ws(backend: Backend) {
    admin_receives(backend, WsProto::LegacyWs).await
}

async fn regiment_scoped(backend: Backend, proto: WsProto) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let mut sub = srv.subscribe(proto, &t.tuan_a, SUB, json!({})).await;

    // B's first, then A's: the first event regiment A receives must be A's.
    srv.create_org(&t.admin, "COMPANY", "R122-02", "二连", Some(&t.regiment_b)).await;
    srv.create_org(&t.admin, "COMPANY", "R121-02", "二连", Some(&t.regiment_a)).await;
    assert_org_created(&sub.next_event().await, &t.regiment_a, "regiment A's subscriber: first event is A's company");

    // Nothing else for A.
    srv.create_org(&t.admin, "COMPANY", "R122-03", "三连", Some(&t.regiment_b)).await;
    let extra = sub.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "regiment A must not receive regiment B's events, got {extra:?}");
    sub.close().await;
}

async fn regiment_receives_only_its_region_transport_ws(backend: Backend) {
    regiment_scoped(backend, WsProto::TransportWs).await
}

async fn regiment_receives_only_its_region_legacy_ws(backend: Backend) {
    regiment_scoped(backend, WsProto::LegacyWs).await
}

async fn subscription_without_valid_token_gets_nothing(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    // A control subscriber proves the events are published (and read) meanwhile.
    let mut control = srv.subscribe(WsProto::TransportWs, &t.admin, SUB, json!({})).await;
    for (i, proto) in [WsProto::TransportWs, WsProto::LegacyWs].into_iter().enumerate() {
        for (j, (what, token)) in [("no token", None), ("garbage token", Some("not-a-jwt"))].into_iter().enumerate() {
            let mut c = srv.ws(proto, token).await;
            // Subscribe whatever the server answered to connection_init.
            c.start("1", SUB, json!({})).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let code = format!("X{i}{j}");
            srv.create_org(&t.admin, "COMPANY", &code, "连队", Some(&t.regiment_a)).await;
            let seen = control.any_event_within(WS_TIMEOUT).await;
            assert!(
                seen.as_ref().is_some_and(|e| e["topic"] == "ORG_CREATED"),
                "the admin control subscriber should receive ORG_CREATED, got {seen:?}"
            );
            let ev = c.any_event_within(Duration::from_secs(3)).await;
            assert!(ev.is_none(), "{} with {what}: no event may be delivered, got {ev:?}", proto.name());
        }
    }
}

async fn events_cross_instance(backend: Backend) {
    let a = TestServer::start(backend, Opts::default()).await;
    // SQLite: one instance; PostgreSQL: a second process on the same database.
    let b_owned = match backend {
        Backend::Postgres => Some(a.another_on_same_db().await),
        Backend::Sqlite => None,
    };
    let b = b_owned.as_ref().unwrap_or(&a);
    let t = setup_tree(b).await;
    let mut sub = a.subscribe(WsProto::TransportWs, &t.admin, SUB, json!({})).await;
    b.create_org(&t.admin, "COMPANY", "R121-02", "二连", Some(&t.regiment_a)).await;
    assert_org_created(&sub.next_event().await, &t.regiment_a, "event published on instance B, received on A");
    sub.close().await;
}
