//! Purchase weigh tickets (issue 5 item 1, rules §6): uploadTicket rules and
//! refusals, exact weights, idempotence, lateness, growerTickets, and the
//! TICKET_UPLOADED / CARD_PRINTED events.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::ginning::*;
use crate::harness::*;

both_backends!(
    upload_ticket_is_enterprise_only,
    upload_ticket_validates_input,
    upload_ticket_refuses_percentages_with_3_decimals,
    upload_ticket_weights_table,
    upload_ticket_is_idempotent_and_completed_later,
    carded_ticket_refuses_changes,
    ticket_no_is_unique_per_enterprise_and_season,
    late_ticket_gets_no_card,
    grower_tickets_lists_own_uncarded_tickets,
    events_ticket_uploaded_and_card_printed,
    concurrent_uploads_are_group_committed,
    enterprise_tickets_by_status_and_search,
);

fn num(v: &Value) -> Decimal {
    dec(v)
}

fn plot_codes(ticket: &Value) -> Vec<String> {
    let mut v: Vec<String> = ticket["plots"].as_array().expect("plots").iter().map(|p| s(&p["code"])).collect();
    v.sort();
    v
}

async fn upload_ticket_is_enterprise_only(backend: Backend) {
    let (srv, g) = start(backend).await;
    let t = &g.t;
    let tk = Tk::new("E-1", &g.id(1), &[g.plot("A1-01-1")], "1000");
    for (who, token) in [("admin", &t.admin), ("regiment", &t.tuan_a), ("company", &t.lian_a1)] {
        assert_eq!(upload_code(&srv, token, &tk).await, "FORBIDDEN", "uploadTicket by {who}");
    }
    let resp = srv.gql(None, &upload_query(), json!({ "i": Value::Object(tk.0.clone()) })).await;
    assert_eq!(err_code(&resp), "UNAUTHENTICATED", "uploadTicket without a token: {resp}");
    assert!(open_ticket_nos(&srv, g.qy_a(), &g.id(1), SEASON).await.is_empty(), "refused uploads created nothing");

    let ticket = upload(&srv, g.qy_a(), &tk).await;
    assert_eq!(ticket["ticketNo"], "E-1");
    assert_eq!(ticket["season"], SEASON);
    assert_eq!(num(&ticket["grossKg"]), d("1000"));
    assert_eq!(ticket["grower"]["name"], g.growers[1].name);
    assert_eq!(ticket["grower"]["idNumberMasked"], masked(&g.id(1)));
    assert_eq!(plot_codes(&ticket), ["A1-01-1"]);
    assert_eq!(ticket["traceUnit"]["id"], g.unit_ok.as_str(), "the ticket's plots lie in unit OK: {ticket}");
    assert_eq!(ticket["late"], false);
    assert!(ticket["card"].is_null(), "no card yet: {ticket}");
    for k in ["tareKg", "netKg", "lintYieldPct", "lintTargetKg", "moisturePct", "trashPct", "moduleCount"] {
        assert!(ticket[k].is_null(), "{k} not sent yet, so null: {ticket}");
    }
    assert_eq!(open_ticket_nos(&srv, g.qy_a(), &g.id(1), SEASON).await, ["E-1"]);
}

