//! Text input bounds and control characters, over HTTP on both backends (issue
//! 16 items 2 and 3): a NUL once made PostgreSQL answer INTERNAL; an unbounded
//! text was stored and echoed. Both are VALIDATION now, before anything runs, and
//! change nothing.

use serde_json::json;

use crate::ginning::{Tk, minutes_ago};
use crate::harness::*;
use crate::processing_fixture::*;
use crate::unit_fixtures::{err_msg, review_resp, revoke_resp};

both_backends!(control_characters_and_oversized_texts_are_validation);

fn refused(resp: &serde_json::Value, why: &str) {
    assert_eq!(err_code(resp), "VALIDATION", "{why}: {resp}");
    assert!(has_cjk(&err_msg(resp)), "{why}: a Chinese message: {resp}");
    assert!(resp.get("data").is_none_or(|d| d.is_null()), "{why}: nothing ran: {resp}");
}

async fn control_characters_and_oversized_texts_are_validation(backend: Backend) {
    let (srv, m) = start(backend).await;
    let qy = m.qy_a();

    // Sign-in with a NUL in the user name.
    let login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";
    refused(&srv.gql(None, login, json!({ "u": "tuan1\u{0}", "p": PW })).await, "NUL in a user name");
    // The same as a literal in the document.
    refused(&srv.gql(None, "mutation { login(username: \"qy_a\\u0000\", password: \"x\") { accessToken } }", json!({})).await, "NUL literal");

    // A bale barcode with a NUL, on a VI line: refused, and no bale recorded.
    let vi = create_line(&srv, qy, "六号线", "VI").await;
    let resp = bale_resp(&srv, qy, &vi.id, "B1\u{0}", "200", None).await;
    refused(&resp, "NUL in a barcode");
    let d = srv.ok(Some(qy), "query($b: String!) { bale(barcode: $b) { barcode } }", json!({ "b": "B1" })).await;
    assert!(d["bale"].is_null(), "nothing was recorded");

    // Review and revoke reasons: NUL, another control character, and 501 characters.
    for reason in ["不合格\u{0}", "不合格\u{7}", &"长".repeat(501)] {
        refused(&review_resp(&srv, &m.t.tuan_a, &m.up, false, Some(reason)).await, "review reason");
        refused(&revoke_resp(&srv, &m.t.tuan_a, &m.u1, reason).await, "revoke reason");
    }
    let st = srv.ok(Some(&m.t.admin), "query($i: ID!) { traceUnit(id: $i) { status } }", json!({ "i": m.up })).await;
    assert_eq!(st["traceUnit"]["status"], "PENDING", "the refused review changed nothing");
    // A reason of several lines within 500 characters is a reason.
    let ok = review_resp(&srv, &m.t.tuan_a, &m.up, false, Some("面积不符：\n地块A1-07-2 面积有误")).await;
    assert_eq!(data(&ok)["reviewTraceUnit"]["status"], "REJECTED", "{ok}");

    // Lengths that fit the meaning: a 65-character org name, a 33-character ticket number.
    let org = "mutation($k: OrgKind!, $c: String!, $n: String!, $p: ID) { createOrg(kind: $k, code: $c, name: $n, parentId: $p) { id } }";
    let resp = srv.gql(Some(&m.t.admin), org, json!({ "k": "COMPANY", "c": "R121-99", "n": "连".repeat(65), "p": m.t.regiment_a })).await;
    refused(&resp, "a 65-character name");
    assert!(err_msg(&resp).contains("64"), "the message gives the limit: {resp}");
    let tk = Tk::new(&"T".repeat(33), &m.id(7), &[m.plot("A1-07-1")], "1000").at(&minutes_ago(3));
    refused(&crate::ginning::upload_raw(&srv, qy, &tk).await, "a 33-character ticket number");
    // A 10 MB text anywhere: refused as well (the default bound).
    let huge = "x".repeat(10 * 1024 * 1024);
    refused(&srv.gql(Some(qy), "query($c: String!) { traceCard(cardNo: $c) { id } }", json!({ "c": huge })).await, "10 MB card number");
    // Over the WebSocket too: the subscription is refused with the same code.
    let mut ws = srv.ws(WsProto::TransportWs, Some(qy)).await;
    assert!(matches!(ws.recv().await, WsMsg::Ack));
    ws.start("1", "subscription($e: ID) { events(enterpriseId: $e) { topic } }", json!({ "e": "1\u{0}" })).await;
    match ws.recv().await {
        WsMsg::Error(p) => assert_eq!(p[0]["extensions"]["code"], "VALIDATION", "{p}"),
        WsMsg::Next(p) => assert_eq!((&p["data"], &p["errors"][0]["extensions"]["code"]), (&json!(null), &json!("VALIDATION")), "{p}"),
        other => panic!("a NUL in a subscription variable: {other:?}"),
    }
    ws.close().await;
}
