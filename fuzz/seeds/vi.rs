//! The seeds of the type VI driver (one driver per program: each exports
//! the same C entry symbol).
#[path = "common.rs"]
mod common;

fn main() {
    common::collector_seeds(&cotton_collector_vi::CollectorVi, cotton_plugin_abi::wire::CollectorModel::Vi);
}
