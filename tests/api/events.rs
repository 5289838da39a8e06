//! Live events over `/graphql/ws`: both sub-protocols, regiment scoping,
//! authentication in connection_init, delivery across server instances, and
//! the outbox (issue 19): cursors, replay after a reconnect, rows an instance
//! left behind, pruning.

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
    cursors_increase_in_delivery_order,
    reconnect_with_cursor_replays_missed_events,
    bad_cursor_is_refused,
    pruned_events_answer_resync_then_the_rest,
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

const SUB_AFTER: &str = "subscription($after: String) { events(topics: [ORG_CREATED], after: $after) { cursor topic regionId at } }";

fn cursor(ev: &serde_json::Value) -> u64 {
    ev["cursor"].as_str().and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("cursor is a decimal string: {ev}"))
}

async fn cursors_increase_in_delivery_order(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let mut sub = srv.subscribe(WsProto::TransportWs, &t.admin, SUB_AFTER, json!({})).await;
    let mut last = 0;
    for i in 0..5 {
        srv.create_org(&t.admin, "COMPANY", &format!("R121-1{i}"), "连队", Some(&t.regiment_a)).await;
        let ev = sub.next_event().await;
        assert_org_created(&ev, &t.regiment_a, "live event");
        assert!(cursor(&ev) > last, "cursors increase: {} after {last}", cursor(&ev));
        last = cursor(&ev);
    }
    sub.close().await;
}

/// A regiment's subscriber drops; meanwhile (on PostgreSQL through a second
/// instance) companies are created in its area and in another; subscribing
/// again with its last cursor first delivers exactly the missed events it may
/// see, in order, then live ones, without duplicates.
async fn reconnect_with_cursor_replays_missed_events(backend: Backend) {
    let a = TestServer::start(backend, Opts::default()).await;
    let b_owned = match backend {
        Backend::Postgres => Some(a.another_on_same_db().await),
        Backend::Sqlite => None,
    };
    let b = b_owned.as_ref().unwrap_or(&a);
    let t = setup_tree(&a).await;
    let mut sub = a.subscribe(WsProto::TransportWs, &t.tuan_a, SUB_AFTER, json!({})).await;
    a.create_org(&t.admin, "COMPANY", "R121-02", "二连", Some(&t.regiment_a)).await;
    let first = sub.next_event().await;
    assert_org_created(&first, &t.regiment_a, "before the drop");
    sub.close().await;

    let missed_a1 = b.create_org(&t.admin, "COMPANY", "R121-03", "三连", Some(&t.regiment_a)).await;
    b.create_org(&t.admin, "COMPANY", "R122-02", "二连", Some(&t.regiment_b)).await;
    let missed_a2 = b.create_org(&t.admin, "COMPANY", "R121-04", "四连", Some(&t.regiment_a)).await;
    assert_ne!(missed_a1, missed_a2);

    let mut again = a.subscribe(WsProto::TransportWs, &t.tuan_a, SUB_AFTER, json!({ "after": first["cursor"] })).await;
    let r1 = again.next_event().await;
    let r2 = again.next_event().await;
    assert_org_created(&r1, &t.regiment_a, "first missed event");
    assert_org_created(&r2, &t.regiment_a, "second missed event (regiment B's is not A's to see)");
    assert!(cursor(&first) < cursor(&r1) && cursor(&r1) < cursor(&r2), "replayed in cursor order: {first} {r1} {r2}");

    b.create_org(&t.admin, "COMPANY", "R121-05", "五连", Some(&t.regiment_a)).await;
    let live = again.next_event().await;
    assert_org_created(&live, &t.regiment_a, "live after the replay");
    assert!(cursor(&live) > cursor(&r2), "no replayed event again: {live}");
    let extra = again.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "nothing more (no duplicate), got {extra:?}");
    again.close().await;
}

