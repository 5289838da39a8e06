//! A scripted shift through the real `cotton-collector` binary and the real IV
//! and V plugin libraries: the manual's prompts verbatim, delay, bales,
//! automatic finish, manual end, reprocess with a wrong and the right
//! verification account, refused files, and the signed upload file.

mod common;

use std::collections::BTreeMap;

use common::*;
use cotton_domain::line::{
    Applied, CardBook, CardProgress, Conditioning, LineState, PROMPT_FINISHED, PROMPT_IN_PROGRESS, PROMPT_NEED_DELAY,
    PROMPT_NOT_FOUND,
};
use cotton_domain::processing::{CollectorModel, ProcessingEvent};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

const LINE: &str = "L3";
/// Card serials and targets (kg).
const CARDS: &[(u64, i64)] = &[(1, 500), (2, 300), (3, 1000), (4, 400)];

fn s(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| l.replace("@1", &card_no(1)).replace("@2", &card_no(2)).replace("@3", &card_no(3)).replace("@9", &card_no(9))).collect()
}

/// The shift: every rule of rules §8 once.
fn shift() -> Vec<String> {
    s(&[
        "# 早班",
        "@1",                              // tracing is off at the start → delay prompt
        "delay @1 1",                      // @1 queued with one delay bale
        "bale B0001 227",                  // delay bale, not traced
        "bale B0002 227",                  // → @1 (227)
        "@1, @2 @9",                       // in progress · queued · unknown
        "bale B0003 227",                  // → @1 (454)
        "bale B0004 227",                  // → @1 (681 ≥ 500): finishes, @2 takes over
        "@1",                              // finished
        "bale B0005 227.50 9.0",           // → @2, conditioned 227.5 × 108.5 / 109
        "end @2",                          // @2 ended by hand
        "end @2",                          // a second time: refused (@2 is no longer processed)
        "bale B0006 227",                  // no card: not traced, tracing off
        "@3",                              // delay prompt again
        "delay @3 0",                      // no delay
        "bale B0007 227",                  // → @3
        "reprocess @2 jy65001 wrong",      // refused
        "reprocess @2 nobody Jiaoyan.2026", // refused
        "reprocess @1 jy65001 Jiaoyan.2026",// @1 finished by itself: refused offline, never again
        "reprocess @2 jy65001 Jiaoyan.2026",// @2 (ended by hand) joins the queue end
        "status",
        "end @3",
        "bale B0008 227",                  // → @2 again (453.46 ≥ 300): finishes by itself
        "bale B0008 227",                  // the same barcode: refused, not doubled
        "TC2600000000012",                 // wrong check digit: refused
        "quit",
        "bale B9999 227",                  // after quit: never read
    ])
}

fn setup(model: CollectorModel) -> (tempfile::TempDir, std::path::PathBuf, Keys) {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let file = export_file(dir.path(), &export(model, LINE, CARDS), &keys);
    let db = dir.path().join("collector.db");
    let o = import(&db, &file, LINE, &keys);
    assert!(o.status.success(), "import failed: {}", stderr(&o));
    assert!(stdout(&o).contains("新增 4 张"), "{}", stdout(&o));
    (dir, db, keys)
}

