//! Helpers shared by the fuzz targets: what "a clear error" means.

/// Every refusal must tell the operator, in Chinese, what is wrong: a message
/// that is empty or has no Chinese character is a finding, like a panic.
pub fn assert_clear(what: &str, message: &str) {
    assert!(
        message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{what}: the refusal has no Chinese message: {message:?}"
    );
}

thread_local! {
    static CONTAINED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a parser that contains third-party panics itself (`read_xlsx`
/// runs calamine under `catch_unwind`), without libFuzzer's abort-on-panic hook
/// firing for panics `f` catches. A panic that escapes `f` still aborts (the
/// harness's own `catch_unwind` sees it), so removing the guard is a finding.
pub fn contained<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let fuzz_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(|c| c.get()) {
                fuzz_hook(info);
            }
        }));
    });
    CONTAINED.with(|c| c.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(false));
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Splits fuzz bytes into spreadsheet-like rows: lines are rows, tabs separate
/// cells (invalid UTF-8 becomes U+FFFD, as a cell of a decoded sheet could).
pub fn rows_of(data: &[u8]) -> Vec<cotton_import::SheetRow> {
    String::from_utf8_lossy(data)
        .split('\n')
        .enumerate()
        .map(|(i, l)| cotton_import::SheetRow { row: i as i32 + 2, cells: l.split('\t').map(str::to_string).collect() })
        .collect()
}

pub mod collector {
    //! One collector driver run the way the plugin runs it (the SDK's dispatch,
    //! which validates what the driver decoded) and checked the way the host
    //! checks its output (`cotton-plugin-host` drivers.rs: JSON, `validate()`,
    //! model).
    use cotton_plugin_abi::ffi::*;
    use cotton_plugin_abi::sdk::{CollectorDriver, DriverError, Meta, dispatch_collector};
    use cotton_plugin_abi::wire::{CardExport, CollectorModel, PluginKind, RecordUpload};

    use super::assert_clear;

    fn meta(model: CollectorModel) -> Meta {
        Meta { kind: PluginKind::Collector, name: "fuzz", model: model.as_str(), version: "0", description: "fuzz" }
    }

    fn refused(what: &str, e: &DriverError) {
        assert!(matches!(e, DriverError::Input(_)), "{what}: a bad payload must be refused as bad input, got {e:?}");
        assert_clear(what, e.message());
    }

    /// Decodes `payload` both ways (cards, records). Whatever decodes must be
    /// valid and of this model, and must read back the same after the driver
    /// writes it again (what a device would do with it).
    pub fn check<D: CollectorDriver>(d: &D, model: CollectorModel, payload: &[u8]) {
        let m = meta(model);
        match dispatch_collector(d, &m, COTTON_OP_DECODE_CARDS, payload) {
            Err(e) => refused("decode_cards", &e),
            Ok(json) => {
                let export: CardExport = serde_json::from_slice(&json).expect("the SDK writes valid JSON");
                export.validate().expect("the SDK validated it");
                assert_eq!(export.model, model);
                if let Ok(again) = dispatch_collector(d, &m, COTTON_OP_ENCODE_CARDS, &json) {
                    let back = dispatch_collector(d, &m, COTTON_OP_DECODE_CARDS, &again).expect("a written export reads back");
                    let back: CardExport = serde_json::from_slice(&back).unwrap();
                    assert_eq!(back, export, "export changed on a write/read round trip");
                }
            }
        }
        match dispatch_collector(d, &m, COTTON_OP_DECODE_RECORDS, payload) {
            Err(e) => refused("decode_records", &e),
            Ok(json) => {
                let upload: RecordUpload = serde_json::from_slice(&json).expect("the SDK writes valid JSON");
                upload.validate().expect("the SDK validated it");
                assert_eq!(upload.model, model);
                if let Ok(again) = dispatch_collector(d, &m, COTTON_OP_ENCODE_RECORDS, &json) {
                    let back = dispatch_collector(d, &m, COTTON_OP_DECODE_RECORDS, &again).expect("a written upload reads back");
                    let back: RecordUpload = serde_json::from_slice(&back).unwrap();
                    assert_eq!(back, upload, "upload changed on a write/read round trip");
                }
            }
        }
    }
}

