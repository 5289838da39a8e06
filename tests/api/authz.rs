//! The role × field authorization table (issue 10): every Query, Mutation and
//! Subscription field of `schema.graphql`, with the roles allowed to call it. The
//! test fails when the schema has a field the table lacks, or the table names a
//! field the schema does not have.
//!
//! For every field and every role it sends a real request with arguments in that
//! role's own scope (the processing fixture's world: regiment A, company A1, the
//! initiator's cooperative unit, enterprise qy_a, grower G7) and asserts: a denied
//! role gets UNAUTHENTICATED (anonymous) or FORBIDDEN (signed in); an allowed role
//! gets neither (other refusals — NOT_FOUND, VALIDATION, BAD_FILE, a wrong state —
//! are fine: they are past the authorization check). One server per backend.

use std::collections::BTreeSet;

use chrono::Utc;
use serde_json::{Value, json};

use crate::ginning::{self, SEASON, Tk};
use crate::harness::*;
use crate::processing_fixture::{self as pf, Mill};

both_backends!(every_field_every_role);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum R {
    Anon,
    Grower,
    Initiator,
    Company,
    Regiment,
    Enterprise,
    Admin,
}
use R::*;

const ROLES: [R; 7] = [Anon, Grower, Initiator, Company, Regiment, Enterprise, Admin];
const PUBLIC: &[R] = &[Anon, Grower, Initiator, Company, Regiment, Enterprise, Admin];
const SIGNED_IN: &[R] = &[Grower, Initiator, Company, Regiment, Enterprise, Admin];
const ENTERPRISE: &[R] = &[Enterprise];
const ADMIN: &[R] = &[Admin];

/// (type, field, roles allowed). rules §2/§4 and docs/decisions.md.
const TABLE: &[(&str, &str, &[R])] = &[
    // ---- Query
    ("Query", "me", SIGNED_IN),
    ("Query", "orgs", PUBLIC), // registration forms need the tree
    ("Query", "seasonRules", SIGNED_IN),
    ("Query", "growers", &[Admin, Regiment, Company, Initiator]),
    ("Query", "traceUnit", &[Admin, Regiment, Company, Initiator, Grower]),
    ("Query", "traceUnits", &[Admin, Regiment, Company, Initiator, Grower]),
    ("Query", "myResults", &[Grower]),
    ("Query", "growerTickets", ENTERPRISE),
    ("Query", "tickets", ENTERPRISE),
    ("Query", "traceCard", &[Admin, Enterprise, Regiment, Grower]),
    ("Query", "bale", &[Admin, Enterprise, Regiment]),
    ("Query", "baleTrace", PUBLIC), // a bale tag's QR code, for anyone (no personal data)
    ("Query", "printRecords", ENTERPRISE),
    ("Query", "cardUsage", ENTERPRISE),
    ("Query", "productionLines", ENTERPRISE),
    ("Query", "platformPublicKey", SIGNED_IN),
    ("Query", "lineState", ENTERPRISE),
    ("Query", "premiumAllocation", &[Admin, Regiment, Company, Initiator, Grower]),
    ("Query", "areaReport", &[Admin, Regiment]),
    ("Query", "areaReportXlsx", &[Admin, Regiment]),
    ("Query", "lintAssociation", ENTERPRISE),
    ("Query", "enterpriseReportXlsx", ENTERPRISE),
    ("Query", "plugins", SIGNED_IN),
    ("Query", "refusedPlugins", ADMIN), // paths and reasons describe the server
    ("Query", "devSmsCodes", PUBLIC), // --dev/--demo only; FORBIDDEN to all otherwise
    ("Query", "errorCodes", PUBLIC),
    // ---- Mutation
    ("Mutation", "login", PUBLIC),
    ("Mutation", "refresh", PUBLIC),
    ("Mutation", "changePassword", &[Admin, Regiment, Company, Initiator, Enterprise]), // growers have no password
    ("Mutation", "createAccount", &[Admin, Regiment]),
    ("Mutation", "createOrg", &[Admin, Regiment]),
    ("Mutation", "setSeasonRules", ADMIN),
    ("Mutation", "importRoster", &[Admin, Regiment, Company]),
    // Roster edits: whoever may import the company's roster (rosters::can_edit_roster).
    ("Mutation", "addGrower", &[Admin, Regiment, Company]),
    ("Mutation", "updateGrower", &[Admin, Regiment, Company]),
    ("Mutation", "addPlot", &[Admin, Regiment, Company]),
    ("Mutation", "updatePlot", &[Admin, Regiment, Company]),
    ("Mutation", "removePlot", &[Admin, Regiment, Company]),
    ("Mutation", "createTraceUnit", &[Company, Initiator]),
    ("Mutation", "updateTraceUnit", &[Company, Initiator]),
    ("Mutation", "dissolveTraceUnit", &[Company, Initiator]),
    ("Mutation", "reviewTraceUnit", &[Regiment]),
    ("Mutation", "revokeReview", &[Regiment]),
    ("Mutation", "growerLogin", PUBLIC),
    ("Mutation", "uploadTicket", ENTERPRISE),
    ("Mutation", "printTraceCard", ENTERPRISE),
    ("Mutation", "reprintTraceCard", ENTERPRISE),
    ("Mutation", "setDefaultPrinter", ENTERPRISE),
    ("Mutation", "createProductionLine", ENTERPRISE),
    ("Mutation", "exportTraceFile", ENTERPRISE),
    ("Mutation", "scanCards", ENTERPRISE),
    ("Mutation", "enterDelayBales", ENTERPRISE),
    ("Mutation", "recordBale", ENTERPRISE),
    ("Mutation", "endCurrentCard", ENTERPRISE),
    ("Mutation", "reprocessCard", ENTERPRISE),
    ("Mutation", "uploadProcessingFile", ENTERPRISE),
    ("Mutation", "setVerificationAccount", ENTERPRISE),
    ("Mutation", "importInspections", ADMIN),
    ("Mutation", "sendSmsCode", PUBLIC),
    ("Mutation", "registerInitiator", PUBLIC),
    ("Mutation", "registerEnterprise", PUBLIC),
    ("Mutation", "importCompanyAccounts", ADMIN),
    // ---- Subscription (growers see no event: refused rather than a silent stream)
    ("Subscription", "events", &[Admin, Regiment, Company, Initiator, Enterprise]),
];

