//! Sample data: what the host feeds a plugin at load time to check it, and what
//! the conformance kit starts from. Chinese names, every record kind, whole
//! seconds (file formats keep seconds).

use chrono::{DateTime, TimeZone, Utc};
use cotton_domain::card_no::format_card_no;
use cotton_plugin_abi::wire::*;
use rust_decimal::Decimal;

/// 2026-10-02 08:00:00 UTC plus `secs`.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).single().expect("valid time") + chrono::Duration::seconds(secs)
}

fn kg(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Card `i` (1-based) of the samples.
pub fn card(i: u64) -> ExportedCard {
    let module_type = ModuleType::ALL[(i % 3) as usize];
    ExportedCard {
        card_no: format_card_no(2026, i),
        ticket_no: format!("BD2026{i:06}"),
        grower_name: ["张三", "李四", "王五", "欧阳娜娜", "买买提·艾力"][(i % 5) as usize].to_string(),
        unit_id: format!("U{}", 100 + i % 7),
        unit_name: format!("一四二团一连自由组团{}号", i % 7 + 1),
        target_lint_kg: kg(390_756 + (i as i64) * 1_013),
        processable_bales: 18,
        module_type,
        module_count: if module_type == ModuleType::Loose { 0 } else { (i % 20) as u32 + 1 },
    }
}

/// An export of `n` cards for line `L1`.
pub fn export(model: CollectorModel, n: u64) -> CardExport {
    CardExport {
        line_id: "L1".into(),
        model,
        enterprise_code: "65001".into(),
        issued_at: at(0),
        cards: (1..=n).map(card).collect(),
        verifier: None,
        standards: vec![],
    }
}

/// An upload with every record kind, a scan of the model's maximum number of
/// cards, a traced and an untraced bale, with and without moisture.
pub fn upload(model: CollectorModel) -> RecordUpload {
    let c = |i| format_card_no(2026, i);
    let max = model.max_cards_per_scan() as u64;
    let ev = vec![
        ProcessingEvent::Scan { card_nos: (1..=max).map(c).collect() },
        ProcessingEvent::DelayEntered { card_no: c(1), count: 2 },
        ProcessingEvent::BalePressed { barcode: "65001202600000001".into(), net_kg: kg(22_750), moisture_pct: Some(kg(780)), card_no: None },
        ProcessingEvent::BalePressed { barcode: "65001202600000002".into(), net_kg: kg(22_600), moisture_pct: None, card_no: None },
        ProcessingEvent::BalePressed { barcode: "65001202600000003".into(), net_kg: kg(22_812), moisture_pct: Some(kg(815)), card_no: Some(c(1)) },
        ProcessingEvent::CardFinished { card_no: c(1) },
        ProcessingEvent::BalePressed { barcode: "65001202600000004".into(), net_kg: kg(100_000), moisture_pct: Some(kg(0)), card_no: Some(c(2)) },
        ProcessingEvent::CardEnded { card_no: c(2) },
        ProcessingEvent::Scan { card_nos: vec![c(1)] },
        ProcessingEvent::Reprocess { card_no: c(1), verifier: "qts65001".into() },
    ];
    RecordUpload {
        line_id: "L1".into(),
        model,
        device_id: "SN-2026-0001".into(),
        written_at: at(3600),
        records: ev
            .into_iter()
            .enumerate()
            .map(|(i, event)| ProcessingRecord { seq: 1000 + i as u64, at: at(60 * (i as i64 + 1)), event })
            .collect(),
    }
}

/// The time stamp of the sample print job: 2026-10-02 08:00:00.123456789 UTC.
/// The server stamps a job with its clock (`Utc::now()`), which carries
/// nanoseconds, so the sample does too: a driver that only reads whole seconds
/// fails here, not on the first real print.
pub fn printed_at() -> DateTime<Utc> {
    at(0) + chrono::Duration::nanoseconds(123_456_789)
}

/// A print job with a Chinese grower and unit, exactly as the server sends it:
/// built with [`PrintJob::new`], the server's own constructor, from the values
/// a ticket is stored with (the client's decimals: `12500`, `2350.5`, `38.5`),
/// so the JSON has 2-decimal weights, a nanosecond time and the ready label
/// lines. `tests/api/print_job_shape.rs` prints through the server and
/// compares.
pub fn print_job() -> PrintJob {
    let raw = |s: &str| s.parse::<Decimal>().expect("decimal");
    PrintJob::new(
        PrintCard {
            card_no: format_card_no(2026, 12345),
            season: 2026,
            ticket_no: "BD2026000123".into(),
            grower_name: "张三丰".into(),
            unit_name: "一四二团一连自由组团1号".into(),
            gross_kg: raw("12500"),
            tare_kg: raw("2350.5"),
            net_kg: Decimal::ZERO, // set by PrintJob::new
            lint_yield_pct: Some(raw("38.5")),
            // As the server computes it when it prints the card.
            target_lint_kg: cotton_domain::weights::lint_target_kg(raw("10149.5"), raw("38.5")),
            processable_bales: 18,
            module_type: ModuleType::RoundModule,
            module_count: 12,
        },
        "石河子市天源棉业有限公司".into(),
        1,
        false,
        printed_at(),
    )
}
