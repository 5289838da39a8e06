//! The type VI collector driver's readers: the online device's JSON messages.
#![no_main]
use cotton_plugin_abi::wire::CollectorModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cotton_fuzz::collector::check(&cotton_collector_vi::CollectorVi, CollectorModel::Vi, data);
});
