//! The type IV collector driver's readers: GBK fixed-width export and upload file bodies.
#![no_main]
use cotton_plugin_abi::wire::CollectorModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cotton_fuzz::collector::check(&cotton_collector_iv::CollectorIv, CollectorModel::Iv, data);
});