async fn upload_ticket_validates_input(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let g1 = g.id(1);
    let p1 = g.plot("A1-01-1");
    let base = |no: &str| Tk::new(no, &g1, std::slice::from_ref(&p1), "1000");

    // Ticket numbers: 1-32 of [A-Za-z0-9_-].
    let too_long = "A".repeat(33);
    for bad in ["", too_long.as_str(), "T 1", "磅单1", "T/1", "T.1", "T#1"] {
        assert_eq!(upload_code(&srv, qy, &base(bad)).await, "VALIDATION", "ticketNo {bad:?}");
    }
    let longest = "Ab-_0123456789012345678901234567"; // 32 characters
    assert_eq!(longest.len(), 32);
    upload(&srv, qy, &base(longest)).await;

    // The grower by ID number.
    assert_eq!(
        upload_code(&srv, qy, &base("G-1").grower(&id_number(999))).await,
        "NOT_FOUND",
        "a valid ID number nobody has in a roster"
    );
    assert_eq!(upload_code(&srv, qy, &base("G-2").grower(&bad_check(&g1))).await, "VALIDATION", "a wrong check character");
    assert_eq!(upload_code(&srv, qy, &base("G-3").grower(&g1[..17])).await, "VALIDATION", "17 characters");

    // Plots must be the grower's, of the ticket's season.
    let p2 = g.plot("A1-02-1");
    let old = g.plot("A1-01-9");
    assert_eq!(upload_code(&srv, qy, &base("P-1").plots(std::slice::from_ref(&p2))).await, "VALIDATION", "another grower's plot");
    assert_eq!(upload_code(&srv, qy, &base("P-2").plots(&[p1.clone(), p2.clone()])).await, "VALIDATION", "own plot + another grower's");
    assert_eq!(upload_code(&srv, qy, &base("P-3").plots(std::slice::from_ref(&old))).await, "VALIDATION", "the grower's plot of season 2025");
    assert_eq!(upload_code(&srv, qy, &base("P-4").plots(&[])).await, "VALIDATION", "no plot");

    // Weights.
    let cases: Vec<(&str, Tk, &str)> = vec![
        ("W-1", base("W-1").gross("0"), "gross 0"),
        ("W-2", base("W-2").gross("-1"), "negative gross"),
        ("W-3", base("W-3").gross("1000.001"), "gross with 3 decimals"),
        ("W-4", base("W-4").tare("1000.01"), "tare > gross"),
        ("W-5", base("W-5").tare("-1"), "negative tare"),
        ("W-6", base("W-6").tare("10.001"), "tare with 3 decimals"),
        ("W-7", base("W-7").lint_yield("0"), "lint yield 0"),
        ("W-8", base("W-8").lint_yield("-5"), "negative lint yield"),
        ("W-9", base("W-9").lint_yield("100.01"), "lint yield > 100"),
        ("W-10", base("W-10").moisture("100"), "moisture 100"),
        ("W-11", base("W-11").moisture("-0.01"), "negative moisture"),
        ("W-12", base("W-12").trash("100"), "trash 100"),
        ("W-13", base("W-13").trash("-0.01"), "negative trash"),
        ("W-14", base("W-14").at(&minutes_ago(-10)), "weighed 10 minutes in the future"),
    ];
    for (_, tk, why) in &cases {
        assert_eq!(upload_code(&srv, qy, tk).await, "VALIDATION", "{why}");
    }

    // The edges that are allowed.
    let ok: Vec<(&str, Tk)> = vec![
        ("K-1", base("K-1").gross("0.01")),
        ("K-2", base("K-2").tare("1000")),                   // tare = gross
        ("K-3", base("K-3").tare("0")),                      // tare 0
        ("K-4", base("K-4").lint_yield("100")),              // yield 100
        ("K-5", base("K-5").lint_yield("0.01")),             // smallest yield
        ("K-6", base("K-6").moisture("0").trash("0")),       // 0 %
        ("K-7", base("K-7").moisture("99.99").trash("99.99")), // just under 100 %
        ("K-8", base("K-8").at(&minutes_ago(-2))),           // 2 minutes ahead: clock skew
    ];
    for (no, tk) in &ok {
        let t = upload(&srv, qy, tk).await;
        assert_eq!(t["ticketNo"], *no);
    }
    let k2 = upload(&srv, qy, &ok[1].1).await;
    assert_eq!(num(&k2["netKg"]), d("0"), "tare = gross: net 0: {k2}");
    let k8 = upload(&srv, qy, &ok[7].1).await;
    assert_eq!(k8["late"], false, "weighed in the near future is not late: {k8}");

    // Only the accepted tickets exist.
    let mut want: Vec<String> = ok.iter().map(|(n, _)| n.to_string()).collect();
    want.push(longest.to_string());
    want.sort();
    assert_eq!(open_ticket_nos(&srv, qy, &g1, SEASON).await, want, "refused uploads created no ticket");
}

/// Percentages are stored with 2 decimals (like the weights): a third decimal
/// must be refused, not rounded by one database and kept by the other.
async fn upload_ticket_refuses_percentages_with_3_decimals(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let base = |no: &str| Tk::new(no, &g.id(1), &[g.plot("A1-01-1")], "1000").tare("0");
    for (tk, what) in [
        (base("D-1").lint_yield("38.555"), "lint yield 38.555"),
        (base("D-2").moisture("8.555"), "moisture 8.555"),
        (base("D-3").trash("2.555"), "trash 2.555"),
    ] {
        let resp = upload_raw(&srv, qy, &tk).await;
        assert!(
            resp.get("errors").is_some_and(|e| !e.is_null()),
            "{what}: expected VALIDATION, the server accepted it: {}",
            resp["data"]["uploadTicket"]
        );
        assert_eq!(err_code(&resp), "VALIDATION", "{what}");
    }
    assert!(open_ticket_nos(&srv, qy, &g.id(1), SEASON).await.is_empty(), "no ticket was created");
    // Two decimals are fine: 1000 × 38.55 / 100 = 385.50.
    let t = upload(&srv, qy, &base("D-4").lint_yield("38.55").moisture("8.55").trash("2.55")).await;
    assert_eq!(num(&t["lintTargetKg"]), d("385.5"));
}

/// One row of the weights table: inputs, the hand-computed results.
struct Row {
    no: &'static str,
    grower: usize,
    plot: &'static str,
    gross: &'static str,
    tare: &'static str,
    lint_yield: &'static str,
    net: &'static str,
    target: &'static str,
    /// ceil(target / 227), None = not printed (target 0).
    bales: Option<i64>,
}