async fn bad_cursor_is_refused(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default()).await;
    let t = setup_tree(&srv).await;
    for bad in ["abc", "-1", "1e3", "99999999999999999999", ""] {
        let mut c = srv.ws(WsProto::TransportWs, Some(&t.admin)).await;
        c.start("1", SUB_AFTER, json!({ "after": bad })).await;
        let errors = loop {
            match c.recv().await {
                WsMsg::Ack => continue,
                WsMsg::Error(p) => break p,
                WsMsg::Next(p) => break p["errors"].clone(),
                other => panic!("cursor {bad:?}: expected an error, got {other:?}"),
            }
        };
        assert_eq!(errors[0]["extensions"]["code"], "VALIDATION", "cursor {bad:?}: {errors}");
        assert!(has_cjk(errors[0]["message"].as_str().unwrap_or("")), "Chinese message: {errors}");
        c.close().await;
    }
}

/// An instance that committed a change and died before its events were
/// numbered leaves outbox rows without a cursor: a surviving instance numbers
/// and delivers them. PostgreSQL only: on SQLite one process owns the file and
/// the cursor is set by the inserting transaction itself.
#[tokio::test]
async fn event_left_unnumbered_by_a_dead_instance_is_delivered() {
    if !pg_available().await {
        return;
    }
    let srv = TestServer::start(Backend::Postgres, Opts::default()).await;
    let t = setup_tree(&srv).await;
    let mut sub = srv.subscribe(WsProto::TransportWs, &t.admin, SUB_AFTER, json!({})).await;
    let payload = json!({
        "topic": "ORG_CREATED", "at": chrono::Utc::now().to_rfc3339(), "regionId": t.regiment_a.parse::<i64>().unwrap(),
        "enterpriseId": null, "unitId": null, "cardNo": null, "ticketNo": null, "baleBarcode": null,
    });
    let mut raw = crate::audit::Raw::open(&srv).await;
    let now = chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S%.6f");
    raw.exec(&format!("INSERT INTO events (at, payload) VALUES ('{now}', '{payload}')")).await.expect("insert an outbox row");
    let ev = sub.next_event().await;
    assert_org_created(&ev, &t.regiment_a, "the row left behind");
    sub.close().await;
}

/// Past the retention the outbox forgets: a subscriber whose cursor is older
/// gets RESYNC (re-query), then what is still kept.
async fn pruned_events_answer_resync_then_the_rest(backend: Backend) {
    let srv = TestServer::start(backend, Opts::default().env("COTTON_EVENT_RETENTION_HOURS", "1").env("COTTON_EVENT_PRUNE_EVERY_SECS", "1")).await;
    let t = setup_tree(&srv).await;
    let mut raw = crate::audit::Raw::open(&srv).await;
    let mut sub = srv.subscribe(WsProto::TransportWs, &t.admin, SUB_AFTER, json!({})).await;
    srv.create_org(&t.admin, "COMPANY", "R121-02", "二连", Some(&t.regiment_a)).await;
    let old = sub.next_event().await;
    sub.close().await;
    // Make it two hours old, then wait for the pruner.
    raw.exec(&format!("UPDATE events SET at = '2000-01-01 00:00:00' WHERE seq = {}", cursor(&old))).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !raw.texts(&format!("SELECT CAST(count(*) AS TEXT) AS v FROM events WHERE seq = {}", cursor(&old))).await.contains(&"0".to_string()) {
        assert!(std::time::Instant::now() < deadline, "the old event was not pruned");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let kept = srv.create_org(&t.admin, "COMPANY", "R121-03", "三连", Some(&t.regiment_a)).await;
    assert!(!kept.is_empty());
    let mut again = srv.subscribe(WsProto::TransportWs, &t.admin, SUB_AFTER, json!({ "after": "0" })).await;
    let resync = again.next_event().await;
    assert_eq!(resync["topic"], "RESYNC", "events were pruned after cursor 0: {resync}");
    assert!(cursor(&resync) >= cursor(&old), "RESYNC carries the cursor to go on from: {resync}");
    let rest = again.next_event().await;
    assert_org_created(&rest, &t.regiment_a, "the kept event after RESYNC");
    again.close().await;
}
