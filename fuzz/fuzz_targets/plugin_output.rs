//! What a plugin returns, as the host reads it (plugins/host drivers.rs and
//! loader.rs): the JSON of DECODE_RECORDS / DECODE_CARDS, then `validate()`,
//! and the DESCRIBE answer. A malicious or broken plugin may return anything.
#![no_main]
use cotton_plugin_abi::wire::{CardExport, Describe, PrintJob, RecordUpload};
use cotton_fuzz::assert_clear;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(u) = serde_json::from_slice::<RecordUpload>(data) {
        if let Err(e) = u.validate() {
            assert_clear("RecordUpload::validate", &e.to_string());
        }
    }
    if let Ok(x) = serde_json::from_slice::<CardExport>(data) {
        if let Err(e) = x.validate() {
            assert_clear("CardExport::validate", &e.to_string());
        }
    }
    // DESCRIBE: only parsed, then compared with the table by the loader.
    let _ = serde_json::from_slice::<Describe>(data);
    // A print job is the host's own output, but printer plugins parse it back.
    if let Ok(j) = serde_json::from_slice::<PrintJob>(data) {
        if let Err(e) = j.validate() {
            assert_clear("PrintJob::validate", &e.to_string());
        }
    }
    // The plugin's error text becomes part of the operator's message.
    let m: String = String::from_utf8_lossy(data).chars().take(1000).collect();
    assert!(m.len() <= 4000);
});