async fn upload_ticket_weights_table(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    // net = gross − tare; target = net × yield / 100, rounded half away from zero
    // to 0.01; bales = ceil(target / 227).
    #[rustfmt::skip]
    let rows = [
        // 2400.20 − 400.20 = 2000.00; 2000 × 38.5 / 100 = 770.00; 770 / 227 = 3.39 → 4
        Row { no: "W01", grower: 1, plot: "A1-01-1", gross: "2400.20", tare: "400.20", lint_yield: "38.5", net: "2000", target: "770.00", bales: Some(4) },
        // 1000 − 0 = 1000; 1000 × 100 / 100 = 1000.00; 1000 / 227 = 4.41 → 5
        Row { no: "W02", grower: 1, plot: "A1-01-2", gross: "1000", tare: "0", lint_yield: "100", net: "1000", target: "1000.00", bales: Some(5) },
        // 1500.55 − 300.30 = 1200.25; 1200.25 × 40.25 = 48310.0625; / 100 = 483.100625 → 483.10; / 227 = 2.13 → 3
        Row { no: "W03", grower: 3, plot: "A1-03-1", gross: "1500.55", tare: "300.30", lint_yield: "40.25", net: "1200.25", target: "483.10", bales: Some(3) },
        // 150.10 − 50.00 = 100.10; 100.10 × 40.05 = 4009.005; / 100 = 40.09005 → 40.09; → 1
        Row { no: "W04", grower: 1, plot: "A1-01-1", gross: "150.10", tare: "50.00", lint_yield: "40.05", net: "100.10", target: "40.09", bales: Some(1) },
        // 900.09 − 200 = 700.09; 700.09 × 50 = 35004.5; / 100 = 350.045 → 350.05 (midpoint away from zero;
        // banker's rounding would give 350.04); 350.05 / 227 = 1.54 → 2
        Row { no: "W05", grower: 1, plot: "A1-01-1", gross: "900.09", tare: "200", lint_yield: "50", net: "700.09", target: "350.05", bales: Some(2) },
        // 1534.56 − 300 = 1234.56; 1234.56 × 37.77 = 45678.72 + 950.6112 = 46629.3312; / 100 = 466.293312 → 466.29; / 227 = 2.05 → 3
        Row { no: "W06", grower: 3, plot: "A1-03-1", gross: "1534.56", tare: "300", lint_yield: "37.77", net: "1234.56", target: "466.29", bales: Some(3) },
        // 1099.99 − 100 = 999.99; 999.99 × 33.33 = 33330 − 0.3333 = 33329.6667; / 100 = 333.296667 → 333.30; / 227 = 1.47 → 2
        Row { no: "W07", grower: 1, plot: "A1-01-2", gross: "1099.99", tare: "100", lint_yield: "33.33", net: "999.99", target: "333.30", bales: Some(2) },
        // 1335 − 200 = 1135; 1135 × 40 = 45400; / 100 = 454.00 = 2 × 227 exactly → 2
        Row { no: "W08", grower: 1, plot: "A1-01-1", gross: "1335", tare: "200", lint_yield: "40", net: "1135", target: "454.00", bales: Some(2) },
        // 1108.02 − 200 = 908.02; 908.02 × 50 = 45401; / 100 = 454.01, just over 2 × 227 → 3
        Row { no: "W09", grower: 1, plot: "A1-01-1", gross: "1108.02", tare: "200", lint_yield: "50", net: "908.02", target: "454.01", bales: Some(3) },
        // 0.05 − 0.01 = 0.04; 0.04 × 30 = 1.2; / 100 = 0.012 → 0.01; → 1
        Row { no: "W10", grower: 3, plot: "A1-03-1", gross: "0.05", tare: "0.01", lint_yield: "30", net: "0.04", target: "0.01", bales: Some(1) },
        // 500 − 500 = 0; 0 × 35 / 100 = 0.00 (not printed: nothing to trace)
        Row { no: "W11", grower: 1, plot: "A1-01-1", gross: "500", tare: "500", lint_yield: "35", net: "0", target: "0.00", bales: None },
        // 99999.99 − 12345.67 = 87654.32; 87654.32 × 42.42 = 3681481.44 + 36814.8144 = 3718296.2544;
        // / 100 = 37182.962544 → 37182.96; 227 × 163 = 37001 < 37182.96 ≤ 227 × 164 = 37228 → 164
        Row { no: "W12", grower: 1, plot: "A1-01-2", gross: "99999.99", tare: "12345.67", lint_yield: "42.42", net: "87654.32", target: "37182.96", bales: Some(164) },
        // 2000 − 153.47 = 1846.53; 1846.53 × 39.9 = 73861.2 − 184.653 = 73676.547; / 100 = 736.76547 → 736.77; / 227 = 3.25 → 4
        Row { no: "W13", grower: 3, plot: "A1-03-1", gross: "2000", tare: "153.47", lint_yield: "39.9", net: "1846.53", target: "736.77", bales: Some(4) },
    ];
    let mut printed = 0;
    for r in &rows {
        // Moisture and trash ride along; they do not enter the target.
        let tk = Tk::new(r.no, &g.id(r.grower), &[g.plot(r.plot)], r.gross)
            .tare(r.tare)
            .lint_yield(r.lint_yield)
            .moisture("8.5")
            .trash("2.5");
        let t = upload(&srv, qy, &tk).await;
        assert_eq!(num(&t["grossKg"]), d(r.gross), "{}: gross: {t}", r.no);
        assert_eq!(num(&t["tareKg"]), d(r.tare), "{}: tare: {t}", r.no);
        assert_eq!(num(&t["netKg"]), d(r.net), "{}: net = {} − {}: {t}", r.no, r.gross, r.tare);
        assert_eq!(num(&t["lintYieldPct"]), d(r.lint_yield), "{}: yield: {t}", r.no);
        assert_eq!(num(&t["lintTargetKg"]), d(r.target), "{}: target = {} × {} / 100: {t}", r.no, r.net, r.lint_yield);
        let Some(bales) = r.bales else { continue };
        let res = print(&srv, qy, &s(&t["id"]), &Pr::default().printer("ZPL")).await;
        let card = &res["card"];
        assert_eq!(num(&card["targetLintKg"]), d(r.target), "{}: card target: {card}", r.no);
        assert_eq!(card["processableBales"], bales, "{}: processable bales = ceil({} / 227): {card}", r.no, r.target);
        assert_eq!(num(&card["processedLintKg"]), d("0"), "{}: nothing processed yet", r.no);
        printed += 1;
    }
    assert_eq!(card_usage(&srv, qy, SEASON).await, [printed, 0, 0, 0], "every printed card counted");
}