fn check_shift(model: CollectorModel) {
    let (dir, db, keys) = setup(model);
    let out = run_script(&db, &shift());

    // The four prompts of the manual, verbatim, each for its card.
    assert!(out.contains(&format!("提示：{} {PROMPT_NEED_DELAY}", card_no(1))), "{out}");
    assert!(out.contains(&format!("提示：{} {PROMPT_NEED_DELAY}", card_no(3))), "{out}");
    assert!(out.contains(&format!("提示：{} {PROMPT_IN_PROGRESS}", card_no(1))), "{out}");
    assert!(out.contains(&format!("提示：{} {PROMPT_NOT_FOUND}", card_no(9))), "{out}");
    assert!(out.contains(&format!("提示：{} {PROMPT_FINISHED}", card_no(1))), "{out}");
    assert!(out.contains("请企业输入当前加工需要延迟的包数"));
    assert!(out.contains(&format!("结果：{} 已加入加工队列", card_no(2))), "{out}");
    assert!(out.contains(&format!("结果：追溯卡{}已达到折皮棉公定重量，加工完成", card_no(1))), "{out}");
    assert!(out.contains("错误：校验账号或密码错误，不能再加工"), "{out}");
    assert!(out.contains(&format!("结果：追溯卡{}经校验账号确认，已加入加工队列末尾", card_no(2))), "{out}");
    assert!(
        out.contains(&format!("错误：{}", cotton_domain::line::auto_finished_refusal(&card_no(1)))),
        "a card that finished by itself is refused offline, even with the right verification account: {out}"
    );
    assert!(out.contains("错误：棉包条码B0008已经记录过"), "{out}");
    assert!(out.contains("不是有效的卡号"), "{out}");
    assert!(!out.contains("B9999"), "nothing after quit is read");
    // The password is never echoed.
    assert!(!out.contains("Jiaoyan.2026"), "{out}");
    // The screen: the head card's progress and the queue.
    assert!(out.contains(&format!("当前加工：{}  李四", card_no(1))), "{out}");
    assert!(out.contains("已加工 454.00 / 目标 500.00 千克"), "{out}");
    assert!(out.contains("待延迟 1 包"), "{out}");
    // One screen per command (24 commands read before quit), plus the first.
    assert_eq!(out.matches(READY).count(), 1 + 24, "{out}");

    let st = status(&db);
    let c1 = card(&st, &card_no(1));
    assert_eq!(kg(&c1["processedKg"]), dec!(681));
    assert_eq!((&c1["finished"], &c1["finishedBy"]), (&json!(true), &json!("AUTO")), "finished by itself, never re-processed");
    assert_eq!(c1["bales"], 3);
    let c2 = card(&st, &card_no(2));
    assert_eq!((&c2["finished"], &c2["finishedBy"]), (&json!(true), &json!("AUTO")), "ended by hand, re-processed, then at its target");
    // 227.50 × (100 − 2.5)(100 + 8.5) / ((100 − 2.5)(100 + 9.0)) = 226.456… → 226.46, then 227
    assert_eq!(kg(&c2["processedKg"]), dec!(453.46));
    assert_eq!(c2["bales"], 2);
    assert_eq!(card(&st, &card_no(3))["finishedBy"], "MANUAL");
    assert_eq!(card(&st, &card_no(3))["finished"], true);
    assert_eq!(kg(&card(&st, &card_no(3))["processedKg"]), dec!(227));
    assert_eq!(kg(&card(&st, &card_no(4))["processedKg"]), dec!(0));
    assert!(queue(&st).is_empty());
    assert_eq!(st["tracing"], true);
    assert_eq!(st["verifier"], VERIFIER);
    let (c1, c2, c3) = (json!(card_no(1)), json!(card_no(2)), json!(card_no(3)));
    assert_eq!(
        links(&st),
        vec![
            ("B0001".into(), json!(null), true),
            ("B0002".into(), c1.clone(), false),
            ("B0003".into(), c1.clone(), false),
            ("B0004".into(), c1, false),
            ("B0005".into(), c2.clone(), false),
            ("B0006".into(), json!(null), false),
            ("B0007".into(), c3, false),
            ("B0008".into(), c2, false),
        ]
    );

    // The signed upload file: every record once, in strictly increasing order,
    // readable by the plugin with the line's key.
    let out_file = dir.path().join("upload.dat");
    let o = collector(&db, &["export-upload", "--out", out_file.to_str().unwrap(), "--device-key", &keys.line_private()]);
    assert!(o.status.success(), "export-upload failed: {}", stderr(&o));
    let bytes = std::fs::read(&out_file).unwrap();
    let upload = read_upload(model, LINE, &bytes, &keys);
    assert_eq!(upload.model, model);
    assert_eq!(upload.line_id, LINE);
    assert_eq!(upload.records.len() as u64, st["records"].as_u64().unwrap());
    assert!(upload.records.windows(2).all(|w| w[0].seq < w[1].seq), "seqs strictly increase");
    assert_eq!(upload.records.last().unwrap().seq, st["lastSeq"].as_u64().unwrap());
    let kinds: Vec<&str> = upload.records.iter().map(|r| r.event.type_name()).collect();
    assert_eq!(
        kinds,
        vec![
            "SCAN", "DELAY_ENTERED", "BALE_PRESSED", "BALE_PRESSED", "SCAN", "BALE_PRESSED", "BALE_PRESSED", "CARD_FINISHED",
            "SCAN", "BALE_PRESSED", "CARD_ENDED", "BALE_PRESSED", "SCAN", "DELAY_ENTERED", "BALE_PRESSED", "REPROCESS",
            "CARD_ENDED", "BALE_PRESSED", "CARD_FINISHED",
        ]
    );
    // The unknown card was not recorded: the platform never acts on a card the device did not see.
    assert!(upload.records.iter().all(|r| !matches!(&r.event, ProcessingEvent::Scan { card_nos } if card_nos.contains(&card_no(9)))));
    assert!(upload.records.iter().any(|r| r.event == ProcessingEvent::Reprocess { card_no: card_no(2), verifier: VERIFIER.into() }));
    // The bytes hold no password, only the account name.
    assert!(!String::from_utf8_lossy(&bytes).contains("Jiaoyan.2026"));

    // Replaying the records as the platform does gives the same links.
    let cond = Conditioning { standard_moisture_pct: dec!(8.5), standard_trash_pct: dec!(2.5) };
    let mut book: CardBook = CARDS
        .iter()
        .map(|&(i, kg)| (card_no(i), CardProgress::open(Decimal::from(kg), Decimal::ZERO)))
        .collect();
    let mut line = LineState::default();
    let mut replayed = Vec::new();
    for r in &upload.records {
        if let Applied::Bale(o) = line.apply(&mut book, &r.event, &cond, 10).unwrap() {
            let ProcessingEvent::BalePressed { barcode, card_no, .. } = &r.event else { unreachable!() };
            assert_eq!(&o.card_no, card_no, "the device recorded the platform's decision");
            replayed.push((barcode.clone(), json!(o.card_no), o.delay));
        }
    }
    assert_eq!(replayed, links(&st));
    let processed: BTreeMap<String, Decimal> = book.iter().map(|(k, v)| (k.clone(), v.processed_kg)).collect();
    for (no, p) in &processed {
        assert_eq!(*p, kg(&card(&st, no)["processedKg"]), "{no}");
    }

    // A second export-upload writes the same records again (the platform skips them by seq).
    let o = collector(&db, &["export-upload", "--out", out_file.to_str().unwrap(), "--device-key", &keys.line_private()]);
    assert!(o.status.success());
    let again = read_upload(model, LINE, &std::fs::read(&out_file).unwrap(), &keys);
    assert_eq!(again.records, upload.records);
}

