//! The seeds of the type IV driver (one driver per program: each exports
//! the same C entry symbol).
#[path = "common.rs"]
mod common;

fn main() {
    common::collector_seeds(&cotton_collector_iv::CollectorIv, cotton_plugin_abi::wire::CollectorModel::Iv);
}
