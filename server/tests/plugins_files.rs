//! The collector plugins, loaded from their built shared libraries, carry a
//! line's cards to a (simulated) device and its processing records back:
//! export → device → upload round-trips for IV and V (signed files) and VI
//! (online messages). A tampered export file and a forged or altered upload
//! file are refused with `BAD_FILE`.

#[path = "../../plugins/conformance/src/build.rs"]
#[allow(dead_code)]
mod build;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cotton_domain::card_no::format_card_no;
use cotton_domain::processing::*;
use cotton_domain::season::SeasonRules;
use cotton_domain::weights::{conditioned_weight, processable_bales};
use cotton_plugin_host::signing::{self, FilePurpose, SigningKey};
use cotton_plugin_host::{Collector, HostError, PluginRegistry};
use cotton_service::error::{AppError, ErrorCode};
use rust_decimal::Decimal;

fn registry() -> PluginRegistry {
    let dir = tempfile::tempdir().unwrap().keep();
    for p in build::project_plugins() {
        std::fs::copy(p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let reg = PluginRegistry::load_dir(&dir);
    assert!(reg.refused().is_empty(), "{:?}", reg.refused());
    reg
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 3, 2, 0, 0).unwrap()
}

fn export(model: CollectorModel, n: u64) -> CardExport {
    let rules = SeasonRules::defaults(2026);
    let names = ["张三", "李四", "王五", "欧阳娜娜", "买买提·艾力", "赵六"];
    CardExport {
        line_id: "L7".into(),
        model,
        enterprise_code: "65001".into(),
        issued_at: t0(),
        cards: (1..=n)
            .map(|i| {
                let target = Decimal::new(150_000 + 3_700 * i as i64, 2);
                ExportedCard {
                    card_no: format_card_no(2026, 500 + i),
                    ticket_no: format!("BD{i:04}"),
                    grower_name: names[i as usize % names.len()].into(),
                    unit_id: format!("U{}", i % 3 + 1),
                    unit_name: format!("一四二团{}连合作社组团", i % 3 + 1),
                    target_lint_kg: target,
                    processable_bales: processable_bales(target, rules.nominal_bale_kg),
                    module_type: ModuleType::ALL[i as usize % 3],
                    module_count: if i % 3 == 2 { 0 } else { 6 },
                }
            })
            .collect(),
        verifier: None,
        standards: vec![],
    }
}

/// A device on the line (rules §8): scans the cards in batches of its model's
/// maximum, enters a delay for the first card (the line starts untraced),
/// presses bales into the head card until it reaches its target, ends the last
/// card by hand and re-processes the first one with the verification account.
fn run_device(cards: &CardExport, model: CollectorModel) -> RecordUpload {
    let rules = SeasonRules::defaults(2026);
    let mut records = Vec::new();
    let mut seq = 100u64;
    let mut at = cards.issued_at + Duration::minutes(30);
    let mut push = |event: ProcessingEvent, records: &mut Vec<ProcessingRecord>| {
        seq += 1;
        at += Duration::seconds(97);
        records.push(ProcessingRecord { seq, at, event });
    };
    for chunk in cards.cards.chunks(model.max_cards_per_scan()) {
        push(ProcessingEvent::Scan { card_nos: chunk.iter().map(|c| c.card_no.clone()).collect() }, &mut records);
    }
    let first = &cards.cards[0].card_no;
    push(ProcessingEvent::DelayEntered { card_no: first.clone(), count: 2 }, &mut records);
    let mut bale = 0u32;
    let mut press = |card: Option<&str>, records: &mut Vec<ProcessingRecord>, push: &mut dyn FnMut(ProcessingEvent, &mut Vec<ProcessingRecord>)| {
        bale += 1;
        let net = Decimal::new(22_600 + i64::from(bale % 7) * 25, 2);
        let moisture = (bale % 4 != 0).then(|| Decimal::new(720 + i64::from(bale % 9) * 11, 2));
        push(
            ProcessingEvent::BalePressed {
                barcode: format!("6500120260{bale:07}"),
                net_kg: net,
                moisture_pct: moisture,
                card_no: card.map(str::to_string),
            },
            records,
        );
        conditioned_weight(net, None, moisture.unwrap_or(rules.standard_moisture_pct), rules.standard_trash_pct, rules.standard_moisture_pct)
    };
    press(None, &mut records, &mut push);
    press(None, &mut records, &mut push);
    let last = cards.cards.len() - 1;
    for (i, card) in cards.cards.iter().enumerate() {
        let mut processed = Decimal::ZERO;
        loop {
            processed += press(Some(&card.card_no), &mut records, &mut push);
            if i == last {
                push(ProcessingEvent::CardEnded { card_no: card.card_no.clone() }, &mut records);
                break;
            }
            if processed >= card.target_lint_kg {
                push(ProcessingEvent::CardFinished { card_no: card.card_no.clone() }, &mut records);
                break;
            }
        }
    }
    push(ProcessingEvent::Reprocess { card_no: first.clone(), verifier: "qts65001".into() }, &mut records);
    RecordUpload { line_id: cards.line_id.clone(), model, device_id: "SN-7".into(), written_at: at + Duration::minutes(5), records }
}

fn bad_file(r: Result<impl std::fmt::Debug, HostError>, what: &str) -> String {
    let e = AppError::from(r.expect_err(what));
    assert_eq!(e.code(), ErrorCode::BadFile, "{what}: {e:?}");
    e.message()
}

fn file_collector_round_trip(c: &Collector, model: CollectorModel) {
    let platform = signing::generate_key();
    let line = signing::generate_key();
    let cards = export(model, 23);

    // Platform: the signed export file.
    let file = c.export_file(&cards, &platform).unwrap();
    assert!(file.file_name.starts_with("cards-L7-20261003100000."), "{}", file.file_name);
    // Device: verifies with the platform's public key and reads the cards.
    let on_device = c.read_export_file("L7", &file.bytes, &platform.verifying_key()).unwrap();
    assert_eq!(on_device, cards);
    // Device: processes them and writes the signed upload file.
    let upload = run_device(&on_device, model);
    assert!(upload.records.len() > 200);
    let ufile = c.upload_file(&upload, &line).unwrap();
    // Platform: verifies with the line's public key and reads the records.
    let back = c.read_upload_file("L7", &ufile.bytes, &line.verifying_key()).unwrap();
    assert_eq!(back, upload);
    let traced = back
        .records
        .iter()
        .filter(|r| matches!(&r.event, ProcessingEvent::BalePressed { card_no: Some(_), .. }))
        .count();
    assert!(traced >= 23 * 6, "{traced} traced bales");

    // A tampered export file: one changed target weight.
    let text = file.bytes.clone();
    let needle = format!("{}", cards.cards[0].target_lint_kg);
    let pos = text.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("target in file");
    let mut tampered = text.clone();
    tampered[pos] = if tampered[pos] == b'9' { b'8' } else { b'9' };
    let msg = bad_file(c.read_export_file("L7", &tampered, &platform.verifying_key()), "tampered export");
    assert_eq!(msg, "导出文件签名校验失败：文件已被修改或伪造");
    // An export file with its signature stripped, and one for another line.
    let body_end = text[..text.len() - 2].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    bad_file(c.read_export_file("L7", &text[..body_end], &platform.verifying_key()), "unsigned export");
    bad_file(c.read_export_file("L8", &text, &platform.verifying_key()), "export for another line");

    // A forged upload file: well-formed, for the right line, but signed with a key
    // that is not the line's.
    let mut forged_upload = upload.clone();
    forged_upload.records.truncate(10);
    let forged = c.upload_file(&forged_upload, &SigningKey::from_bytes(&[42; 32])).unwrap();
    bad_file(c.read_upload_file("L7", &forged.bytes, &line.verifying_key()), "upload signed by another key");
    // An altered upload file: a bale's weight raised after signing.
    let weight = match &upload.records.iter().find(|r| matches!(r.event, ProcessingEvent::BalePressed { .. })).unwrap().event {
        ProcessingEvent::BalePressed { net_kg, .. } => format!("{net_kg:.2}"),
        _ => unreachable!(),
    };
    let pos = ufile.bytes.windows(weight.len()).position(|w| w == weight.as_bytes()).expect("weight in file");
    let mut altered = ufile.bytes.clone();
    altered[pos] = b'9';
    let msg = bad_file(c.read_upload_file("L7", &altered, &line.verifying_key()), "altered upload");
    assert_eq!(msg, "上传文件签名校验失败：文件已被修改或伪造");
    // An export file passed off as an upload, even with the right key material.
    let as_upload = c.export_file(&cards, &line).unwrap();
    bad_file(c.read_upload_file("L7", &as_upload.bytes, &line.verifying_key()), "export passed off as upload");
    // Garbage signed with the right key: the signature holds, the plugin refuses it.
    let garbage = signing::sign_file(FilePurpose::Upload, "L7", &line, "这不是采集器文件\r\n".as_bytes()).unwrap();
    let msg = bad_file(c.read_upload_file("L7", &garbage, &line.verifying_key()), "signed garbage");
    assert!(msg.starts_with("文件内容无法读取"), "{msg}");
}

#[test]
fn collector_iv_round_trips_and_refuses_bad_files() {
    let reg = registry();
    file_collector_round_trip(&reg.require_collector(CollectorModel::Iv).unwrap(), CollectorModel::Iv);
}

#[test]
fn collector_v_round_trips_and_refuses_bad_files() {
    let reg = registry();
    file_collector_round_trip(&reg.require_collector(CollectorModel::V).unwrap(), CollectorModel::V);
}

#[test]
fn collector_vi_round_trips_online_messages() {
    let reg = registry();
    let c = reg.require_collector(CollectorModel::Vi).unwrap();
    let cards = export(CollectorModel::Vi, 45);
    let message = c.encode_cards(&cards).unwrap();
    let on_device = c.decode_cards(&message).unwrap();
    assert_eq!(on_device, cards);
    let upload = run_device(&on_device, CollectorModel::Vi);
    assert!(upload.records.iter().any(|r| matches!(&r.event, ProcessingEvent::Scan { card_nos } if card_nos.len() == 20)));
    let back = c.decode_records(&c.encode_records(&upload).unwrap()).unwrap();
    assert_eq!(back, upload);
    // VI is online: no export files.
    let e = AppError::from(c.export_file(&cards, &signing::generate_key()).unwrap_err());
    assert_eq!(e.code(), ErrorCode::Validation);
    // A device message that breaks a rule is a bad payload.
    let bad = "{\"msg\":\"HELLO\",\"line\":\"L7\",\"device\":\"D\",\"ts\":0,\"n\":1}\n{\"msg\":\"BALE\",\"sn\":1,\"ts\":0,\"code\":\"B1\",\"net\":\"-3\"}\n";
    bad_file(c.decode_records(bad.as_bytes()), "negative bale weight");
}
