//! Signed type V files (upload and export) as received: the signature trailer,
//! then the body through the V driver and the host's checks. Byte 0 picks the
//! direction; the rest is the file.
#![no_main]
use cotton_plugin_abi::wire::CollectorModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cotton_fuzz::signed::check(&cotton_collector_v::CollectorV, CollectorModel::V, data);
});
