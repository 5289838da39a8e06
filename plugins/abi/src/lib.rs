//! Cotton Trace driver-plugin ABI and SDK (棉花质量追溯平台 驱动插件).
//!
//! | module | what |
//! |---|---|
//! | [`ffi`] | the C ABI: entry point, `#[repr(C)]` table, operation and status codes (`include/cotton_plugin.h` is generated from it) |
//! | [`wire`] | the JSON records that cross the boundary (wire version 1) |
//! | [`sdk`] | the traits and macros a Rust vendor uses: [`export_printer!`], [`export_collector!`] |
//!
//! See `plugins/README.md` for the vendor kit.

pub mod ffi;
pub mod sdk;
pub mod wire;

pub use cotton_domain;