#[test]
fn scripted_shift_on_an_iv_line() {
    check_shift(CollectorModel::Iv);
}

#[test]
fn scripted_shift_on_a_v_line() {
    check_shift(CollectorModel::V);
}

#[test]
fn tampered_foreign_and_wrong_line_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let e = export(CollectorModel::Iv, LINE, CARDS);
    let file = export_file(dir.path(), &e, &keys);
    let good = std::fs::read(&file).unwrap();
    let db = dir.path().join("collector.db");

    // One byte of the body changed (a target weight 500 → 900).
    let mut bad = good.clone();
    let at = bad.windows(6).position(|w| w == b"500.00").expect("the target in the body");
    bad[at] = b'9';
    let tampered = dir.path().join("tampered.txt");
    std::fs::write(&tampered, &bad).unwrap();
    let o = import(&db, &tampered, LINE, &keys);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("文件被拒绝，未导入"), "{}", stderr(&o));

    // Signed by another key (not the platform).
    let forged = export_file(&dir.path().join("forged").tap_mkdir(), &e, &Keys::new());
    let o = import(&db, &forged, LINE, &keys);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("文件被拒绝"), "{}", stderr(&o));

    // For another line.
    let o = import(&db, &file, "L4", &keys);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("文件被拒绝"), "{}", stderr(&o));

    // Nothing was imported.
    let o = collector(&db, &["status"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("尚未导入追溯数据"), "{}", stderr(&o));
    let o = collector(&db, &["run"]);
    assert!(!o.status.success());

    // The genuine file imports; importing it again adds nothing and keeps progress.
    assert!(import(&db, &file, LINE, &keys).status.success());
    run_script(&db, &s(&["delay @1 0", "bale B1 227"]));
    let o = import(&db, &file, LINE, &keys);
    assert!(o.status.success());
    assert!(stdout(&o).contains("新增 0 张"), "{}", stdout(&o));
    let st = status(&db);
    assert_eq!(kg(&card(&st, &card_no(1))["processedKg"]), dec!(227));
    assert_eq!(queue(&st), vec![card_no(1)]);
    // A later import may leave out the platform key (kept from the first), and
    // a newer export with a new card adds it.
    let mut newer = e.clone();
    newer.cards.push(export(CollectorModel::Iv, LINE, &[(5, 700)]).cards.remove(0));
    let newer_file = export_file(&dir.path().join("newer").tap_mkdir(), &newer, &keys);
    let o = collector(&db, &["import", "--file", newer_file.to_str().unwrap(), "--line-ref", LINE]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("新增 1 张"), "{}", stdout(&o));
    // A V file is not for this IV device.
    let v_file = export_file(&dir.path().join("v").tap_mkdir(), &export(CollectorModel::V, LINE, CARDS), &keys);
    let o = import(&db, &v_file, LINE, &keys);
    assert!(!o.status.success(), "{}", stdout(&o));
}

#[test]
fn no_verification_account_means_no_reprocess_and_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new();
    let mut e = export(CollectorModel::V, LINE, CARDS);
    e.verifier = None;
    let file = export_file(dir.path(), &e, &keys);
    let db = dir.path().join("collector.db");
    assert!(import(&db, &file, LINE, &keys).status.success());
    let eleven = (1..=11).map(|_| card_no(1)).collect::<Vec<_>>().join(" ");
    let out = run_script(&db, &s(&["delay @1 0", "bale B1 600", "reprocess @1 jy65001 Jiaoyan.2026", &eleven, "delay @2 1001", "bale B2 1000.01"]));
    assert!(out.contains("本企业尚未设置校验账号"), "{out}");
    assert!(out.contains("一次最多录入10个追溯卡号，本次为11个"), "{out}");
    assert!(out.contains("延迟包数不能超过1000"), "{out}");
    assert!(out.contains("棉包B2的净重应大于0且不超过1000千克"), "{out}");
    let st = status(&db);
    assert_eq!(card(&st, &card_no(1))["finished"], true);
    assert_eq!(st["records"], 3, "delay, bale, card finished — and nothing of the refused lines: {st}");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