async fn upload_ticket_is_idempotent_and_completed_later(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let at = minutes_ago(10);
    let tk = Tk::new("I-1", &g.id(1), &[g.plot("A1-01-1")], "2400.20").at(&at);

    let first = upload(&srv, qy, &tk).await;
    assert!(first["netKg"].is_null() && first["lintTargetKg"].is_null(), "gross only: {first}");
    let again = upload(&srv, qy, &tk).await;
    assert_eq!(again, first, "the same ticket sent twice is one ticket, unchanged");

    // Tare later: net known, target not yet.
    let with_tare = upload(&srv, qy, &tk.clone().tare("400.20")).await;
    assert_eq!(with_tare["id"], first["id"], "same ticket");
    assert_eq!(with_tare["uploadedAt"], first["uploadedAt"], "uploadedAt is the first upload");
    assert_eq!(num(&with_tare["tareKg"]), d("400.2"));
    assert_eq!(num(&with_tare["netKg"]), d("2000"), "2400.20 − 400.20");
    assert!(with_tare["lintTargetKg"].is_null(), "no yield yet: {with_tare}");

    // Yield later, tare omitted: the tare is kept.
    let with_yield = upload(&srv, qy, &tk.clone().lint_yield("38.5")).await;
    assert_eq!(with_yield["id"], first["id"]);
    assert_eq!(num(&with_yield["tareKg"]), d("400.2"), "omitted tare keeps the earlier value: {with_yield}");
    assert_eq!(num(&with_yield["lintTargetKg"]), d("770"), "2000 × 38.5 / 100");

    // Moisture, trash and module count, then a bare resend keeps everything.
    let full = upload(&srv, qy, &tk.clone().moisture("8.2").trash("2.1").modules(6)).await;
    assert_eq!(num(&full["moisturePct"]), d("8.2"));
    assert_eq!(num(&full["trashPct"]), d("2.1"));
    assert_eq!(full["moduleCount"], 6);
    let bare = upload(&srv, qy, &tk).await;
    assert_eq!(bare, full, "a resend without the optional fields keeps them and changes nothing");

    // Before a card, the plots may still be corrected; the gross never (issue 15:
    // what the weighbridge fixed stays, CONFLICT), so a correction of the tare does it.
    assert_eq!(upload_code(&srv, qy, &tk.clone().gross("2500.20")).await, "CONFLICT");
    let changed = upload(&srv, qy, &tk.clone().tare("300.20").plots(&[g.plot("A1-01-1"), g.plot("A1-01-2")])).await;
    assert_eq!(changed["id"], first["id"]);
    assert_eq!(num(&changed["netKg"]), d("2100"), "2400.20 − 300.20");
    assert_eq!(num(&changed["lintTargetKg"]), d("808.5"), "2100 × 38.5 / 100 = 808.50");
    assert_eq!(plot_codes(&changed), ["A1-01-1", "A1-01-2"]);
    assert_eq!(changed["uploadedAt"], first["uploadedAt"]);
    assert_eq!(open_ticket_nos(&srv, qy, &g.id(1), SEASON).await, ["I-1"], "still one ticket");
}

async fn carded_ticket_refuses_changes(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let at = minutes_ago(10);
    let tk = Tk::new("C-1", &g.id(1), &[g.plot("A1-01-1")], "1200").tare("200").lint_yield("40").moisture("8").at(&at);
    let ticket = upload(&srv, qy, &tk).await;
    let res = print(&srv, qy, &s(&ticket["id"]), &Pr::default()).await;
    let card_no = s(&res["card"]["cardNo"]);

    // Identical content is fine, with or without the optional fields.
    let same = upload(&srv, qy, &tk).await;
    assert_eq!(same["id"], ticket["id"]);
    assert_eq!(same["card"]["cardNo"], card_no.as_str(), "the resent ticket shows its card: {same}");
    let bare = Tk::new("C-1", &g.id(1), &[g.plot("A1-01-1")], "1200").at(&at);
    assert_eq!(upload(&srv, qy, &bare).await["id"], ticket["id"], "a bare resend of a carded ticket");

    // What the weighbridge fixed (gross, weighing time) never changes: CONFLICT,
    // carded or not (issue 15); the rest is TICKET_CARDED once the card exists.
    let changes: Vec<(Tk, &str, &str)> = vec![
        (tk.clone().gross("1300"), "gross", "CONFLICT"),
        (tk.clone().tare("150"), "tare", "TICKET_CARDED"),
        (tk.clone().lint_yield("41"), "lint yield", "TICKET_CARDED"),
        (tk.clone().moisture("9"), "moisture", "TICKET_CARDED"),
        (tk.clone().modules(3), "module count", "TICKET_CARDED"),
        (tk.clone().plots(&[g.plot("A1-01-1"), g.plot("A1-01-2")]), "plots", "TICKET_CARDED"),
        (tk.clone().at(&minutes_ago(12)), "weighing time", "CONFLICT"),
    ];
    for (c, what, code) in &changes {
        assert_eq!(upload_code(&srv, qy, c).await, *code, "changing the {what} of a carded ticket");
    }
    let after = upload(&srv, qy, &tk).await;
    assert_eq!(num(&after["grossKg"]), d("1200"));
    assert_eq!(num(&after["tareKg"]), d("200"));
    assert_eq!(num(&after["lintYieldPct"]), d("40"));
    assert_eq!(num(&after["lintTargetKg"]), d("400"), "1000 × 40 / 100");
    assert_eq!(plot_codes(&after), ["A1-01-1"]);
    let card = data(&trace_card(&srv, qy, &card_no).await)["traceCard"].clone();
    assert_eq!(num(&card["targetLintKg"]), d("400"), "the card is unchanged: {card}");
}