/// The fields of `type Query|Mutation|Subscription { … }` in `schema.graphql`.
fn schema_fields() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let sdl = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let mut out = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut in_doc = false;
    let mut args_depth = 0i32;
    for line in sdl.lines() {
        let t = line.trim();
        if in_doc {
            in_doc = !t.contains("\"\"\"");
            continue;
        }
        if t.starts_with("\"\"\"") {
            in_doc = !(t.len() > 3 && t[3..].contains("\"\"\""));
            continue;
        }
        if let Some(rest) = t.strip_prefix("type ") {
            let name = rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
            current = ["Query", "Mutation", "Subscription"].contains(&name).then(|| name.to_string());
            continue;
        }
        if t == "}" {
            current = None;
            continue;
        }
        if let Some(ty) = &current {
            let name: String = t.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // A field's arguments may span lines (when one is documented): only
            // names outside parentheses are fields.
            if args_depth == 0 && !name.is_empty() && t[name.len()..].trim_start().starts_with(['(', ':']) {
                out.insert((ty.clone(), name));
            }
            args_depth += t.matches('(').count() as i32 - t.matches(')').count() as i32;
        }
    }
    out
}

#[test]
fn table_covers_exactly_the_schema() {
    let schema = schema_fields();
    assert!(schema.len() > 40, "parsed only {} root fields from schema.graphql", schema.len());
    let table: BTreeSet<(String, String)> = TABLE.iter().map(|(t, f, _)| (t.to_string(), f.to_string())).collect();
    assert_eq!(table.len(), TABLE.len(), "a field is listed twice in TABLE");
    let missing: Vec<_> = schema.difference(&table).collect();
    let extra: Vec<_> = table.difference(&schema).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "tests/api/authz.rs TABLE is out of date with schema.graphql:\n  fields without an entry (add them, with the roles allowed): {missing:?}\n  entries for fields that do not exist: {extra:?}"
    );
}

struct Fx {
    m: Mill,
    grower: String,
    /// G1 (company A1) on the roster.
    g1: String,
    card: String,
    ticket: String,
    vi: String,
    iv: String,
}

