//! The kit fails plugins that would fail in production (issue 17 items 6, 7):
//! the bad printer fixtures (`plugins/fixtures/bad_printers.c`, each the C
//! example with one defect) fail exactly the check for their defect and pass
//! the others; a crash is a failed check, not the end of the kit; a QR code
//! with another payload is caught.

use cotton_plugin_conformance::{Report, build, run};

fn report(variant: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let lib = build::c_bad_printer(dir.path(), variant);
    let r = run(&lib);
    assert_eq!(r.isolation, "process", "the kit runs the plugin in a driver-host child");
    assert!(!r.passed(), "{}", r.render());
    r
}

/// The names of the failed checks.
fn failed(r: &Report) -> Vec<&str> {
    r.failures().iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn a_label_without_the_card_number_fails() {
    let r = report("NO_CARD_NO");
    assert_eq!(failed(&r), ["the label shows the card number, the title and every line the host sent"], "{}", r.render());
    let c = r.check("the label shows").unwrap();
    assert!(c.detail.contains("lacks the card number “TC2600000123452”"), "{}", c.detail);
}

#[test]
fn a_plugin_that_ignores_copies_fails() {
    let r = report("IGNORES_COPIES");
    assert_eq!(failed(&r), ["copies is honoured"], "{}", r.render());
    assert!(r.check("copies is honoured").unwrap().detail.contains("`copies` is ignored"));
}

#[test]
fn a_crash_is_a_failed_check_and_the_kit_goes_on() {
    let r = report("CRASHES");
    let failed = failed(&r);
    // It segfaults on everything that is not a JSON object: the checks that
    // send such input fail, with the signal named, and the kit runs to the end.
    assert!(failed.contains(&"empty input is refused"), "{}", r.render());
    assert!(failed.contains(&"random bytes are refused"), "{}", r.render());
    assert_eq!(failed.last(), Some(&"no call crashed or hung the plugin's process"), "{}", r.render());
    let empty = r.check("empty input is refused").unwrap();
    assert!(empty.detail.contains("crashed or hung during this check") && empty.detail.contains("SIGSEGV"), "{}", empty.detail);
    // Valid jobs still print between the crashes (each in a fresh child).
    for ok in ["renders the sample label, deterministically", "copies is honoured", "invalid print jobs are refused"] {
        assert!(r.check(ok).unwrap().ok, "{ok}: {}", r.render());
    }
    assert!(r.render().lines().last().unwrap().contains(" failed"));
}

#[test]
fn a_plugin_that_reads_only_whole_seconds_is_refused_at_load() {
    // The server's clock has nanoseconds, so does the kit's sample: such a
    // plugin fails the load-time self-test, as it would fail every real print.
    let r = report("WHOLE_SECONDS");
    assert_eq!(r.checks.len(), 1, "{}", r.render());
    let load = &r.checks[0];
    assert!(!load.ok && load.detail.contains("self-test failed") && load.detail.contains("打印时间格式无效"), "{}", load.detail);
}

#[test]
fn a_qr_code_with_another_payload_fails() {
    let r = report("WRONG_QR");
    assert_eq!(failed(&r), ["the Code 128 barcode and the QR code carry the card number"], "{}", r.render());
    let c = r.check("the Code 128 barcode").unwrap();
    assert!(c.detail.contains("no QR code whose payload is the card number") && c.detail.contains("BD2026000123"), "{}", c.detail);
}