async fn ticket_no_is_unique_per_enterprise_and_season(backend: Backend) {
    let (srv, g) = start(backend).await;
    let g1 = g.id(1);
    let a = upload(&srv, g.qy_a(), &Tk::new("U-1", &g1, &[g.plot("A1-01-1")], "1000")).await;
    let b = upload(&srv, &g.qy_b, &Tk::new("U-1", &g1, &[g.plot("A1-01-1")], "2000")).await;
    assert_ne!(a["id"], b["id"], "another enterprise's ticket of the same number is another ticket");
    let old = upload(&srv, g.qy_a(), &Tk::new("U-1", &g1, &[g.plot("A1-01-9")], "3000").season(OTHER_SEASON)).await;
    assert_ne!(a["id"], old["id"], "the same number in another season is another ticket");
    assert_eq!(old["season"], OTHER_SEASON);

    let mine = grower_tickets(&srv, g.qy_a(), &g1, SEASON).await;
    let tickets = mine["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "{mine}");
    assert_eq!(num(&tickets[0]["grossKg"]), d("1000"), "enterprise A's U-1 is untouched by B's: {mine}");
    let theirs = grower_tickets(&srv, &g.qy_b, &g1, SEASON).await;
    assert_eq!(theirs["tickets"].as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(num(&theirs["tickets"][0]["grossKg"]), d("2000"));
    let prev = grower_tickets(&srv, g.qy_a(), &g1, OTHER_SEASON).await;
    assert_eq!(prev["tickets"].as_array().unwrap().len(), 1, "{prev}");
    assert_eq!(num(&prev["tickets"][0]["grossKg"]), d("3000"));
}

async fn late_ticket_gets_no_card(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let g1 = g.id(1);
    let p = || vec![g.plot("A1-01-1")];

    // Weighed 2 hours ago, window 30 min (default): late, no card.
    let late_tk = Tk::new("L-1", &g1, &p(), "1000").complete().at(&minutes_ago(120));
    let late = upload(&srv, qy, &late_tk).await;
    assert_eq!(late["late"], true, "uploaded 2 h after weighing: {late}");
    let uploaded = parse_time(&late["uploadedAt"]);
    assert!((chrono::Utc::now() - uploaded).num_seconds().abs() < 60, "uploadedAt is the upload time: {late}");
    assert_eq!(print_code(&srv, qy, &s(&late["id"]), &Pr::default()).await, "TICKET_LATE");
    assert_eq!(upload(&srv, qy, &late_tk).await["late"], true, "a resend stays late");
    assert_eq!(print_code(&srv, qy, &s(&late["id"]), &Pr::default()).await, "TICKET_LATE", "still late");
    assert!(upload(&srv, qy, &late_tk).await["card"].is_null(), "no card for a late ticket");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [0, 0, 0, 0]);

    // Weighed 20 minutes ago: real time.
    let ok = upload(&srv, qy, &Tk::new("L-2", &g1, &p(), "1000").complete().at(&minutes_ago(20))).await;
    assert_eq!(ok["late"], false, "{ok}");
    print(&srv, qy, &s(&ok["id"]), &Pr::default()).await;

    // A wider window (3 h): a ticket weighed 2 hours ago is in time.
    let d1 = srv.ok(Some(&g.t.admin), SET_RULES, json!({ "s": SEASON, "i": { "realtimeWindowMinutes": 180 } })).await;
    assert_eq!(d1["setSeasonRules"]["realtimeWindowMinutes"], 180);
    let wide = upload(&srv, qy, &Tk::new("L-3", &g1, &p(), "1000").complete().at(&minutes_ago(120))).await;
    assert_eq!(wide["late"], false, "2 h < 180 min window: {wide}");
    print(&srv, qy, &s(&wide["id"]), &Pr::default()).await;

    // Lateness is judged on the first upload: a 1-minute window, first upload
    // 50 s after weighing, completed after the window has passed.
    srv.ok(Some(&g.t.admin), SET_RULES, json!({ "s": SEASON, "i": { "realtimeWindowMinutes": 1 } })).await;
    let at = rfc3339(chrono::Utc::now() - chrono::Duration::seconds(50));
    let tk = Tk::new("L-4", &g1, &p(), "1000").at(&at);
    let first = upload(&srv, qy, &tk).await;
    assert_eq!(first["late"], false, "first upload 50 s after weighing, window 1 min: {first}");
    tokio::time::sleep(Duration::from_secs(15)).await;
    let completed = upload(&srv, qy, &tk.clone().complete()).await;
    assert_eq!(completed["late"], false, "completing it 65 s after weighing does not make it late: {completed}");
    assert_eq!(completed["uploadedAt"], first["uploadedAt"]);
    print(&srv, qy, &s(&completed["id"]), &Pr::default()).await;
    // A new ticket weighed 2 minutes ago is late under the 1-minute window.
    let l5 = upload(&srv, qy, &Tk::new("L-5", &g1, &p(), "1000").complete().at(&minutes_ago(2))).await;
    assert_eq!(l5["late"], true, "{l5}");
    assert_eq!(card_usage(&srv, qy, SEASON).await, [3, 0, 0, 0], "cards only for the real-time tickets");
}

async fn grower_tickets_lists_own_uncarded_tickets(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let g2 = g.id(2);
    let (p21, p22) = (g.plot("A1-02-1"), g.plot("A1-02-2"));
    let gt1 = upload(&srv, qy, &Tk::new("GT-1", &g2, std::slice::from_ref(&p21), "1000").complete()).await;
    upload(&srv, qy, &Tk::new("GT-2", &g2, &[p21.clone(), p22.clone()], "1000").complete()).await;
    upload(&srv, qy, &Tk::new("GT-3", &g2, std::slice::from_ref(&p22), "1000")).await;
    upload(&srv, &g.qy_b, &Tk::new("GT-B", &g2, std::slice::from_ref(&p21), "1000")).await;
    upload(&srv, qy, &Tk::new("GT-G1", &g.id(1), &[g.plot("A1-01-1")], "1000")).await;

    let gt = grower_tickets(&srv, qy, &g2, SEASON).await;
    assert_eq!(gt["grower"]["name"], g.growers[2].name);
    assert_eq!(gt["grower"]["idNumberMasked"], masked(&g2), "the ID number is masked: {gt}");
    assert!(!gt.to_string().contains(&g2), "the full ID number appears nowhere: {gt}");
    let by_no = |gt: &Value, no: &str| -> Value {
        gt["tickets"].as_array().unwrap().iter().find(|t| t["ticketNo"] == no).cloned().unwrap_or(Value::Null)
    };
    assert_eq!(open_ticket_nos(&srv, qy, &g2, SEASON).await, ["GT-1", "GT-2", "GT-3"], "only this enterprise's, only G2's");
    let t1 = by_no(&gt, "GT-1");
    assert_eq!(plot_codes(&t1), ["A1-02-1"]);
    assert_eq!(t1["traceUnit"]["id"], g.unit_ok.as_str(), "GT-1 matches unit OK: {t1}");
    assert_eq!(t1["traceUnit"]["status"], "APPROVED");
    let t2 = by_no(&gt, "GT-2");
    assert_eq!(plot_codes(&t2), ["A1-02-1", "A1-02-2"]);
    assert!(t2["traceUnit"].is_null(), "plots split over two units match no single unit: {t2}");
    let t3 = by_no(&gt, "GT-3");
    assert_eq!(t3["traceUnit"]["id"], g.unit_ok2.as_str(), "{t3}");
    assert!(t3["tareKg"].is_null(), "an incomplete ticket is listed too: {t3}");

    // A carded ticket leaves the list.
    print(&srv, qy, &s(&gt1["id"]), &Pr::default()).await;
    assert_eq!(open_ticket_nos(&srv, qy, &g2, SEASON).await, ["GT-2", "GT-3"], "GT-1 has a card now");

    // Tickets of plots in a pending unit and in no unit.
    upload(&srv, qy, &Tk::new("GT-4", &g.id(4), &[g.plot("A1-04-1")], "1000")).await;
    let t4 = grower_tickets(&srv, qy, &g.id(4), SEASON).await["tickets"][0].clone();
    assert_eq!(t4["traceUnit"]["id"], g.unit_pending.as_str(), "{t4}");
    assert_eq!(t4["traceUnit"]["status"], "PENDING");
    upload(&srv, qy, &Tk::new("GT-6", &g.id(6), &[g.plot("A1-06-1")], "1000")).await;
    let t6 = grower_tickets(&srv, qy, &g.id(6), SEASON).await["tickets"][0].clone();
    assert_eq!(t6["ticketNo"], "GT-6");
    assert!(t6["traceUnit"].is_null(), "a plot in no unit: {t6}");

    // The other enterprise sees only its own; another season nothing; a grower
    // without tickets an empty list.
    assert_eq!(open_ticket_nos(&srv, &g.qy_b, &g2, SEASON).await, ["GT-B"]);
    assert!(open_ticket_nos(&srv, qy, &g2, OTHER_SEASON).await.is_empty());
    let none = grower_tickets(&srv, qy, &g.id(3), SEASON).await;
    assert_eq!(none["grower"]["name"], g.growers[3].name);
    assert_eq!(none["tickets"], json!([]));

    // Refusals.
    let q = grower_tickets_query();
    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        assert_eq!(srv.code(Some(token), &q, json!({ "i": g2, "s": SEASON })).await, "FORBIDDEN", "growerTickets by {who}");
    }
    assert_eq!(srv.code(Some(qy), &q, json!({ "i": id_number(999), "s": SEASON })).await, "NOT_FOUND", "unknown grower");
    assert_eq!(srv.code(Some(qy), &q, json!({ "i": bad_check(&g2), "s": SEASON })).await, "VALIDATION", "bad check character");
}