impl Fx {
    fn token(&self, r: R) -> Option<String> {
        let t = &self.m.t;
        match r {
            Anon => None,
            Grower => Some(self.grower.clone()),
            Initiator => Some(self.m.initiator.clone()),
            Company => Some(t.lian_a1.clone()),
            Regiment => Some(t.tuan_a.clone()),
            Enterprise => Some(t.qy_a.clone()),
            Admin => Some(t.admin.clone()),
        }
    }
    /// A unit in the role's scope: the initiator's cooperative, the grower's unit, else U1.
    fn unit(&self, r: R) -> &str {
        match r {
            Initiator => &self.m.uc,
            Grower => &self.m.uw,
            _ => &self.m.u1,
        }
    }
    /// A unit the role manages (PENDING where it can be).
    fn own_unit(&self, r: R) -> &str {
        if r == Initiator { &self.m.uc } else { &self.m.up }
    }
}

fn tag(r: R) -> usize {
    ROLES.iter().position(|x| *x == r).unwrap()
}

/// Sends `field` as role `r`; returns the whole response.
async fn call(srv: &TestServer, fx: &Fx, field: &str, r: R) -> Value {
    let t = &fx.m.t;
    let tok = fx.token(r);
    let tok = tok.as_deref();
    let n = tag(r);
    let junk = || b"not a spreadsheet".to_vec();
    let (q, v): (String, Value) = match field {
        "me" => ("{ me { __typename } }".into(), json!({})),
        "orgs" => ("{ orgs { __typename } }".into(), json!({})),
        "seasonRules" => ("query($s: Int!) { seasonRules(season: $s) { __typename } }".into(), json!({ "s": SEASON })),
        "growers" => (
            "query($c: ID!, $s: Int!) { growers(companyId: $c, season: $s) { __typename } }".into(),
            json!({ "c": t.company_a1, "s": SEASON }),
        ),
        "traceUnit" => ("query($i: ID!) { traceUnit(id: $i) { __typename } }".into(), json!({ "i": fx.unit(r) })),
        "traceUnits" => ("{ traceUnits { __typename } }".into(), json!({})),
        "myResults" => ("{ myResults { __typename } }".into(), json!({})),
        "growerTickets" => (
            "query($i: String!, $s: Int!) { growerTickets(idNumber: $i, season: $s) { __typename } }".into(),
            json!({ "i": fx.m.id(1), "s": SEASON }),
        ),
        "tickets" => ("query($s: Int!) { tickets(season: $s) { __typename } }".into(), json!({ "s": SEASON })),
        "traceCard" => ("query($c: String!) { traceCard(cardNo: $c) { __typename } }".into(), json!({ "c": fx.card })),
        // No bale has this barcode: allowed roles get null, the others FORBIDDEN
        // (scope is tested in tests/api/rule_holes.rs).
        "bale" => ("query($b: String!) { bale(barcode: $b) { __typename } }".into(), json!({ "b": "AZB0001" })),
        "baleTrace" => ("query($b: String!) { baleTrace(barcode: $b) { __typename } }".into(), json!({ "b": "AZB0001" })),
        "printRecords" => ("{ printRecords { __typename } }".into(), json!({})),
        "cardUsage" => ("query($s: Int!) { cardUsage(season: $s) { __typename } }".into(), json!({ "s": SEASON })),
        "productionLines" => ("{ productionLines { __typename } }".into(), json!({})),
        "platformPublicKey" => ("{ platformPublicKey }".into(), json!({})),
        "lineState" => ("query($l: ID!) { lineState(lineId: $l) { __typename } }".into(), json!({ "l": fx.vi })),
        "premiumAllocation" => (
            "query($u: ID!) { premiumAllocation(unitId: $u) { __typename } }".into(),
            json!({ "u": fx.unit(r) }),
        ),
        "areaReport" | "areaReportXlsx" => (
            format!("query($s: Int!, $r: ID) {{ {field}(season: $s, regionId: $r) {{ __typename }} }}"),
            json!({ "s": SEASON, "r": t.regiment_a }),
        ),
        "lintAssociation" | "enterpriseReportXlsx" => {
            (format!("query($s: Int!) {{ {field}(season: $s) {{ __typename }} }}"), json!({ "s": SEASON }))
        }
        "plugins" => ("{ plugins { __typename } }".into(), json!({})),
        "refusedPlugins" => ("{ refusedPlugins { path reason } }".into(), json!({})),
        "errorCodes" => ("{ errorCodes }".into(), json!({})),
        "devSmsCodes" => ("query($p: String!) { devSmsCodes(phone: $p) }".into(), json!({ "p": fx.m.phone(1) })),

        "login" => (LOGIN.into(), json!({ "u": "lian_b1", "p": PW })),
        "refresh" => {
            let fresh = srv.login_payload("lian_b1", PW).await;
            (REFRESH.into(), json!({ "r": fresh["refreshToken"] }))
        }
        "changePassword" => {
            let pw = if r == Admin { ADMIN_PW } else { PW };
            ("mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }".into(), json!({ "o": pw, "n": pw }))
        }
        "createAccount" => (CREATE_ACCOUNT.into(), json!({ "u": format!("authz_{n}"), "p": PW, "r": "COMPANY", "o": t.company_a1 })),
        "createOrg" => (
            CREATE_ORG.into(),
            json!({ "k": "COMPANY", "c": format!("AZ-{n}"), "n": format!("授权测试连{n}"), "p": t.regiment_a }),
        ),
        "setSeasonRules" => (
            "mutation($s: Int!, $i: SeasonRulesInput!) { setSeasonRules(season: $s, input: $i) { __typename } }".into(),
            json!({ "s": SEASON, "i": { "realtimeWindowMinutes": 30 } }),
        ),
        "importRoster" => {
            let q = "mutation($c: ID!, $s: Int!, $file: Upload!) { importRoster(companyId: $c, season: $s, file: $file) { __typename } }";
            return srv.upload(tok, q, json!({ "c": t.company_a1, "s": SEASON }), "roster.xlsx", junk()).await;
        }
        "addGrower" => (
            "mutation($c: ID!, $i: NewGrowerInput!) { addGrower(companyId: $c, input: $i) { __typename } }".into(),
            json!({ "c": t.company_a1, "i": { "name": format!("授权测试{n}"), "idNumber": crate::unit_fixtures::id_number(700 + n as u32) } }),
        ),
        // G1 keeps their name: nothing changes.
        "updateGrower" => (
            "mutation($g: ID!, $n: String) { updateGrower(id: $g, name: $n) { __typename } }".into(),
            json!({ "g": fx.g1, "n": fx.m.growers[1].name }),
        ),
        "addPlot" => (
            "mutation($g: ID!, $s: Int!, $i: PlotInput!) { addPlot(growerId: $g, season: $s, input: $i) { __typename } }".into(),
            json!({ "g": fx.g1, "s": SEASON, "i": { "code": format!("AZ-P{n}"), "areaMu": "10" } }),
        ),
        // Location only: the plot is in U1, whose area is locked.
        "updatePlot" => (
            "mutation($p: ID!, $l: String) { updatePlot(id: $p, location: $l) { __typename } }".into(),
            json!({ "p": fx.m.plot("A1-01-1"), "l": format!("授权测试田{n}") }),
        ),
        // A fresh plot of G1 (added by the admin) for each role to remove.
        "removePlot" => {
            let d = srv
                .ok(
                    Some(&t.admin),
                    "mutation($g: ID!, $s: Int!, $i: PlotInput!) { addPlot(growerId: $g, season: $s, input: $i) { id } }",
                    json!({ "g": fx.g1, "s": SEASON, "i": { "code": format!("AZ-R{n}"), "areaMu": "10" } }),
                )
                .await;
            ("mutation($p: ID!) { removePlot(id: $p) }".into(), json!({ "p": d["addPlot"]["id"] }))
        }
        "createTraceUnit" => {
            let kind = if r == Initiator { "FREE" } else { "COMPANY" };
            (
                "mutation($i: CreateTraceUnitInput!) { createTraceUnit(input: $i) { __typename } }".into(),
                json!({ "i": { "kind": kind, "name": format!("授权测试单元{n}"), "season": SEASON, "plotIds": [fx.m.plot("A1-01-1")] } }),
            )
        }
        "updateTraceUnit" => (
            "mutation($i: ID!, $u: UpdateTraceUnitInput!) { updateTraceUnit(id: $i, input: $u) { __typename } }".into(),
            json!({ "i": fx.own_unit(r), "u": { "name": format!("改名{n}") } }),
        ),
        "dissolveTraceUnit" => ("mutation($i: ID!) { dissolveTraceUnit(id: $i) { __typename } }".into(), json!({ "i": fx.own_unit(r) })),
        "reviewTraceUnit" => (
            "mutation($i: ID!) { reviewTraceUnit(id: $i, approve: false, reason: \"授权测试驳回\") { __typename } }".into(),
            json!({ "i": fx.m.up }),
        ),
        "revokeReview" => (
            "mutation($i: ID!) { revokeReview(id: $i, reason: \"授权测试撤销\") { __typename } }".into(),
            json!({ "i": fx.m.u3 }),
        ),
        "growerLogin" => (crate::unit_fixtures::GROWER_LOGIN.into(), json!({ "p": fx.m.phone(8), "c": "000000" })),
        "uploadTicket" => {
            let tk = Tk::new(&format!("AZ-U{n}"), &fx.m.id(1), &[fx.m.plot("A1-01-1")], "1000").tare("200");
            ("mutation($i: TicketInput!) { uploadTicket(input: $i) { __typename } }".into(), json!({ "i": Value::Object(tk.0) }))
        }
        "printTraceCard" => (
            "mutation($t: ID!) { printTraceCard(ticketId: $t, moduleType: ROUND_MODULE, moduleCount: 4, printer: \"ZPL\") { __typename } }".into(),
            json!({ "t": fx.ticket }),
        ),
        "reprintTraceCard" => (
            "mutation($c: String!) { reprintTraceCard(cardNo: $c, copies: 1) { __typename } }".into(),
            json!({ "c": fx.card }),
        ),
        // ZPL, which printTraceCard above names anyway: later prints are unaffected.
        "setDefaultPrinter" => ("mutation($m: String!) { setDefaultPrinter(model: $m) }".into(), json!({ "m": "ZPL" })),
        "createProductionLine" => (pf::CREATE_LINE.into(), json!({ "n": format!("授权测试线{n}"), "m": "VI" })),
        "exportTraceFile" => ("mutation($l: ID!) { exportTraceFile(lineId: $l) { __typename } }".into(), json!({ "l": fx.iv })),
        "scanCards" => (pf::SCAN.into(), json!({ "l": fx.vi, "c": [fx.card] })),
        "enterDelayBales" => (pf::delay_q(), json!({ "l": fx.vi, "c": fx.card, "n": 0 })),
        "recordBale" => (
            pf::bale_q(),
            json!({ "l": fx.vi, "b": format!("AZB{n}"), "n": "220", "m": null, "t": ginning::rfc3339(Utc::now()) }),
        ),
        "endCurrentCard" => (pf::end_q(), json!({ "l": fx.vi })),
        "reprocessCard" => (pf::reprocess_q(), json!({ "l": fx.vi, "c": fx.card, "u": pf::VERIFIER, "p": pf::VERIFIER_PW })),
        "uploadProcessingFile" => return srv.upload(tok, pf::UPLOAD_FILE, json!({ "l": fx.iv }), "upload.bin", junk()).await,
        "setVerificationAccount" => (pf::SET_VERIFIER.into(), json!({ "u": pf::VERIFIER, "p": pf::VERIFIER_PW })),
        "importInspections" => return srv.upload(tok, pf::IMPORT_INSPECTIONS, json!({}), "inspections.csv", junk()).await,
        "sendSmsCode" => (SEND_SMS.into(), json!({ "p": fx.m.phone(2) })),
        "registerInitiator" => (
            REGISTER_INITIATOR.into(),
            json!({ "ph": format!("1360000000{n}"), "c": "000000", "p": PW, "n": "授权测试", "o": t.company_a1 }),
        ),
        "registerEnterprise" => (
            REGISTER_ENTERPRISE.into(),
            json!({ "c": format!("E9900{n}"), "n": format!("授权测试轧花厂{n}"), "r": t.regiment_a, "p": PW, "ph": format!("1350000000{n}") }),
        ),
        "importCompanyAccounts" => {
            let q = "mutation($file: Upload!) { importCompanyAccounts(file: $file) { __typename } }";
            return srv.upload(tok, q, json!({}), "accounts.xlsx", junk()).await;
        }
        other => panic!("authz.rs has no arguments for field {other}: add them to call()"),
    };
    srv.gql(tok, &q, v).await
}

