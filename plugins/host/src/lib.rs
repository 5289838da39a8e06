//! Cotton Trace plugin host: loads driver plugins (C ABI, see
//! `cotton-plugin-abi`) from a folder with libloading, refuses misbehaving ones,
//! calls the rest safely, and signs / verifies export and upload files.
//!
//! | module | what |
//! |---|---|
//! | [`registry`] | the plugins folder: load all, refuse with a log line, look up by model |
//! | [`loader`] | one library: the checks at load time, serialised calls |
//! | [`driver_host`] | plugins in driver-host child processes: the protocol, the child, the proxy |
//! | [`drivers`] | typed access: [`Printer`], [`Collector`] (with signed files) |
//! | [`signing`] | the Ed25519 file trailer of export and upload files |
//! | [`samples`] | sample data for load-time self-tests and the conformance kit |
//!
//! Used by the server and by the conformance kit; the collector client will use
//! it too (the device side: `read_export_file`, `upload_file`).

pub mod driver_host;
pub mod drivers;
pub mod error;
pub mod loader;
pub mod registry;
pub mod samples;
pub mod signing;

pub use cotton_plugin_abi as abi;
pub use driver_host::{Isolation, ProcessConfig};
pub use drivers::{Collector, OutputFile, Printer};
pub use error::HostError;
pub use loader::{LoadedPlugin, PluginInfo};
pub use registry::{PluginRegistry, Refusal};