const EVENTS_SUB: &str = "subscription($e: ID) { events(topics: [TICKET_UPLOADED, CARD_PRINTED], enterpriseId: $e) { topic at enterpriseId regionId unitId cardNo ticketNo } }";

async fn events_ticket_uploaded_and_card_printed(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let mut sub = srv.subscribe(WsProto::TransportWs, qy, EVENTS_SUB, json!({ "e": g.t.enterprise_a })).await;

    // Another enterprise's upload is not delivered to this one.
    upload(&srv, &g.qy_b, &Tk::new("EV-B", &g.id(1), &[g.plot("A1-01-1")], "1000")).await;

    let ticket = upload(&srv, qy, &Tk::new("EV-1", &g.id(1), &[g.plot("A1-01-1")], "1000").complete()).await;
    let ev = sub.next_event().await;
    assert_eq!(ev["topic"], "TICKET_UPLOADED", "{ev}");
    assert_eq!(ev["ticketNo"], "EV-1", "the first event is this enterprise's upload: {ev}");
    assert_eq!(ev["enterpriseId"], g.t.enterprise_a.as_str());
    parse_time(&ev["at"]);

    let res = print(&srv, qy, &s(&ticket["id"]), &Pr::default()).await;
    let ev = sub.next_event().await;
    assert_eq!(ev["topic"], "CARD_PRINTED", "{ev}");
    assert_eq!(ev["cardNo"], res["card"]["cardNo"]);
    assert_eq!(ev["ticketNo"], "EV-1");
    assert_eq!(ev["enterpriseId"], g.t.enterprise_a.as_str());
    assert_eq!(ev["unitId"], g.unit_ok.as_str());
    assert_eq!(ev["regionId"], g.t.regiment_a.as_str());

    let extra = sub.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "nothing else was delivered: {extra:?}");
    sub.close().await;
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