/// The refusal expected of a denied role, or None when the role is allowed.
fn judge(field: &str, r: R, allowed: bool, resp: &Value) -> Option<String> {
    let code = resp["errors"][0]["extensions"]["code"].as_str();
    if let Some(c) = code {
        let msg = resp["errors"][0]["message"].as_str().unwrap_or("");
        if !has_cjk(msg) {
            return Some(format!("{field} as {r:?}: message not Chinese: {resp}"));
        }
        let _ = c;
    }
    let auth_refusal = matches!(code, Some("UNAUTHENTICATED" | "FORBIDDEN"));
    match (allowed, r) {
        (true, _) if auth_refusal => Some(format!("{field} as {r:?} should be allowed, got {resp}")),
        (true, _) => None,
        (false, Anon) if code != Some("UNAUTHENTICATED") => Some(format!("{field} anonymous should be UNAUTHENTICATED, got {resp}")),
        (false, Anon) => None,
        (false, _) if code != Some("FORBIDDEN") => Some(format!("{field} as {r:?} should be FORBIDDEN, got {resp}")),
        (false, _) => None,
    }
}

async fn every_field_every_role(backend: Backend) {
    // Per-IP budgets off: the table signs in well over a minute's worth from one address.
    let opts = ginning::opts().env("COTTON_SIGN_IN_PER_IP", "0").env("COTTON_SMS_PER_IP", "0");
    let srv = TestServer::start(backend, opts).await;
    let m = pf::setup(&srv).await;
    let qy = m.t.qy_a.clone();
    let code = srv.sms_code(&m.phone(7)).await;
    let d = srv.ok(None, crate::unit_fixtures::GROWER_LOGIN, json!({ "p": m.phone(7), "c": code })).await;
    let grower = s(&d["growerLogin"]["accessToken"]);
    pf::set_verifier(&srv, &qy).await;
    let card = pf::work_card(&srv, &m, &qy, "AZ-T1").await;
    let ticket = s(&ginning::upload(&srv, &qy, &pf::ticket(&m, "AZ-T2", 1, "A1-01-1", "1000", "200")).await["id"]);
    let vi = pf::create_line(&srv, &qy, "授权VI线", "VI").await.id;
    let iv = pf::create_line(&srv, &qy, "授权IV线", "IV").await.id;
    let roster = crate::unit_fixtures::growers(&srv, &m.t.admin, &m.t.company_a1, SEASON as i64, Some(m.growers[1].name)).await;
    let g1 = s(&crate::unit_fixtures::nodes(&roster)[0]["id"]);
    let fx = Fx { m, grower, g1, card, ticket, vi, iv };

    let mut failures = Vec::new();

    // ---- Subscription: the refusal comes on subscribe; an allowed role receives
    // events (one it may see is raised after everyone subscribed).
    let mut allowed_subs = Vec::new();
    let events_allowed = TABLE.iter().find(|(t, f, _)| *t == "Subscription" && *f == "events").unwrap().2;
    for r in ROLES {
        let tok = fx.token(r);
        let mut c = srv.ws(WsProto::TransportWs, tok.as_deref()).await;
        match c.recv().await {
            WsMsg::Ack => {}
            other => panic!("connection_init as {r:?}: {other:?}"),
        }
        c.start("1", "subscription { events { topic } }", json!({})).await;
        if events_allowed.contains(&r) {
            allowed_subs.push((r, c));
        } else {
            let resp = match c.recv().await {
                WsMsg::Next(p) => p,
                WsMsg::Error(p) => json!({ "errors": p }),
                other => panic!("events as {r:?}: expected a refusal, got {other:?}"),
            };
            if let Some(f) = judge("events", r, false, &resp) {
                failures.push(f);
            }
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A unit change in regiment A (admin, regiment, company, initiator see it) and a
    // ticket of qy_a (the enterprise sees it).
    srv.ok(Some(&fx.m.t.lian_a1), "mutation($i: ID!) { updateTraceUnit(id: $i, input: { name: \"订阅测试\" }) { id } }", json!({ "i": fx.m.up }))
        .await;
    ginning::upload(&srv, &qy, &pf::ticket(&fx.m, "AZ-T3", 1, "A1-01-1", "900", "100")).await;
    for (r, mut c) in allowed_subs {
        match c.recv().await {
            WsMsg::Next(p) if p.get("errors").is_none_or(Value::is_null) && !p["data"]["events"].is_null() => {}
            other => failures.push(format!("events as {r:?} should deliver an event, got {other:?}")),
        }
        c.close().await;
    }

    // ---- Query and Mutation: every field × every role.
    let mut calls = 0;
    for (ty, field, allowed) in TABLE.iter().filter(|(t, _, _)| *t != "Subscription") {
        for r in ROLES {
            let resp = call(&srv, &fx, field, r).await;
            calls += 1;
            if let Some(f) = judge(&format!("{ty}.{field}"), r, allowed.contains(&r), &resp) {
                failures.push(f);
            }
        }
    }
    println!("authz: {calls} field × role calls + {} subscriptions on {backend:?}", ROLES.len());
    assert!(failures.is_empty(), "{} authorization mismatches:\n{}", failures.len(), failures.join("\n"));
}
