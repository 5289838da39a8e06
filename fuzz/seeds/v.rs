//! The seeds of the type V driver (one driver per program: each exports
//! the same C entry symbol).
#[path = "common.rs"]
mod common;

fn main() {
    common::collector_seeds(&cotton_collector_v::CollectorV, cotton_plugin_abi::wire::CollectorModel::V);
}