async fn group_commit_jobs(srv: &TestServer) -> f64 {
    let text = srv.http.get(srv.url("/metrics")).send().await.expect("GET /metrics").text().await.unwrap();
    metric(&text, "cotton_group_commit_batch_size_sum")
}

/// Group commit (issue 19): concurrent uploads share transactions, yet each is
/// answered as if alone — new tickets created, identical resends answered with
/// the same ticket, a ticket whose rule fails refused without failing the
/// others, two different first uploads of one number: one wins, the other is a
/// resend changing the gross weight (CONFLICT) — and exactly one
/// TICKET_UPLOADED per ticket created.
async fn concurrent_uploads_are_group_committed(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a().to_string();
    let mut sub = srv.subscribe(WsProto::TransportWs, &qy, EVENTS_SUB, json!({ "e": g.t.enterprise_a })).await;
    let jobs_before = group_commit_jobs(&srv).await;

    let p1 = g.plot("A1-01-1");
    let g0 = Tk::new("GC-0", &g.id(1), std::slice::from_ref(&p1), "1000");
    let mut calls: Vec<(String, Tk)> = Vec::new();
    for i in 0..30 {
        calls.push((format!("new {i}"), if i == 0 { g0.clone() } else { Tk::new(&format!("GC-{i}"), &g.id(1), std::slice::from_ref(&p1), "1000") }));
    }
    for i in 0..5 {
        calls.push((format!("resend {i}"), g0.clone()));
    }
    for i in 0..3 {
        // G2's plot on G1's ticket: refused by its own rule.
        calls.push((format!("bad {i}"), Tk::new(&format!("GC-BAD-{i}"), &g.id(1), &[g.plot("A1-02-1")], "1000")));
    }
    let x = Tk::new("GC-X", &g.id(1), std::slice::from_ref(&p1), "1000");
    calls.push(("x 1000".into(), x.clone()));
    calls.push(("x 2000".into(), x.gross("2000")));

    let answers = futures_util::future::join_all(calls.iter().map(|(_, tk)| upload_raw(&srv, &qy, tk))).await;
    let mut ids = std::collections::BTreeMap::new();
    let mut x_ok = 0;
    let mut x_conflict = 0;
    for ((what, _), resp) in calls.iter().zip(&answers) {
        let t = &resp["data"]["uploadTicket"];
        if what.starts_with("new") || what.starts_with("resend") {
            assert!(t.is_object(), "{what}: {resp}");
            ids.entry(s(&t["ticketNo"])).or_insert_with(Vec::new).push(s(&t["id"]));
        } else if what.starts_with("bad") {
            assert_eq!(err_code(resp), "VALIDATION", "{what}: {resp}");
        } else if t.is_object() {
            x_ok += 1;
        } else {
            assert_eq!(err_code(resp), "CONFLICT", "{what}: {resp}");
            x_conflict += 1;
        }
    }
    assert_eq!((x_ok, x_conflict), (1, 1), "one first upload of GC-X wins, the other is a changing resend");
    assert_eq!(ids.len(), 30, "30 tickets: {ids:?}");
    let gc0 = &ids["GC-0"];
    assert_eq!(gc0.len(), 6, "GC-0 and its five resends");
    assert!(gc0.iter().all(|id| id == &gc0[0]), "the resends answer the same ticket: {gc0:?}");
    let open = open_ticket_nos(&srv, &qy, &g.id(1), SEASON).await;
    assert_eq!(open.len(), 31, "30 + GC-X, none of the refused: {open:?}");
    assert!(open.iter().all(|n| !n.starts_with("GC-BAD")), "{open:?}");

    let mut announced = std::collections::BTreeMap::new();
    for _ in 0..31 {
        let ev = sub.next_event().await;
        assert_eq!(ev["topic"], "TICKET_UPLOADED", "{ev}");
        *announced.entry(s(&ev["ticketNo"])).or_insert(0) += 1;
    }
    assert_eq!(announced.len(), 31, "one event per ticket created: {announced:?}");
    assert!(announced.values().all(|n| *n == 1), "{announced:?}");
    let extra = sub.any_event_within(Duration::from_secs(2)).await;
    assert!(extra.is_none(), "no event for a resend or a refusal: {extra:?}");
    sub.close().await;

    // Every upload that got past its checks went through the group commit once
    // (30 new, 5 resends, 2 of GC-X); how many shared a batch depends on timing.
    assert_eq!(group_commit_jobs(&srv).await - jobs_before, 37.0);
}

