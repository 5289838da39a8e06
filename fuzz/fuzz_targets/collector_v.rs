//! The type V collector driver's readers: JSON-lines export and upload file bodies.
#![no_main]
use cotton_plugin_abi::wire::CollectorModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cotton_fuzz::collector::check(&cotton_collector_v::CollectorV, CollectorModel::V, data);
});