pub mod signed {
    //! Signed IV/V files as the platform receives them (`uploadProcessingFile`)
    //! and devices receive them (export files): the `#CTSIG` trailer check, then
    //! the body through the line's driver and the host's checks — the steps of
    //! `Collector::read_upload_file` / `read_export_file` in plugins/host, with
    //! the driver called in-process instead of through the loaded library.
    use super::assert_clear;
    use cotton_plugin_abi::ffi::{COTTON_OP_DECODE_CARDS, COTTON_OP_DECODE_RECORDS};
    use cotton_plugin_abi::sdk::{CollectorDriver, Meta, dispatch_collector};
    use cotton_plugin_abi::wire::{CardExport, CollectorModel, PluginKind, RecordUpload};
    use cotton_plugin_host::signing::{FilePurpose, SigningKey, sign_file, verify_file};

    const LINE: &str = "L-65001-1";

    /// The body after the signature check, read by the driver, and what the host
    /// checks of the driver's output.
    fn read<D: CollectorDriver>(d: &D, model: CollectorModel, purpose: FilePurpose, body: &[u8]) {
        let meta = Meta { kind: PluginKind::Collector, name: "fuzz", model: model.as_str(), version: "0", description: "fuzz" };
        let (op, what) = match purpose {
            FilePurpose::Upload => (COTTON_OP_DECODE_RECORDS, "upload"),
            FilePurpose::Export => (COTTON_OP_DECODE_CARDS, "export"),
        };
        match dispatch_collector(d, &meta, op, body) {
            Err(e) => assert_clear(what, e.message()),
            Ok(json) => {
                // The host parses the plugin's JSON, validates, checks the model.
                let (m, line) = match purpose {
                    FilePurpose::Upload => {
                        let u: RecordUpload = serde_json::from_slice(&json).expect("valid JSON from the SDK");
                        u.validate().expect("validated by the SDK");
                        (u.model, u.line_id)
                    }
                    FilePurpose::Export => {
                        let e: CardExport = serde_json::from_slice(&json).expect("valid JSON from the SDK");
                        e.validate().expect("validated by the SDK");
                        (e.model, e.line_id)
                    }
                };
                assert_eq!(m, model);
                assert!(cotton_domain::processing::validate_line_id(&line).is_ok());
            }
        }
    }

    /// Byte 0 of `data` picks the direction; the rest is the file.
    pub fn check<D: CollectorDriver>(d: &D, model: CollectorModel, data: &[u8]) {
        let Some((&sel, file)) = data.split_first() else { return };
        let purpose = if sel & 2 == 0 { FilePurpose::Upload } else { FilePurpose::Export };
        let key = SigningKey::from_bytes(&[7; 32]);
        let pk = key.verifying_key();

        // 1. The file as it arrives: whatever it holds, a refusal with a reason (a
        //    forgery cannot verify, so only genuine files pass).
        match verify_file(purpose, LINE, &pk, file) {
            Err(e) => assert_clear("verify_file", &e.0),
            Ok(body) => assert!(file.starts_with(body)),
        }

        // 2. A genuinely signed file with this body: the signature passes, the body
        //    comes back exactly, and the driver reads it or refuses it clearly.
        let signed = sign_file(purpose, LINE, &key, file).expect("a valid line id");
        let body = verify_file(purpose, LINE, &pk, &signed).expect("our own signature verifies");
        assert!(body.starts_with(file) && body.len() <= file.len() + 1);
        // Any change to the signed file is caught.
        if !signed.is_empty() {
            let mut t = signed.clone();
            let i = usize::from(sel) * 7919 % t.len();
            t[i] ^= 0x20;
            if let Ok(b) = verify_file(purpose, LINE, &pk, &t) {
                // Only a change inside the final line break of the trailer may pass.
                assert_eq!(b, body, "altered byte {i} accepted");
            }
        }
        read(d, model, purpose, body);
    }
}