const TICKETS_Q: &str = "query($s: Int!, $st: TicketStatus, $q: String, $f: Int, $a: String) { tickets(season: $s, status: $st, search: $q, first: $f, after: $a) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { ticketNo late grower { name idNumberMasked } card { cardNo } } } } }";

async fn ticket_nos(srv: &TestServer, token: &str, vars: Value) -> (i64, Vec<String>) {
    let resp = srv.ok(Some(token), TICKETS_Q, vars).await;
    let c = &resp["tickets"];
    let nos = c["edges"].as_array().expect("edges").iter().map(|e| s(&e["node"]["ticketNo"])).collect();
    (c["totalCount"].as_i64().expect("totalCount"), nos)
}

/// `Query.tickets` (issue 21): an enterprise's own tickets of a season for the
/// print screen, newest first, by status (UNCARDED / CARDED / LATE) and by part
/// of the ticket number or the grower's name, paged; nobody else's, and only
/// for the enterprise.
async fn enterprise_tickets_by_status_and_search(backend: Backend) {
    let (srv, g) = start(backend).await;
    let qy = g.qy_a();
    let carded = upload(&srv, qy, &Tk::new("TL-1", &g.id(1), &[g.plot("A1-01-1")], "1000").complete()).await;
    print(&srv, qy, &s(&carded["id"]), &Pr::default()).await;
    upload(&srv, qy, &Tk::new("TL-2", &g.id(2), &[g.plot("A1-02-1")], "1000")).await;
    upload(&srv, qy, &Tk::new("TL-3", &g.id(1), &[g.plot("A1-01-2")], "1000").at(&minutes_ago(120))).await;
    // Another enterprise's ticket never shows.
    upload(&srv, &g.qy_b, &Tk::new("TL-B", &g.id(1), &[g.plot("A1-01-1")], "1000")).await;

    let all = srv.ok(Some(qy), TICKETS_Q, json!({ "s": SEASON })).await;
    let c = &all["tickets"];
    assert_eq!(c["totalCount"], 3, "{c}");
    let nos: Vec<String> = c["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["ticketNo"])).collect();
    assert_eq!(nos, ["TL-3", "TL-2", "TL-1"], "newest first, only enterprise A's");
    for e in c["edges"].as_array().unwrap() {
        let masked = s(&e["node"]["grower"]["idNumberMasked"]);
        assert!(masked.contains('*'), "ID numbers masked for the enterprise: {e}");
    }
    assert_eq!(c["edges"][2]["node"]["card"]["cardNo"].is_string(), true, "TL-1 has its card: {c}");

    for (status, want) in [("UNCARDED", "TL-2"), ("CARDED", "TL-1"), ("LATE", "TL-3")] {
        assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "st": status })).await, (1, vec![want.to_string()]), "status {status}");
    }
    // Search: part of the number, part of a grower's name, with a status.
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "q": "L-2" })).await, (1, vec!["TL-2".to_string()]));
    let g1_name = g.growers[1].name.clone();
    let part: String = g1_name.chars().skip(1).collect();
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "q": part })).await, (2, vec!["TL-3".to_string(), "TL-1".to_string()]), "G1's by name");
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "q": g1_name, "st": "UNCARDED" })).await, (0, vec![]), "G1 has no uncarded on-time ticket");
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "q": "%" })).await.0, 3, "LIKE wildcards match nothing special");
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON, "q": "无此人" })).await, (0, vec![]));
    assert_eq!(ticket_nos(&srv, qy, json!({ "s": SEASON - 1 })).await, (0, vec![]), "another season");

    // Pages.
    let p1 = srv.ok(Some(qy), TICKETS_Q, json!({ "s": SEASON, "f": 2 })).await;
    assert_eq!(p1["tickets"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(p1["tickets"]["pageInfo"]["hasNextPage"], true);
    let after = p1["tickets"]["pageInfo"]["endCursor"].clone();
    let p2 = srv.ok(Some(qy), TICKETS_Q, json!({ "s": SEASON, "f": 2, "a": after })).await;
    let rest: Vec<String> = p2["tickets"]["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["ticketNo"])).collect();
    assert_eq!(rest, ["TL-1"]);
    assert_eq!(p2["tickets"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(p2["tickets"]["pageInfo"]["hasPreviousPage"], true);

    // Bounded search; only the enterprise asks.
    let long = "长".repeat(33);
    assert_eq!(srv.code(Some(qy), TICKETS_Q, json!({ "s": SEASON, "q": long })).await, "VALIDATION");
    for (who, token) in [("admin", &g.t.admin), ("regiment", &g.t.tuan_a), ("company", &g.t.lian_a1)] {
        assert_eq!(srv.code(Some(token), TICKETS_Q, json!({ "s": SEASON })).await, "FORBIDDEN", "tickets by {who}");
    }
    assert_eq!(srv.code(None, TICKETS_Q, json!({ "s": SEASON })).await, "UNAUTHENTICATED");
    let b = srv.ok(Some(&g.qy_b), TICKETS_Q, json!({ "s": SEASON })).await;
    assert_eq!(b["tickets"]["totalCount"], 1, "enterprise B sees its own only: {b}");
}
