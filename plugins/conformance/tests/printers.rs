//! The project's printer plugins, built and loaded as real shared libraries:
//! they pass the conformance kit, and their output parses — ZPL and TSPL
//! command structure, and a PDF that opens and whose text holds the card
//! number and the Chinese grower name.

use std::sync::Arc;

use cotton_plugin_conformance::{build, run};
use cotton_plugin_host::{LoadedPlugin, OutputFile, Printer, samples};

fn printer(package: &str) -> Printer {
    let lib = build::cargo_cdylibs(&[package]).remove(0);
    Printer::new(Arc::new(LoadedPlugin::load(&lib).expect("loads"))).expect("a printer")
}

fn render(package: &str, copies: u32) -> OutputFile {
    let mut job = samples::print_job();
    job.copies = copies;
    printer(package).render(&job).expect("renders")
}

#[test]
fn printers_conform() {
    for p in ["cotton-printer-zpl", "cotton-printer-tspl", "cotton-printer-pdf"] {
        let lib = build::cargo_cdylibs(&[p]).remove(0);
        let r = run(&lib);
        assert!(r.passed(), "{}", r.render());
    }
}

#[test]
fn zpl_is_a_well_formed_label() {
    let out = render("cotton-printer-zpl", 3);
    let job = samples::print_job();
    assert_eq!(out.mime_type, "application/vnd.zebra.zpl");
    assert_eq!(out.file_name, format!("{}.zpl", job.card.card_no));
    let zpl = String::from_utf8(out.bytes).expect("ZPL with ^CI28 is UTF-8");
    assert!(zpl.starts_with("^XA"), "{zpl}");
    assert!(zpl.trim_end().ends_with("^XZ"));
    assert_eq!(zpl.matches("^XA").count(), 1);
    // Every line is one or more commands: ^ or ~ followed by two letters/digits.
    let mut fields = 0;
    for line in zpl.lines() {
        assert!(line.starts_with('^'), "line does not start with a command: {line}");
        for cmd in line.split('^').skip(1) {
            assert!(cmd.len() >= 2 && cmd[..2].chars().all(|c| c.is_ascii_alphanumeric()), "bad command ^{cmd} in {line}");
        }
        if line.contains("^FD") {
            fields += 1;
            assert!(line.ends_with("^FS"), "field not closed: {line}");
            assert!(line.starts_with("^FO"), "field without origin: {line}");
            let origin = line[3..].split('^').next().unwrap();
            let xy: Vec<u32> = origin.split(',').map(|n| n.parse().expect("numeric origin")).collect();
            assert!(xy.len() == 2 && xy[0] < 800 && xy[1] < 600, "origin {origin} off the label");
        }
    }
    assert!(fields >= 10);
    assert!(zpl.contains("^CI28"));
    assert!(zpl.contains(&format!("^BCN,90,Y,N,N^FD{}^FS", job.card.card_no)), "Code 128 of the card number");
    assert!(zpl.contains(&format!("^BQN,2,5^FDMA,{}^FS", job.card.card_no)), "QR code of the card number");
    for text in ["种植者：张三丰", "追溯单元：一四二团一连自由组团1号", "磅单号：BD2026000123", "模块：圆模块 × 12", "折皮棉公定重量：3907.56 kg"] {
        assert!(zpl.contains(text), "label lacks {text}");
    }
    assert!(zpl.contains("^PQ3,0,1,Y"));
}

/// Splits TSPL arguments at commas outside quotes.
fn tspl_args(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.last_mut().unwrap().push(c);
            }
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    assert!(!quoted, "unbalanced quotes in {s}");
    out
}

#[test]
fn tspl_is_a_well_formed_gbk_program() {
    let out = render("cotton-printer-tspl", 2);
    let job = samples::print_job();
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(&out.bytes);
    assert!(!had_errors, "TSPL output is GBK");
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    let mut texts = Vec::new();
    let (mut barcode, mut qr) = (None, None);
    for line in &lines {
        let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
        match cmd {
            "SIZE" | "GAP" | "DIRECTION" | "REFERENCE" | "CLS" => {}
            "TEXT" => {
                let a = tspl_args(rest);
                assert_eq!(a.len(), 7, "{line}");
                assert_eq!(a[2], "\"TSS24.BF2\"");
                texts.push(a[6].trim_matches('"').to_string());
            }
            "BARCODE" => {
                let a = tspl_args(rest);
                assert_eq!(a.len(), 9, "{line}");
                assert_eq!(a[2], "\"128\"");
                barcode = Some(a[8].trim_matches('"').to_string());
            }
            "QRCODE" => {
                let a = tspl_args(rest);
                assert_eq!(a.len(), 7, "{line}");
                qr = Some(a[6].trim_matches('"').to_string());
            }
            "PRINT" => assert_eq!(*line, "PRINT 1,2"),
            other => panic!("unknown TSPL command {other}"),
        }
    }
    assert_eq!(lines.first(), Some(&"SIZE 100 mm,75 mm"));
    assert_eq!(lines.last(), Some(&"PRINT 1,2"));
    assert!(lines.iter().position(|l| *l == "CLS") < lines.iter().position(|l| l.starts_with("TEXT")));
    assert_eq!(barcode.as_deref(), Some(job.card.card_no.as_str()));
    assert_eq!(qr.as_deref(), Some(job.card.card_no.as_str()));
    assert!(texts.contains(&"种植者：张三丰".to_string()), "{texts:?}");
    assert!(texts.contains(&"棉花质量追溯卡".to_string()));
}

#[test]
fn pdf_opens_and_its_text_has_the_card_and_the_chinese_grower() {
    let out = render("cotton-printer-pdf", 2);
    let job = samples::print_job();
    assert_eq!(out.mime_type, "application/pdf");
    assert!(out.bytes.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&out.bytes).expect("the PDF opens");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 2, "one page per copy");
    let text = doc.extract_text(&[1]).expect("text extracts");
    for needle in [job.card.card_no.as_str(), "张三丰", "棉花质量追溯卡", "一四二团一连自由组团1号", "石河子市天源棉业有限公司", "圆模块"] {
        assert!(text.contains(needle), "PDF text lacks {needle}: {text}");
    }
    // The CJK font is embedded (as a subset) and the label is small.
    let embedded = doc.objects.values().any(|o| {
        o.as_dict().ok().is_some_and(|d| d.has(b"FontFile2"))
    });
    assert!(embedded, "no embedded TrueType font");
    assert!(out.bytes.len() < 200_000, "PDF of {} bytes", out.bytes.len());
    // Reprints say so.
    let mut reprint = job.clone();
    reprint.reprint = true;
    reprint.fill_label();
    let r = printer("cotton-printer-pdf").render(&reprint).unwrap();
    let doc = lopdf::Document::load_mem(&r.bytes).unwrap();
    assert!(doc.extract_text(&[1]).unwrap().contains("补打"));
    if let Ok(dir) = std::env::var("COTTON_KEEP_PDF") {
        std::fs::write(std::path::Path::new(&dir).join("label.pdf"), &out.bytes).unwrap();
    }
}
